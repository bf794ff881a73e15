// The store's part of a state key (runtime/state_key.hpp): what its future answers depend on, by value.
//
// Generations are not hashed as numbers: two orders of the same changes leave other numbers on the nodes,
// and nothing a client does depends on them but through comparisons. A transaction compares a node's
// generation with the one it recorded inside it (none is open here: the key is refused then), and a
// permission check compares it with the generation each domain was first known at (chk_domain_generation),
// where a domain known later gets the current counter. So each node contributes which known domains came
// before or with it, and whether it holds the current counter.
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

bool Store::hash_state(StateHasher& h) const {
  h.add(conns_.size());
  for (const auto& cn : conns_) {
    h.add(cn != nullptr);
    if (!cn) continue;
    if (!cn->transactions.empty() || cn->sink) return false;
    h.add(cn->domid);
    h.add(cn->privileged);
    h.add(cn->watches.size());
    for (const Watch& w : cn->watches) {
      h.add(w.path);
      h.add(w.token);
      h.add(w.relative_prefix);
    }
    h.add(cn->pending.size());
    cn->pending.for_each([&](const XsWatchEvent& e, bool mergeable) {
      h.add(e.path);
      h.add(e.token);
      h.add(mergeable);
    });
  }
  // The nodes in no particular order: each one's key, summed lane by lane.
  std::uint64_t sum_a = 0, sum_b = 0;
  for (const auto& [path, n] : tree_.nodes) {
    StateHasher nh;
    nh.add(path);
    nh.add(n.value);
    add_perms(nh, n.perms);
    nh.add(n.children.size());
    for (const std::string& c : n.children) nh.add(c);
    nh.add(n.ignored_entries);
    for (const auto& [domid, d] : domains_)
      if (d.generation <= n.generation) nh.add(domid);
    nh.add(n.generation == tree_.generation);
    const StateKey k = nh.key();
    sum_a += k.a;
    sum_b += k.b;
  }
  h.add(tree_.nodes.size());
  h.add(sum_a);
  h.add(sum_b);
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
