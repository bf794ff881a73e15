// The simulated hypervisor for process actors' programs (runtime/process/hypervisor_service.hpp): real libxl's
// xc_* calls, made through the fake libxenctrl, answered from the World's domains, so a domain a scenario
// created, shut down or destroyed is what libxl's next call sees. Each call is a step of the calling actor,
// traced "hv.<op>".
//
// What it keeps of its own: which domain owns each PCI device (XEN_DOMCTL_assign_device and deassign). A device
// it was not told of is the hardware domain's (dom0's), as one bound to pciback is before `xl pci-attach`.
// Answers are Xen 4.17's (xen/drivers/passthrough/pci.c, xen/common/domctl.c):
//   - a domain that does not exist: ESRCH, for every call that names one;
//   - test_assign_device of a device a guest owns: EINVAL;
//   - assign_device: EINVAL to a dying domain, EBUSY when a guest owns the device (the same guest included);
//   - deassign_device of a device the domain does not own: ENODEV; it goes back to dom0.
// I/O port, memory and interrupt permissions are granted to an existing domain, not recorded.
#pragma once
#include <cstdint>
#include <map>
#include <memory>

#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/process/hypervisor_service.hpp"

namespace xenrace {

class ProcessHypervisor final : public process::HypervisorService {
 public:
  explicit ProcessHypervisor(xs::Store& store) : store_(store) {}
  std::unique_ptr<process::ServedConnection> connect() override;

  // One call as the wire protocol names it: its trace event and the reply line (without the newline).
  struct Answer {
    process::ServedRequest event;
    std::string reply;
  };
  Answer call(std::string_view line);

  // The domain that owns PCI device `sbdf` (seg << 16 | bus << 8 | devfn): dom0 unless assigned.
  DomId owner_of(std::uint32_t sbdf) const;

 private:
  xs::Store& store_;
  std::map<std::uint32_t, DomId> owners_;  // devices assigned away from dom0
};

}  // namespace xenrace
