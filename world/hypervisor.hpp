// The hypervisor's domain lifecycle, as hotplug code sees it: a domain is created, runs, shuts down or
// crashes, is dying while the toolstack destroys it, and is gone. xenstored hears of every change
// (VIRQ_DOM_EXC) and fires @releaseDomain as C xenstored 4.17 does: once when a domain is first seen shut
// down, and when it is destroyed (backends/sim/xenstore/xs_domain.hpp, D2-D6). Races such as "the toolstack
// waits for @releaseDomain while the domain is already dying" (Xen d3ec7b04d0) are written against this.
#pragma once
#include <cstdint>
#include <string_view>

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

  // PCI passthrough. A device belongs to dom0 until it is assigned to a guest (XEN_DOMCTL_assign_device), as
  // `xl create` does for a device in the guest's configuration and `xl pci-attach` for one hot-added. Xen 4.17's
  // answers: ESRCH with no such domain, EINVAL to a dying domain or to dom0 itself, EBUSY when a guest owns the
  // device already (that guest included); EINVAL for a `bdf` that does not parse.
  virtual Errno assign_device(DomId domid, std::string_view bdf) = 0;
  // The domain that owns the device now: dom0 unless assigned. EINVAL for a `bdf` that does not parse.
  virtual Result<DomId> device_owner(std::string_view bdf) = 0;
};

}  // namespace xenrace
