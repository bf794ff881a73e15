// The hypervisor's domain lifecycle, as hotplug code sees it: a domain is created, runs, shuts down or
// crashes, is dying while the toolstack destroys it, and is gone. xenstored hears of every change
// (VIRQ_DOM_EXC) and fires @releaseDomain as C xenstored 4.17 does: once when a domain is first seen shut
// down, and when it is destroyed (backends/sim/xenstore/xs_domain.hpp, D2-D6). Races such as "the toolstack
// waits for @releaseDomain while the domain is already dying" (Xen d3ec7b04d0) are written against this.
#pragma once
#include <cstdint>

#include "world/result.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

// What the hypervisor says of a domain (xc_domain_getinfo's flags): gone when it has no such domain.
enum class DomainState : std::uint8_t { running, shut_down, dying, gone };
const char* to_string(DomainState s);

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;
  // A new domain with this domid (domain_create). EEXIST when one exists and is not gone.
  virtual Errno create_domain(DomId domid) = 0;
  // The guest shuts down or crashes (SCHEDOP_shutdown): it stays until destroyed. ENOENT when there is none.
  virtual Errno shutdown_domain(DomId domid) = 0;
  // The toolstack destroys it (XEN_DOMCTL_destroydomain): dying until its last page goes...
  virtual Errno destroy_domain(DomId domid) = 0;
  // ...then gone: the domid may be used again.
  virtual Errno reap_domain(DomId domid) = 0;
  // The domain's state now, as the toolstack asks it (xc_domain_getinfo): running, shut_down, dying or gone.
  virtual DomainState domain_state(DomId domid) = 0;
};

}  // namespace xenrace
