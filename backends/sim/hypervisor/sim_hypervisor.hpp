// The simulated hypervisor: world/hypervisor.hpp over the simulated xenstored's view of domains
// (xs::Store::hypervisor_domain_*), so every lifecycle change reaches xenstored at once, as
// VIRQ_DOM_EXC makes it call check_domains(). Every call is a visible operation "hv.<op>".
//
// It also keeps which domain owns each PCI device. The World's assign_device and the hypervisor calls of a
// real libxl (process_hypervisor.hpp, whose steps are its process actor's) both apply the same rules to that
// one table, below: Xen 4.17's xen/drivers/passthrough/pci.c (device_assigned, assign_device, deassign_device).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/execution.hpp"
#include "world/hypervisor.hpp"
#include "world/pci.hpp"

namespace xenrace {

class SimHypervisor final : public Hypervisor {
 public:
  SimHypervisor(Execution& ex, xs::Store& store);
  Errno create_domain(DomId domid) override;
  Errno shutdown_domain(DomId domid) override;
  Errno destroy_domain(DomId domid) override;
  Errno reap_domain(DomId domid) override;
  DomainState domain_state(DomId domid) override;
  Errno assign_device(DomId domid, std::string_view bdf) override;
  Result<DomId> device_owner(std::string_view bdf) override;

  // The rules themselves, with no scheduling point or event: for a caller whose step this already is. `sbdf` is
  // libxl's pci_encode_bdf (segment << 16 | bus << 8 | devfn).
  Errno assign(DomId domid, std::uint32_t sbdf);       // XEN_DOMCTL_assign_device
  Errno test_assign(DomId domid, std::uint32_t sbdf);  // XEN_DOMCTL_test_assign_device: EINVAL when a guest owns it
  Errno deassign(DomId domid, std::uint32_t sbdf);     // XEN_DOMCTL_deassign_device: ENODEV unless `domid` owns it
  DomId owner_of(std::uint32_t sbdf) const;
  bool domain_exists(DomId domid) const;                // created (or introduced) and not gone

 private:
  // Moves an existing domain to `state`; ENOENT when it is gone (or never was).
  Errno transition(const char* op, DomId domid, xs::DomainState state);

  Execution& ex_;
  xs::Store& store_;
  std::map<std::uint32_t, DomId> pci_owners_;  // devices assigned away from dom0
};

// pci_encode_bdf: segment << 16 | bus << 8 | slot << 3 | function; and back.
std::uint32_t encode_bdf(const PciAddress& a);
PciAddress decode_bdf(std::uint32_t sbdf);

// The environment of a real libxl on the fake libxenctrl (fake_xenctrl/): LD_LIBRARY_PATH to the directory it
// was built in. Its calls reach a process actor's ProcessOptions::hypervisor (process_hypervisor.hpp). Throws
// ComponentUnavailable when it was not built (no libxen-dev at configure time).
std::vector<std::string> fake_xenctrl_environment();

}  // namespace xenrace
