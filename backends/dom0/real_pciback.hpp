// The host's REAL xen-pciback sysfs files as a scenario's PCI sysfs half (`pciback = real`, `allow_pci`).
// Each method is exactly one read or write of one file below the sysfs root (/sys on a host), done in an
// IoWindow, and returns the errno the kernel gave; it is traced under the simulated pciback's names
// (pci.new_slot, pci.bind, ...) with the scenario's address, so a token's steps line up.
//
// Confinement: the scenario's addresses are mapped to the allowed host functions (backends/dom0/pci_map.hpp). A
// scenario address that cannot be mapped is refused with EACCES and nothing is touched; `refused` is told
// why, so that the run is reported skipped (it cannot play the scenario as written) rather than as a
// verdict. A malformed address is refused as the simulated pciback refuses it, also without a write.
// `slots` shows only entries of mapped devices, as the scenario's addresses.
//
// Ledger: at a device's first use, before anything is written for it, its driver and its pciback slot
// entries are read and written to the ledger (kind pci-dev, real_pci_device.hpp). The destructor (end of
// the execution) puts every such device back and releases its entry; an interrupt or `xenrace cleanup`
// does the same from the ledger. Every write holds a Ledger::Change, so an interrupt waits for it.
//
// The kernel's behaviour (what bind or new_slot do) is the host's; nothing of it is modelled here.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/dom0/ledger.hpp"
#include "backends/dom0/pci_map.hpp"
#include "backends/dom0/real_pci_device.hpp"
#include "backends/sim/pci/host_pci_sysfs.hpp"
#include "runtime/execution.hpp"

namespace xenrace::dom0 {

class RealPciBack final : public HostPciSysfs {
 public:
  // `allowed`: canonical host BDFs (Dom0Config::allow_pci). `refused` is called outside any IoWindow.
  RealPciBack(Execution& ex, Ledger& ledger, std::string sysfs_root, std::vector<std::string> allowed,
              std::function<void(const std::string& why)> refused);
  ~RealPciBack() override;  // restores the devices it recorded

  Errno new_slot(std::string_view bdf) override;
  Errno remove_slot(std::string_view bdf) override;
  Result<std::vector<std::string>> slots() override;
  Errno bind(std::string_view bdf) override;
  Errno unbind(std::string_view bdf) override;
  Result<std::string> driver(std::string_view bdf) override;
  std::optional<std::string> driver_now(const PciAddress& addr) override;

  const PciMap& map() const { return map_; }
  // Puts every recorded device back now and releases its ledger entry; idempotent. One that cannot be put
  // back stays in the ledger for the session's cleanup (which reports it) or `xenrace cleanup`.
  void restore();

 private:
  // The host device for a scenario address, recording it first if it is new. Otherwise the errno to
  // return: `malformed` for an address that is not one function, EACCES when no allowed device is left,
  // or why the device could not be recorded.
  Result<std::string> target(std::string_view scenario_bdf, Errno malformed);
  // One write of the host BDF to the file `path(host)`, traced as `op` with the scenario's address.
  Errno write_op(const char* op, std::string_view bdf, Errno malformed,
                 const std::function<std::string(const std::string& host)>& path);

  Execution& ex_;
  Ledger& ledger_;
  std::string root_;
  PciMap map_;
  std::function<void(const std::string&)> refused_;
  struct Recorded {
    PciDeviceRecord was;
    std::uint64_t ledger_id = 0;
    bool restored = false;
  };
  std::vector<Recorded> recorded_;
};

}  // namespace xenrace::dom0
