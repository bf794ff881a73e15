#include "fakes/xenstore/xs_store.hpp"

#include <algorithm>

#include "fakes/xenstore/xs_path.hpp"

namespace xenrace::xs {

namespace {
constexpr unsigned kRead = 1, kWrite = 2, kOwner = 4;
constexpr std::size_t kPayloadMax = 4096;  // XENSTORE_PAYLOAD_MAX: longer events are dropped (send_event)

unsigned access_bits(XsPerm::Access a) {
  switch (a) {
    case XsPerm::Access::read: return kRead;
    case XsPerm::Access::write: return kWrite;
    case XsPerm::Access::both: return kRead | kWrite;
    case XsPerm::Access::none: break;
  }
  return 0;
}
}  // namespace

// access_node(): outside a transaction requests see and change the tree directly; inside one, the first
// access to a path copies the node (or its absence) with its generation, and later accesses use the copy.
class Store::View {
 public:
  View(Store& s, const Conn& cn, Transaction* tx) : s_(s), cn_(cn), tx(tx) {}

  const Node* find(std::string_view path, Errno& err) {
    if (!tx) {
      auto it = s_.nodes_.find(path);
      return it == s_.nodes_.end() ? nullptr : &it->second;
    }
    TxEntry* e = entry(path, err);
    return e && e->node ? &*e->node : nullptr;
  }
  const Node* find(std::string_view path) {
    Errno ignored = 0;
    return find(path, ignored);
  }
  // The node at `path`, which exists in this view, about to be changed.
  Node* modify(std::string_view path) {
    if (!tx) {
      Node& n = s_.nodes_.find(path)->second;
      n.generation = ++s_.generation_;
      return &n;
    }
    Errno ignored = 0;
    TxEntry* e = entry(path, ignored);
    e->modified = true;
    return &*e->node;
  }
  void create(std::string_view path, Node n) {
    if (!tx) {
      n.generation = ++s_.generation_;
      s_.add_owned(n.perms.front().domid, 1);
      s_.nodes_.insert_or_assign(std::string(path), std::move(n));
      return;
    }
    Errno ignored = 0;
    TxEntry* e = entry(path, ignored);
    e->node = std::move(n);
    e->modified = true;
  }
  void erase(std::string_view path) {
    if (!tx) {
      auto it = s_.nodes_.find(path);
      s_.add_owned(it->second.perms.front().domid, -1);
      s_.nodes_.erase(it);
      return;
    }
    Errno ignored = 0;
    TxEntry* e = entry(path, ignored);
    e->node.reset();
    e->modified = true;
  }
  TxEntry* entry(std::string_view path, Errno& err) {
    auto it = tx->entries.find(path);
    if (it != tx->entries.end()) return &it->second;
    if (!cn_.privileged && tx->entries.size() >= s_.options_.quotas.nodes_per_transaction) {
      err = ENOSPC;
      return nullptr;
    }
    TxEntry e;
    if (auto g = s_.nodes_.find(path); g != s_.nodes_.end()) {
      e.node = g->second;
      e.recorded_generation = g->second.generation;
    }
    tx->order.emplace_back(path);
    return &tx->entries.emplace(std::string(path), std::move(e)).first->second;
  }

 private:
  Store& s_;
  const Conn& cn_;

 public:
  Transaction* tx;
};

Store::Store(StoreOptions options) : options_(options) {
  // core.c setup_structure: "/", "/tool", "/tool/xenstored" and the two special nodes, owned by dom0.
  const XsPerms dom0{{XsPerm::Access::none, options_.priv_domid}};
  auto add = [&](const char* path, std::vector<std::string> children) {
    Node n;
    n.perms = dom0;
    n.children = std::move(children);
    n.generation = ++generation_;
    nodes_.emplace(path, std::move(n));
    add_owned(options_.priv_domid, 1);
  };
  add("/", {"tool"});
  add("/tool", {"xenstored"});
  add("/tool/xenstored", {});
  add("@introduceDomain", {});
  add("@releaseDomain", {});
}

Store::~Store() = default;

// --- connections ---

ConnId Store::open_connection(DomId domid) {
  auto c = std::make_unique<Conn>();
  c->domid = domid;
  c->privileged = domid == options_.priv_domid;
  c->implicit = implicit_path(domid);
  conns_.push_back(std::move(c));
  return static_cast<ConnId>(conns_.size() - 1);
}

void Store::close_connection(ConnId c) {
  if (c < conns_.size()) conns_[c].reset();
}

bool Store::is_open(ConnId c) const { return conn(c) != nullptr; }

void Store::set_event_listener(ConnId c, std::function<void()> listener) {
  if (Conn* cn = conn(c)) cn->listener = std::move(listener);
}

Store::Conn* Store::conn(ConnId c) { return c < conns_.size() ? conns_[c].get() : nullptr; }
const Store::Conn* Store::conn(ConnId c) const { return c < conns_.size() ? conns_[c].get() : nullptr; }
bool Store::privileged(ConnId c) const { return conn(c) && conn(c)->privileged; }
DomId Store::domid(ConnId c) const { return conn(c) ? conn(c)->domid : 0; }

Errno Store::canonical(const Conn& cn, std::string_view path, bool allow_special) {
  return canonicalize(path, cn.implicit, allow_special, cn.privileged ? 0 : options_.quotas.path_max, scratch_);
}

Errno Store::transaction_of(Conn& cn, TxId tx, Transaction*& out) {
  out = nullptr;
  if (tx == kNoTx) return 0;
  auto it = cn.transactions.find(tx);
  if (it == cn.transactions.end()) return ENOENT;  // transaction_lookup
  out = &it->second;
  return 0;
}

// --- permissions ---

unsigned Store::perm_for(const Conn& cn, const XsPerms& perms) const {
  if (cn.privileged || perms.empty() || perms.front().domid == cn.domid) return kRead | kWrite | kOwner;
  for (std::size_t i = 1; i < perms.size(); ++i)
    if (perms[i].domid == cn.domid) return access_bits(perms[i].access);
  return access_bits(perms.front().access);
}

Errno Store::errno_from_parents(View& v, const Conn& cn, std::string_view path, Errno err, unsigned perm) {
  if (err == ENOMEM || err == ENOSPC) return err;
  const Node* ancestor = nullptr;
  std::string_view p = path;
  do {
    p = parent_of(p);
    ancestor = v.find(p);
  } while (!ancestor && p != "/");
  if (!ancestor) return EACCES;
  return (perm_for(cn, ancestor->perms) & perm) ? err : EACCES;
}

const Node* Store::get_node(View& v, const Conn& cn, std::string_view path, unsigned perm, Errno& err) {
  err = 0;
  const Node* n = v.find(path, err);
  if (err) return nullptr;
  if (n && (perm_for(cn, n->perms) & perm) != perm) {
    err = EACCES;
    n = nullptr;
  } else if (!n) {
    err = ENOENT;
  }
  if (!n) err = errno_from_parents(v, cn, path, err, perm);
  return n;
}

// --- quotas ---

void Store::add_owned(DomId owner, long delta) {
  auto& count = owned_[owner];
  count = static_cast<std::size_t>(static_cast<long>(count) + delta);
}

std::size_t Store::owned_nodes(DomId d) const {
  auto it = owned_.find(d);
  return it == owned_.end() ? 0 : it->second;
}

Errno Store::check_owned_quota(const Conn& cn, DomId owner, std::size_t extra) const {
  if (cn.privileged) return 0;
  return owned_nodes(owner) + extra > options_.quotas.nodes ? ENOSPC : 0;
}

Errno Store::check_node_size(const Conn& cn, const Node& n) const {
  if (cn.privileged) return 0;
  std::size_t size = n.value.size() + 8 * n.perms.size();
  for (const auto& c : n.children) size += c.size() + 1;
  return size > options_.quotas.node_size ? ENOSPC : 0;
}

// --- node operations ---

Errno Store::create_node(View& v, const Conn& cn, std::string_view path, std::string_view value) {
  // construct_node: walk up to the first existing ancestor; every missing one is created empty.
  std::vector<std::string_view> missing{path};
  std::string_view top = parent_of(path);
  Errno err = 0;
  const Node* top_node = nullptr;
  for (;;) {
    top_node = v.find(top, err);
    if (err) return err;
    if (top_node) break;
    missing.push_back(top);
    top = parent_of(top);
  }
  XsPerms perms = top_node->perms;
  if (!cn.privileged) perms.front().domid = cn.domid;  // unprivileged domains own what they create
  if (Errno e = check_owned_quota(cn, perms.front().domid, missing.size())) return e;
  Node grown = *top_node;
  grown.children.emplace_back(basename_of(missing.back()));
  if (Errno e = check_node_size(cn, grown)) return e;
  Node leaf;
  leaf.value = std::string(value);
  leaf.perms = perms;
  if (Errno e = check_node_size(cn, leaf)) return e;

  v.modify(top)->children.emplace_back(basename_of(missing.back()));
  for (std::size_t i = missing.size(); i-- > 1;) {
    Node n;
    n.perms = perms;
    n.children.emplace_back(basename_of(missing[i - 1]));
    v.create(missing[i], std::move(n));
  }
  v.create(path, std::move(leaf));
  return 0;
}

// The read-only requests: the node at `path` as connection `c` sees it (inside transaction `tx`),
// checked for read access, projected to what the request returns. Special nodes (@introduceDomain...)
// live outside transactions.
template <class T, class Project>
Result<T> Store::look_up(ConnId c, TxId tx, std::string_view path, bool allow_special, Project project) {
  Conn* cn = conn(c);
  if (!cn) return Result<T>::error(ECONNRESET);
  Transaction* t;
  if (Errno e = transaction_of(*cn, tx, t)) return Result<T>::error(e);
  if (Errno e = canonical(*cn, path, allow_special)) return Result<T>::error(e);
  View v(*this, *cn, is_special(scratch_) ? nullptr : t);
  Errno err;
  const Node* n = get_node(v, *cn, scratch_, kRead, err);
  if (!n) return Result<T>::error(err);
  return Result<T>::success(project(*n));
}

Result<std::string> Store::read(ConnId c, TxId tx, std::string_view path) {
  return look_up<std::string>(c, tx, path, false, [](const Node& n) { return n.value; });
}

Errno Store::write(ConnId c, TxId tx, std::string_view path, std::string_view value) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  Transaction* t;
  if (Errno e = transaction_of(*cn, tx, t)) return e;
  if (Errno e = canonical(*cn, path, false)) return e;
  View v(*this, *cn, t);
  Errno err;
  const Node* n = get_node(v, *cn, scratch_, kWrite, err);
  if (!n) {
    if (err != ENOENT) return err;
    if ((err = create_node(v, *cn, scratch_, value))) {
      if (t) t->failed = true;  // a failed creation fails the transaction (ENOMEM at commit)
      return err;
    }
  } else {
    Node candidate;
    candidate.value = std::string(value);
    candidate.perms = n->perms;
    candidate.children = n->children;
    if (Errno e = check_node_size(*cn, candidate)) return e;
    v.modify(scratch_)->value.assign(value);
  }
  const XsPerms perms = v.find(scratch_)->perms;
  fire_watches(v, scratch_, false, perms, nullptr);
  return 0;
}

Errno Store::mkdir(ConnId c, TxId tx, std::string_view path) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  Transaction* t;
  if (Errno e = transaction_of(*cn, tx, t)) return e;
  if (Errno e = canonical(*cn, path, false)) return e;
  View v(*this, *cn, t);
  Errno err;
  if (get_node(v, *cn, scratch_, kWrite, err)) return 0;  // already there: nothing, no event
  if (err != ENOENT) return err;
  if ((err = create_node(v, *cn, scratch_, ""))) {
    if (t) t->failed = true;
    return err;
  }
  const XsPerms perms = v.find(scratch_)->perms;
  fire_watches(v, scratch_, false, perms, nullptr);
  return 0;
}

void Store::remove_subtree(View& v, const Conn& cn, const std::string& path, const std::string& root) {
  const Node* n = v.find(path);
  if (!n) return;
  const std::vector<std::string> children = n->children;
  for (const auto& child : children) remove_subtree(v, cn, path == "/" ? "/" + child : path + "/" + child, root);
  const XsPerms perms = v.find(path)->perms;
  // Fired before the node disappears, while its permissions can still be seen (delnode_sub).
  fire_watches(v, path, path != root, perms, nullptr);
  v.erase(path);
}

Errno Store::rm(ConnId c, TxId tx, std::string_view path) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  Transaction* t;
  if (Errno e = transaction_of(*cn, tx, t)) return e;
  if (Errno e = canonical(*cn, path, false)) return e;
  View v(*this, *cn, t);
  Errno err;
  if (!get_node(v, *cn, scratch_, kWrite, err)) {
    if (err == ENOENT) return v.find(parent_of(scratch_)) ? 0 : ENOENT;  // missing: fine if the parent exists
    return err;
  }
  if (scratch_ == "/") return EINVAL;
  const std::string root = scratch_;
  const std::string parent(parent_of(root));
  v.find(parent);
  remove_subtree(v, *cn, root, root);
  auto& siblings = v.modify(parent)->children;
  siblings.erase(std::find(siblings.begin(), siblings.end(), basename_of(root)));
  return 0;
}

Result<std::vector<std::string>> Store::directory(ConnId c, TxId tx, std::string_view path) {
  return look_up<std::vector<std::string>>(c, tx, path, false, [](const Node& n) { return n.children; });
}

Result<std::uint64_t> Store::directory_generation(ConnId c, TxId tx, std::string_view path) {
  return look_up<std::uint64_t>(c, tx, path, false, [](const Node& n) { return n.generation; });
}

Result<XsPerms> Store::get_perms(ConnId c, TxId tx, std::string_view path) {
  return look_up<XsPerms>(c, tx, path, true, [](const Node& n) { return n.perms; });
}

bool Store::domain_exists(DomId domid) const {
  if (domid == options_.priv_domid || domid == options_.store_domid) return true;
  auto it = domains_.find(domid);
  if (it != domains_.end()) return it->second.introduced;
  return options_.every_domain_exists && !released_.count(domid);
}

Errno Store::set_perms(ConnId c, TxId tx, std::string_view path, const XsPerms& perms) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  Transaction* t;
  if (Errno e = transaction_of(*cn, tx, t)) return e;
  if (perms.empty()) return EINVAL;
  if (!cn->privileged && perms.size() > options_.quotas.perms_per_node) return ENOSPC;
  if (Errno e = canonical(*cn, path, true)) return e;
  const bool special = is_special(scratch_);
  View v(*this, *cn, special ? nullptr : t);
  Errno err;
  const Node* n = get_node(v, *cn, scratch_, kWrite | kOwner, err);
  if (!n) return err;
  if (!cn->privileged && perms.front().domid != n->perms.front().domid) return EPERM;
  // do_set_perms: domain_alloc_permrefs marks entries naming a domain that does not exist as ignored,
  // and an ignored owner fails the request with ENOENT (other entries are kept). Found by the
  // differential check against C xenstored (docs/fidelity.md, S1).
  if (!domain_exists(perms.front().domid)) return ENOENT;
  const XsPerms old = n->perms;
  if (old.front().domid != perms.front().domid) {
    if (Errno e = check_owned_quota(*cn, perms.front().domid, 1)) return e;
    if (!v.tx) {
      add_owned(old.front().domid, -1);
      add_owned(perms.front().domid, 1);
    }
  }
  v.modify(scratch_)->perms = perms;
  if (!special) fire_watches(v, scratch_, false, perms, &old);  // set_perms_special fires nothing
  return 0;
}

// --- transactions ---

Result<TxId> Store::transaction_start(ConnId c) {
  using R = Result<TxId>;
  Conn* cn = conn(c);
  if (!cn) return R::error(ECONNRESET);
  if (!cn->privileged && cn->transactions.size() >= options_.quotas.transactions) return R::error(ENOSPC);
  TxId id = cn->next_tx;
  while (id == kNoTx || cn->transactions.count(id)) ++id;
  cn->next_tx = id + 1;
  cn->transactions.emplace(id, Transaction{});
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
  // finalize_transaction: every node the transaction touched must still have its recorded generation.
  for (const auto& [path, e] : t.entries) {
    auto g = nodes_.find(path);
    const std::uint64_t now = g == nodes_.end() ? kNoGeneration : g->second.generation;
    if (now != e.recorded_generation) return EAGAIN;
  }
  for (const auto& path : t.order) {
    TxEntry& e = t.entries.find(path)->second;
    if (!e.modified) continue;
    auto g = nodes_.find(path);
    if (g != nodes_.end()) add_owned(g->second.perms.front().domid, -1);
    if (e.node) {
      Node n = *e.node;
      n.generation = ++generation_;
      add_owned(n.perms.front().domid, 1);
      if (g != nodes_.end()) g->second = std::move(n);
      else nodes_.emplace(path, std::move(n));
    } else if (g != nodes_.end()) {
      nodes_.erase(g);
    }
  }
  for (const auto& path : t.order) {
    const TxEntry& e = t.entries.find(path)->second;
    if (e.fire) fire_now(path, e.fire_exact, e.fire_perms, nullptr);
  }
  return 0;
}

// --- watches ---

Errno Store::watch(ConnId c, std::string_view path, std::string_view token) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (Errno e = canonical(*cn, path, true)) return e;
  for (const auto& w : cn->watches)
    if (w.path == scratch_ && w.token == token) return EEXIST;
  if (!cn->privileged && cn->watches.size() >= options_.quotas.watches) return ENOSPC;
  Watch w;
  w.path = scratch_;
  w.token = std::string(token);
  if (!path.empty() && path[0] != '/' && path[0] != '@') w.relative_prefix = cn->implicit.size() + 1;
  cn->watches.push_back(std::move(w));
  // "We fire once up front: simplifies clients and restart."
  const Watch& added = cn->watches.back();
  queue_event(c, *cn, added, added.path);
  return 0;
}

Errno Store::unwatch(ConnId c, std::string_view path, std::string_view token) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (Errno e = canonical(*cn, path, true)) return e;
  auto it = std::find_if(cn->watches.begin(), cn->watches.end(),
                         [&](const Watch& w) { return w.path == scratch_ && w.token == token; });
  if (it == cn->watches.end()) return ENOENT;
  cn->watches.erase(it);
  return 0;
}

Errno Store::reset_watches(ConnId c) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  cn->watches.clear();
  cn->transactions.clear();
  return 0;
}

bool Store::has_event(ConnId c) const {
  const Conn* cn = conn(c);
  return cn && !cn->pending.empty();
}

std::size_t Store::pending_events(ConnId c) const {
  const Conn* cn = conn(c);
  return cn ? cn->pending.size() : 0;
}

std::optional<XsWatchEvent> Store::pop_event(ConnId c) {
  Conn* cn = conn(c);
  if (!cn || cn->pending.empty()) return std::nullopt;
  XsWatchEvent e = std::move(cn->pending.front());
  cn->pending.pop_front();
  return e;
}

void Store::fire_watches(View& v, const std::string& path, bool exact, const XsPerms& perms, const XsPerms* old) {
  if (v.tx) {  // queue_watches: fired at commit, in first-access order
    Errno ignored = 0;
    TxEntry* e = v.entry(path, ignored);
    if (e && !e->fire) {
      e->fire = true;
      e->fire_exact = exact;
      e->fire_perms = perms;
    }
    return;
  }
  fire_now(path, exact, perms, old);
}

void Store::fire_now(std::string_view path, bool exact, const XsPerms& perms, const XsPerms* old) {
  for (ConnId id = 0; id < conns_.size(); ++id) {
    Conn* cn = conns_[id].get();
    if (!cn) continue;
    for (std::size_t i = 0; i < cn->watches.size(); ++i) {
      const Watch& w = cn->watches[i];
      const bool match = exact ? path == w.path : is_child(path, w.path);
      if (match && watch_permitted(*cn, path, perms, old)) queue_event(id, *cn, w, path);
    }
  }
}

void Store::fire_special(std::string_view name) {
  const Node* special = peek(name);
  for (ConnId id = 0; id < conns_.size(); ++id) {
    Conn* cn = conns_[id].get();
    if (!cn) continue;
    for (const Watch& w : cn->watches)
      if (w.path == name && (cn->privileged || (special && (perm_for(*cn, special->perms) & kRead))))
        queue_event(id, *cn, w, name);
  }
}

bool Store::watch_permitted(const Conn& cn, std::string_view path, const XsPerms& perms, const XsPerms* old) const {
  if (cn.privileged) return true;
  if (perm_for(cn, perms) & kRead) return true;
  if (old && (perm_for(cn, *old) & kRead)) return true;
  const Node* parent = peek(parent_of(path));
  return parent && (perm_for(cn, parent->perms) & kRead);
}

void Store::queue_event(ConnId, Conn& cn, const Watch& w, std::string_view path) {
  const std::string_view shown = path.substr(std::min(w.relative_prefix, path.size()));
  if (shown.size() + w.token.size() + 2 > kPayloadMax) return;  // send_event drops what cannot be sent
  if (options_.coalesce_events && !is_special(path)) {
    for (const auto& e : cn.pending)
      if (e.path == shown && e.token == w.token) return;  // "dropping duplicate watch"
  }
  cn.pending.push_back(XsWatchEvent{std::string(shown), w.token});
  if (cn.listener) cn.listener();
}

// --- domains ---

Errno Store::introduce_domain(ConnId c, DomId domid, std::uint64_t mfn, std::uint32_t port) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (!cn->privileged) return EACCES;
  if (domid == options_.priv_domid || port == 0) return EINVAL;
  Domain& d = domains_[domid];
  const bool first = !d.introduced;
  d.introduced = true;
  d.mfn = mfn;
  d.port = port;  // a second introduce only re-binds the event channel
  if (first) fire_special("@introduceDomain");
  return 0;
}

Errno Store::release_domain(ConnId c, DomId domid) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (!cn->privileged) return EACCES;
  if (domid == options_.priv_domid) return EINVAL;
  auto it = domains_.find(domid);
  if (it == domains_.end() || !it->second.introduced) return ENOENT;
  released_.insert(it->first);
  domains_.erase(it);
  // domain_adjust_node_perms, applied at once: the released domain's nodes become dom0's and its entries
  // are ignored, so a later domain reusing the domid inherits nothing.
  for (auto& [path, node] : nodes_) {
    XsPerms& p = node.perms;
    if (p.front().domid == domid) {
      add_owned(domid, -1);
      add_owned(options_.priv_domid, 1);
      p.front().domid = options_.priv_domid;
    }
    p.erase(std::remove_if(p.begin() + 1, p.end(), [&](const XsPerm& e) { return e.domid == domid; }), p.end());
  }
  fire_special("@releaseDomain");
  return 0;
}

Result<std::string> Store::get_domain_path(ConnId c, DomId domid) {
  if (!conn(c)) return Result<std::string>::error(ECONNRESET);
  return Result<std::string>::success(implicit_path(domid));
}

Result<bool> Store::is_domain_introduced(ConnId c, DomId domid) {
  Conn* cn = conn(c);
  if (!cn) return Result<bool>::error(ECONNRESET);
  if (!cn->privileged) return Result<bool>::error(EACCES);
  if (domid == options_.priv_domid) return Result<bool>::success(true);
  auto it = domains_.find(domid);
  return Result<bool>::success(it != domains_.end() && it->second.introduced);
}

Result<std::uint32_t> Store::domain_features(ConnId c, DomId domid) {
  Conn* cn = conn(c);
  if (!cn) return Result<std::uint32_t>::error(ECONNRESET);
  if (!cn->privileged) return Result<std::uint32_t>::error(EACCES);
  auto it = domains_.find(domid);
  if (it == domains_.end() || !it->second.introduced) return Result<std::uint32_t>::error(ENOENT);
  return Result<std::uint32_t>::success(it->second.features);
}

Errno Store::set_domain_features(ConnId c, DomId domid, std::uint32_t features) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (!cn->privileged) return EACCES;
  auto it = domains_.find(domid);
  if (it == domains_.end() || !it->second.introduced) return ENOENT;
  it->second.features = features;
  return 0;
}

const Node* Store::peek(std::string_view absolute_path) const {
  auto it = nodes_.find(absolute_path);
  return it == nodes_.end() ? nullptr : &it->second;
}

}  // namespace xenrace::xs
