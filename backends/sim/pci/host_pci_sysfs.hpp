// pciback's sysfs half when a host provides it (dom0's `pciback = real`) instead of SimPciBack's table of
// simulated devices. SimPciBack then forwards the six sysfs files to it and keeps only the xenbus half,
// which still needs to know whether a device is bound to pciback when it exports one to a guest.
#pragma once
#include <optional>
#include <string>

#include "world/pci.hpp"

namespace xenrace {

class HostPciSysfs : public PciSysfs {
 public:
  // The driver holding `addr` now ("" when unbound; nullopt when there is no such device, or none the run
  // may touch). Read without a scheduling point or a trace event: in the kernel, xen-pciback's xenbus half
  // looks the device up (pcistub_get_pci_dev_by_slot) inside its own handler, not as a sysfs access of
  // its own, so the simulator's schedule has no step for it.
  virtual std::optional<std::string> driver_now(const PciAddress& addr) = 0;
};

}  // namespace xenrace
