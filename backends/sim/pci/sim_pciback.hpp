// The simulated pciback driver and the host's PCI devices, as /sys/bus/pci shows them.
//
// Source of truth: Linux drivers/xen/xen-pciback/pci_stub.c (str_to_slot, pcistub_device_id_add,
// pcistub_device_id_remove, new_slot_store, remove_slot_store, slots_show, pcistub_probe, pcistub_remove,
// pcistub_get_pci_dev_by_slot, pcistub_put_pci_dev) and drivers/base/bus.c bind_store/unbind_store with
// drivers/base/dd.c __driver_probe_device. Facts: ../shared/docs/fidelity.md §6.
//
// Worked examples (each is a test in tests/pci/sim_pciback_test.cpp):
//   S1  new_slot "0000:03:00.0" twice: OK, OK; slots lists "0000:03:00.0" once (an entry already listed is not
//       added again since 9f8bee9c981f, v4.9; measured on Debian 12's 6.1 in docs/fidelity.md).
//   S2  new_slot "03:00.0" means domain 0; new_slot "0000:03:00.*" adds functions 0..7 (8 entries);
//       "0000:03:*.*" adds all 256 slot/function pairs. new_slot "0000:03:20.0" (slot > 0x1f),
//       "0000:03:00.8", "zz" and "" give EINVAL. Surrounding white space (echo's newline) is accepted.
//   S3  remove_slot removes the matching entry: after S1, remove_slot "0000:03:00.0" is OK and slots is
//       empty; a second remove_slot gives ENOENT. A wildcard remove_slot "0000:03:00.*" matches function 7
//       only (PCI_DEVFN(slot, -1) keeps the low bits), so it removes 0000:03:00.7 and nothing else.
//   S4  bind "0000:04:00.0" while the device is unbound and not on the slot list: ENODEV (pcistub_probe
//       refuses it). After new_slot: OK, driver() is "pciback". A second bind: EBUSY. bind of a BDF with
//       no device: ENODEV. bind while "e1000e" holds the device: EBUSY.
//   S5  unbind "0000:04:00.0" (bound to e1000e): OK and driver() is "". unbind of an unbound device or
//       of a missing one: ENOENT (the driver/unbind path does not exist).
//   S6  remove_slot of a device bound to pciback leaves it bound; only future probes are affected.
//   S7  claim() hands a pciback-bound device to one domain at a time (pcistub_get_pci_dev_by_slot: a
//       second claim fails, "perhaps already in-use?"); release() returns it; a device not bound to
//       pciback cannot be claimed. unbind of a claimed device takes it away from the guest (pcistub_remove
//       warns "removing device while still in-use by domain N") .
//
// Every sysfs access is a visible operation traced as "pci.<file>". claim/release are the kernel side
// of xen-pciback's xenbus driver and run inside that actor's steps, traced as "pciback.claim/release".
//
// Host devices by default: 0000:03:00.0, 0000:04:00.0, ... 0000:09:00.0 (seven: a boot device and six for
// pci-attach's `attaches`), each bound to its native driver "e1000e" (a setup choice; tests add others with
// add_host_device).
//
// Hybrid (dom0, `pciback = real`): constructed over a HostPciSysfs, it has no devices of its own; the six
// sysfs methods are the host's, and claim() asks the host which driver holds the device.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/sim/pci/host_pci_sysfs.hpp"
#include "runtime/execution.hpp"
#include "world/pci.hpp"
#include "world/world.hpp"

namespace xenrace {

class PcibackXenbus;
class Pcifront;

class SimPciBack final : public PciBack {
 public:
  SimPciBack(Execution& ex, World& world, bool default_devices = true);
  // The hybrid: `host` (which must outlive this) is the sysfs half; only the xenbus half is simulated.
  SimPciBack(Execution& ex, World& world, HostPciSysfs& host);
  ~SimPciBack() override;

  // Setup: a device present on the host, bound to `driver` ("" for none). Throws on a bad BDF.
  void add_host_device(std::string_view bdf, std::string driver);

  Errno new_slot(std::string_view bdf) override;
  Errno remove_slot(std::string_view bdf) override;
  Result<std::vector<std::string>> slots() override;
  Errno bind(std::string_view bdf) override;
  Errno unbind(std::string_view bdf) override;
  Result<std::string> driver(std::string_view bdf) override;
  Errno start_xenbus_drivers(DomId guest) override;

  // --- the kernel side, for xen-pciback's xenbus driver ---
  // pcistub_get_pci_dev_by_slot: true when `addr` is bound to pciback and no domain uses it; it is then
  // `domid`'s.
  bool claim(const PciAddress& addr, DomId domid);
  // pcistub_put_pci_dev: the device is free again. False when `domid` did not hold it.
  bool release(const PciAddress& addr, DomId domid);

  // --- inspection for invariants and tests (no scheduling, no trace) ---
  std::optional<DomId> user_of(const PciAddress& addr) const;
  std::vector<std::string> peek_slots() const;
  // The devices `guest`'s pcifront found on its bus at its last scan (real BDFs, sorted).
  std::vector<std::string> guest_devices(DomId guest) const;
  PcibackXenbus* backend_driver() { return backend_.get(); }
  Pcifront* frontend(DomId guest);
  // Its part of a state key (the devices, the slots, both xenbus drivers); false for the hybrid.
  bool hash_state(StateHasher& h) const;

 private:
  struct HostDevice {
    std::string driver;         // "" when unbound; unused in the hybrid (the host knows)
    std::optional<DomId> user;  // the domain pciback handed it to
  };
  HostDevice* find(const PciAddress& a);
  void touch_slots(AccessMode mode);
  void touch_device(const PciAddress& a, AccessMode mode);

  Execution& ex_;
  World& world_;
  HostPciSysfs* host_ = nullptr;  // the hybrid's sysfs half; null: the simulated devices below
  std::map<PciAddress, HostDevice> devices_;
  std::vector<PciAddress> slots_;  // pcistub_device_ids, in the order they were added
  // Declared last: the drivers hold XenStore connections and are destroyed first.
  std::unique_ptr<PcibackXenbus> backend_;
  std::map<DomId, std::unique_ptr<Pcifront>> frontends_;
};

}  // namespace xenrace
