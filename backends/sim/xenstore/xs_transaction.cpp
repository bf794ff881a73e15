#include "backends/sim/xenstore/xs_transaction.hpp"

#include "backends/sim/xenstore/xs_path.hpp"
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

// --- View: access_node() ---

AccessedNode* View::record(std::string_view path, Errno& err) {
  if (AccessedNode* a = tx_->find(path)) return a;
  if (node_quota_ != 0 && tx_->size() >= node_quota_) {
    err = ENOSPC;
    tx_->failed = true;  // access_node's error path fails the transaction
    return nullptr;
  }
  AccessedNode a;
  a.check_generation = true;  // the first access of every request path is read_node()
  if (tree_.observer) {  // the whole node is copied, children in order; later accesses use the copy
    tree_.observer->node_read(path);
    tree_.observer->children_read(path, true);
  }
  if (const Node* n = tree_.find(path)) {
    a.node = *n;
    a.generation = n->generation;
    a.original_perms = n->perms;
  }
  return &tx_->add(path, std::move(a));
}

Node* View::read(std::string_view path, Errno& err) {
  if (!tx_) {
    if (tree_.observer) tree_.observer->node_read(path);
    Node* n = tree_.find(path);
    if (!n) err = ENOENT;
    return n;
  }
  AccessedNode* a = record(path, err);
  if (!a) return nullptr;
  if (!a->node) {
    err = ENOENT;
    return nullptr;
  }
  return &*a->node;
}

void View::changed(std::string_view path, Node& n, Change what) {
  n.generation = ++tree_.generation;
  if (!tx_) {
    tree_.changed(path);
    if (tree_.observer) {
      switch (what) {
        case Change::value: tree_.observer->value_written(path); break;
        case Change::child_added: tree_.observer->child_added(path); break;
        case Change::child_removed: tree_.observer->child_removed(path); break;
      }
    }
    return;
  }
  if (AccessedNode* a = tx_->find(path)) a->modified = true;  // `n` was read through this view: recorded
}

void View::create(std::string_view path, Node n) {
  n.generation = ++tree_.generation;
  if (!tx_) {
    if (tree_.observer) {
      tree_.observer->node_written(path);
      tree_.observer->value_replaced(path, std::nullopt, n.value);  // create_node creates only missing nodes
    }
    tree_.count_owner(n.perms.front().domid, 1);
    tree_.changed(*tree_.nodes.insert_or_assign(std::string(path), std::move(n)).first);
    return;
  }
  Errno ignored = 0;
  AccessedNode* a = tx_->find(path);
  if (!a) a = record(path, ignored);  // every creation reads the path first, so this is a safety net
  if (!a) return;
  a->node = std::move(n);
  a->modified = true;
}

void View::erase(std::string_view path) {
  ++tree_.generation;  // access_node(DELETE) takes a generation too
  if (!tx_) {
    if (tree_.observer) tree_.observer->node_written(path);
    auto it = tree_.nodes.find(path);
    if (it == tree_.nodes.end()) return;
    if (tree_.observer) tree_.observer->value_replaced(path, it->second.value, std::nullopt);
    tree_.count_owner(it->second.perms.front().domid, -1);
    tree_.leaving(it->second);
    tree_.nodes.erase(it);
    return;
  }
  AccessedNode* a = tx_->find(path);
  if (!a) return;
  a->node.reset();
  a->modified = true;
}

void View::queue_event(std::string_view path, bool exact) {
  AccessedNode* a = tx_->find(path);
  if (!a) {  // queue_watches() for a node the transaction never accessed fails it
    tx_->failed = true;
    return;
  }
  if (!a->fire) {
    a->fire = true;
    a->fire_exact = exact;
  } else if (!exact) {
    a->fire_exact = false;  // a subtree event replaces an exact one, not the other way round
  }
}

// --- the requests ---

Result<TxId> Store::transaction_start(ConnId c) {
  using R = Result<TxId>;
  Conn* cn = conn(c);
  if (!cn) return R::error(ECONNRESET);
  // do_transaction_start: "transaction_started > quota", so an unprivileged domain may hold quota + 1.
  if (!cn->privileged && cn->transactions.size() > options_.quotas.transactions) return R::error(ENOSPC);
  ++tree_.generation;  // the transaction's own generation
  TxId id = cn->next_tx;
  while (id == kNoTx || cn->transactions.count(id)) ++id;
  cn->next_tx = id + 1;
  cn->transactions.try_emplace(id);
  return R::success(id);
}

bool Store::has_transaction(ConnId c, TxId tx) const {
  const Conn* cn = conn(c);
  return cn && cn->transactions.count(tx) != 0;
}

Errno Store::transaction_end(ConnId c, TxId tx, bool commit) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  auto it = cn->transactions.find(tx);
  if (it == cn->transactions.end()) return ENOENT;
  Transaction t = std::move(it->second);
  cn->transactions.erase(it);
  if (!commit) return 0;
  if (t.failed) return ENOMEM;
  return finalize(*cn, t);
}

// finalize_transaction(): every node read must still have the generation it had when first read (else
// EAGAIN and nothing applied); then the changed nodes are written back in first-access order, each
// one's event fired right after it, checked against the tree as it is then and the permissions the node
// had before the transaction.
Errno Store::finalize(Conn& cn, Transaction& t) {
  for (const std::string& path : t.order()) {
    const AccessedNode& a = t.at(path);
    if (!a.check_generation) continue;
    if (tree_.observer) {  // the generation moves with a change of the value or of the children
      tree_.observer->node_read(path);
      tree_.observer->children_read(path, false);
    }
    const Node* now = tree_.find(path);
    if ((now ? now->generation : kNoGeneration) != a.generation) return EAGAIN;
  }
  if (!cn.privileged && t.node_created) {  // transaction_fix_domains: the node quota, at commit
    long created = 0;
    for (const std::string& path : t.order()) {
      const AccessedNode& a = t.at(path);
      if (!a.modified) continue;
      const Node* now = tree_.find(path);
      created += (a.node && a.node->perms.front().domid == cn.domid) - (now && now->perms.front().domid == cn.domid);
    }
    if (created > 0 && owned_nodes(cn.domid) + static_cast<std::size_t>(created) > options_.quotas.nodes) return ENOSPC;
  }
  for (const std::string& path : t.order()) {
    AccessedNode& a = t.at(path);
    if (!a.modified) continue;
    auto g = tree_.nodes.find(path);
    if (tree_.observer) {
      tree_.observer->node_written(path);
      tree_.observer->value_replaced(
          path, g != tree_.nodes.end() ? std::optional<std::string_view>(g->second.value) : std::nullopt,
          a.node ? std::optional<std::string_view>(a.node->value) : std::nullopt);
    }
    if (g != tree_.nodes.end()) tree_.count_owner(g->second.perms.front().domid, -1);
    if (a.node) {
      Node n = std::move(*a.node);
      n.generation = ++tree_.generation;
      tree_.count_owner(n.perms.front().domid, 1);
      if (g != tree_.nodes.end()) g->second = std::move(n);
      else g = tree_.nodes.emplace(path, std::move(n)).first;
      tree_.changed(*g);
    } else if (g != tree_.nodes.end()) {
      tree_.leaving(g->second);
      tree_.nodes.erase(g);
    }
    if (a.fire) fire_now(path, a.fire_exact, tree_.find(path), a.original_perms ? &*a.original_perms : nullptr);
  }
  return 0;
}

// --- requests that touch only a transaction's copies ---

// Mirrors the requests' first steps (Store::get_node, errno_from_parents, create_node): each reads the path
// through the view, and when it is missing there, each ancestor up to the first present one. Those reads are
// all a privileged request makes of the tree; when every one of them finds a copy, it reaches nothing shared.
// The simulator checks its own rule against this one, and that such a request named no access (sim_xenstore.cpp).
bool Store::within_transaction_copy(ConnId c, TxId tx, std::string_view path) {
  Conn* cn = conn(c);
  if (!cn || !cn->privileged || tx == kNoTx) return false;
  auto it = cn->transactions.find(tx);
  if (it == cn->transactions.end()) return false;
  if (path.empty() || path.front() == '@' || node_path(*cn, path) != 0) return false;
  const Transaction& t = it->second;
  std::string_view p = scratch_;
  for (;;) {
    const AccessedNode* a = t.find(p);
    if (!a) return false;
    if (a->node) return true;
    if (p == "/") return false;
    p = parent_of(p);
  }
}

}  // namespace xenrace::xs
