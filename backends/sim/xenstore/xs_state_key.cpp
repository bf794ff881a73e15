// The store's part of a state key (runtime/state_key.hpp): what its future answers depend on, by value.
//
// Generations are not hashed as numbers: two orders of the same changes leave other numbers on the nodes,
// and nothing a client does depends on them but through comparisons. A transaction's commit compares a node's
// generation with the one it recorded at its first access, and a permission check compares it with the
// generation each domain was first known at (chk_domain_generation), where a domain known later gets the
// current counter. So each node contributes which known domains came before or with it, and whether it holds
// the current counter; and each node an open transaction recorded, whether the commit would find it as it was.
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

namespace {

void add_perms(StateHasher& h, const XsPerms& perms) {
  h.add(perms.size());
  for (const XsPerm& p : perms) {
    h.add(static_cast<char>(p.access));
    h.add(p.domid);
  }
}

}  // namespace

// An open transaction, as its commit and its later requests will see it: in first-access order (the order of the
// commit's writes and events), each node's private copy (as a node of the tree, plus whether it holds the current
// counter), whether the commit compares its generation and whether that comparison holds now (a node recorded
// missing is as it was again once removed; one recorded present never is once changed), and what the commit
// does with it.
void Store::hash_transaction(StateHasher& h, const Transaction& t) const {
  h.add(t.failed);
  h.add(t.node_created);
  h.add(t.order().size());
  for (const std::string& path : t.order()) {
    const AccessedNode& a = t.at(path);
    h.add(a.node.has_value());
    if (a.node) {
      const StateKey copy = node_part(path, *a.node);
      h.add(copy.a);
      h.add(copy.b);
      h.add(a.node->generation == tree_.generation);
    } else {
      h.add(path);
    }
    h.add(a.check_generation);
    if (a.check_generation) {
      const Node* now = tree_.find(path);
      h.add(a.generation == kNoGeneration);
      h.add((now ? now->generation : kNoGeneration) == a.generation);
    }
    h.add(a.modified);
    h.add(a.fire);
    h.add(a.fire_exact);
    h.add(a.original_perms.has_value());
    if (a.original_perms) add_perms(h, *a.original_perms);
  }
}

StateKey Store::node_part(std::string_view path, const Node& n) const {
  StateHasher h;
  h.add(path);
  h.add(n.value);
  add_perms(h, n.perms);
  h.add(n.children.size());
  for (const std::string& c : n.children) h.add(c);
  h.add(n.ignored_entries);
  for (const auto& [domid, d] : domains_)
    if (d.generation <= n.generation) h.add(domid);
  return h.key();
}

// The parts of the nodes changed since the last key, or of every node when the known domains changed, which
// each part names.
StateKey Store::node_sum() const {
  std::uint64_t domains = 0;
  for (const auto& [domid, d] : domains_) domains = word_hash::absorb(word_hash::absorb(domains, domid), d.generation);
  if (domains != tree_.sum_domains) {
    tree_.sum_domains = domains;
    tree_.sum = {};
    tree_.pending.clear();
    for (const auto& entry : tree_.nodes) {
      entry.second.key_part.summed = Node::KeyPart::Summed::no;
      tree_.pending.push_back(const_cast<NodeMap::value_type*>(&entry));
    }
  }
  for (NodeMap::value_type* entry : tree_.pending) {
    Node::KeyPart& k = entry->second.key_part;
    k.part = node_part(entry->first, entry->second);
    k.summed = Node::KeyPart::Summed::yes;
    tree_.sum.a += k.part.a;
    tree_.sum.b += k.part.b;
  }
  tree_.pending.clear();
  return tree_.sum;
}

StateKey Store::node_sum_by_walk() const {
  StateKey sum{};
  for (const auto& [path, n] : tree_.nodes) {
    const StateKey k = node_part(path, n);
    sum.a += k.a;
    sum.b += k.b;
  }
  return sum;
}

const std::string* Store::node_at_generation_by_walk() const {
  for (const auto& [path, n] : tree_.nodes)
    if (n.generation == tree_.generation) return &path;
  return nullptr;
}

bool Store::hash_state(StateHasher& h) const {
  h.add(conns_.size());
  for (const auto& cn : conns_) {
    h.add(cn != nullptr);
    if (!cn) continue;
    if (cn->sink) return false;
    h.add(cn->domid);
    h.add(cn->privileged);
    h.add(cn->watches.size());
    for (const Watch& w : cn->watches) {
      h.add(w.path);
      h.add(w.token);
      h.add(w.relative_prefix);
    }
    h.add(cn->transactions.size());
    for (const auto& [id, t] : cn->transactions) {
      h.add(id);
      hash_transaction(h, t);
    }
    h.add(cn->pending.size());
    cn->pending.for_each([&](const XsWatchEvent& e, bool mergeable) {
      h.add(e.path);
      h.add(e.token);
      h.add(mergeable);
    });
  }
  // The nodes in no particular order: each one's part, summed lane by lane, and which one holds the current
  // generation.
  const StateKey nodes = node_sum();
  h.add(tree_.nodes.size());
  h.add(nodes.a);
  h.add(nodes.b);
  h.add(node_at_generation() ? tree_.newest->second.key_part.part.a : 0);
  for (const auto& [owner, count] : tree_.owned) {
    h.add(owner);
    h.add(count);
  }
  for (const auto& [domid, d] : domains_) {
    h.add(domid);
    h.add(d.introduced);
    h.add(d.shutdown_seen);
    h.add(d.mfn);
    h.add(d.port);
    h.add(d.features);
    h.add(d.generation == tree_.generation);
  }
  for (const auto& [domid, state] : hypervisor_) {
    h.add(domid);
    h.add(static_cast<unsigned>(state));
  }
  add_perms(h, introduce_perms_);
  add_perms(h, release_perms_);
  return true;
}

}  // namespace xenrace::xs
