#include "backends/sim/xenstore/xs_domain.hpp"

#include <algorithm>
#include <vector>

#include "backends/sim/xenstore/xs_path.hpp"
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

Domain* Store::find_domain(DomId domid) {
  auto it = domains_.find(domid);
  return it == domains_.end() ? nullptr : &it->second;
}

// find_or_alloc_domain: a domain struct takes the tree's generation without incrementing it, so nodes
// written before it existed (a reused domid's) can be told apart (chk_domain_generation).
Domain& Store::known_domain(DomId domid) {
  auto [it, fresh] = domains_.try_emplace(domid);
  if (fresh) it->second.generation = tree_.generation;
  return it->second;
}

DomainState Store::hypervisor_state(DomId domid) const {
  if (domid == options_.priv_domid || domid == options_.store_domid) return DomainState::running;
  if (auto it = hypervisor_.find(domid); it != hypervisor_.end()) return it->second;
  return options_.every_domain_exists ? DomainState::running : DomainState::gone;
}

bool Store::domain_created(DomId domid) const {
  if (domid == options_.priv_domid || domid == options_.store_domid) return true;
  auto it = hypervisor_.find(domid);
  return it != hypervisor_.end() && it->second != DomainState::gone;
}

std::vector<DomId> Store::hypervisor_domains() const {
  std::vector<DomId> out = {options_.priv_domid};
  if (options_.store_domid != options_.priv_domid) out.push_back(options_.store_domid);
  for (const auto& [domid, state] : hypervisor_)
    if (state != DomainState::gone && domid != options_.priv_domid && domid != options_.store_domid) out.push_back(domid);
  std::sort(out.begin(), out.end());
  return out;
}

// --- requests ---

Errno Store::introduce_domain(ConnId c, DomId domid, std::uint64_t mfn, std::uint32_t port) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (!cn->privileged) return EACCES;
  if (port == 0) return EINVAL;  // "port <= 0"
  // The model has no rings to map: an INTRODUCE is taken as the hypervisor's word that the domain exists.
  hypervisor_domain_created(domid);
  Domain& d = known_domain(domid);
  d.mfn = mfn;
  d.port = port;  // a second introduce only re-binds the event channel
  if (d.introduced) return 0;
  d.introduced = true;
  if (domid != options_.priv_domid) fire_special("@introduceDomain");
  return 0;
}

Domain* Store::connected_domain(ConnId c, DomId domid, Errno& err) {
  const Conn* cn = conn(c);
  err = !cn ? ECONNRESET : !cn->privileged ? EACCES : domid == 0 ? EINVAL : 0;  // atoi() == 0: EINVAL
  if (err) return nullptr;
  Domain* d = find_domain(domid);
  if (!d || !d->introduced) err = ENOENT;
  return err ? nullptr : d;
}

Errno Store::release_domain(ConnId c, DomId domid) {
  Errno err;
  if (!connected_domain(c, domid, err)) return err;
  destroy_domain(domid);
  return 0;
}

Errno Store::resume_domain(ConnId c, DomId domid) {
  Errno err;
  Domain* d = connected_domain(c, domid, err);
  if (!d) return err;
  d->shutdown_seen = false;
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
  constexpr DomId kDomidSelf = 0x7FF0;
  if (domid == kDomidSelf) return Result<bool>::success(true);
  const Domain* d = find_domain(domid);
  return Result<bool>::success(d && d->introduced);
}

Result<std::uint32_t> Store::domain_features(ConnId c, DomId domid) {
  Conn* cn = conn(c);
  if (!cn) return Result<std::uint32_t>::error(ECONNRESET);
  if (!cn->privileged) return Result<std::uint32_t>::error(EACCES);
  const Domain* d = find_domain(domid);
  if (!d || !d->introduced) return Result<std::uint32_t>::error(ENOENT);
  return Result<std::uint32_t>::success(d->features);
}

Errno Store::set_domain_features(ConnId c, DomId domid, std::uint32_t features) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (!cn->privileged) return EACCES;
  Domain* d = find_domain(domid);
  if (!d || !d->introduced) return ENOENT;
  d->features = features;
  return 0;
}

// --- the hypervisor ---

void Store::hypervisor_domain_created(DomId domid) {
  if (domain_created(domid)) return;
  hypervisor_[domid] = DomainState::running;
}

void Store::hypervisor_domain_state(DomId domid, DomainState state) {
  if (domid == options_.priv_domid || !domain_exists(domid)) return;  // a dead domain stays dead
  hypervisor_[domid] = state;
  check_domains();
}

// check_domains(), on VIRQ_DOM_EXC: a domain newly seen shut down fires @releaseDomain once; a dying or
// vanished introduced domain is destroyed (which fires it itself); a vanished domain that was never
// introduced is forgotten quietly.
void Store::check_domains() {
  bool notify = false;
  std::vector<DomId> destroy, forget;
  for (auto& [domid, d] : domains_) {
    if (domid == options_.priv_domid) continue;
    const DomainState state = hypervisor_state(domid);
    const bool valid = state != DomainState::gone;
    if (!d.introduced) {
      if (!valid) forget.push_back(domid);
      continue;
    }
    if (valid) {
      if (state == DomainState::shut_down && !d.shutdown_seen) {
        d.shutdown_seen = true;
        notify = true;
      }
      if (state != DomainState::dying) continue;
    }
    destroy.push_back(domid);
    notify = false;  // destroy_domain() fires the watch
  }
  for (DomId domid : forget) domains_.erase(domid);
  for (DomId domid : destroy) destroy_domain(domid);
  if (notify) fire_special("@releaseDomain");
}

// destroy_domain(): the domain's connections go, the nodes it owns are removed (domain_tree_remove, as
// xenstored runs without -K), its entries leave the special nodes' permissions, then @releaseDomain.
void Store::destroy_domain(DomId domid) {
  for (auto& owner : conns_)
    if (owner && owner->domid == domid && !owner->privileged) owner.reset();
  remove_owned_nodes(domid);
  for (XsPerms* p : {&introduce_perms_, &release_perms_}) {  // remove_domid_from_perm
    if (p->front().domid == domid) p->front().domid = options_.priv_domid;
    for (std::size_t i = p->size(); i-- > 1;)
      if ((*p)[i].domid == domid) p->erase(p->begin() + static_cast<long>(i));
  }
  domains_.erase(domid);
  fire_special("@releaseDomain");
}

// domain_tree_remove(): a pre-order walk from "/"; a node the domain owns is removed with its subtree.
void Store::remove_owned_nodes(DomId domid) {
  if (owned_nodes(domid) == 0) return;
  std::vector<std::string> stack{"/"}, doomed;
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    const Node* n = tree_.find(path);
    if (!n) continue;
    if (n->perms.front().domid == domid && path != "/") {
      doomed.push_back(path);
      continue;  // skip the children: they go with it
    }
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it)
      stack.push_back(path == "/" ? "/" + *it : path + "/" + *it);
  }
  View v = View(tree_, nullptr, 0);
  for (const std::string& path : doomed) rm_node(v, path);
}

}  // namespace xenrace::xs
