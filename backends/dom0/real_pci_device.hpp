// One real PCI function a run was allowed to give to pciback (`pciback = real`, `allow_pci`): the state it
// was in before the run's first write, kept in the ledger, and putting it back.
//
// A device carries no run id, so the ledger entry (kind `pci-dev`, fsync'd before the run writes anything
// for the device) is what makes it the run's. Restoring it, at the end of every execution, on error, on
// SIGINT/SIGTERM and with `xenrace cleanup LEDGER`, is three steps, each done only when needed, so running it
// twice changes nothing:
//   1. bound to pciback but was not before: unbind it (ROOT/bus/pci/devices/BDF/driver/unbind);
//   2. listed on pciback's slots a different number of times than before: remove_slot (which drops every
//      entry of the BDF), then new_slot as many times as it was listed;
//   3. unbound but had a driver before: bind it back (ROOT/bus/pci/drivers/ORIG/bind).
// A device that another driver took meanwhile is left alone and reported.
#pragma once
#include <string>
#include <vector>

#include "backends/dom0/cleanup.hpp"

namespace xenrace::dom0 {

inline constexpr const char* kPciDeviceLedgerKind = "pci-dev";

struct PciDeviceRecord {
  std::string root;         // the sysfs root ("/sys")
  std::string bdf;          // the host's BDF, canonical
  std::string driver;       // the driver that held it, "" for none
  int slot_entries = 0;     // how many times pciback's slots listed it

  std::vector<std::string> ledger_fields() const;  // ROOT BDF DRIVER("-": none) SLOT_ENTRIES
  // Throws std::runtime_error on a malformed entry (a BDF that is not one function, a relative root...).
  static PciDeviceRecord from_ledger(const std::vector<std::string>& fields);
};

// Reads the device's current driver and slot entries (two sysfs reads). Returns the errno: ENODEV when there
// is no such device, or why pciback's slots could not be read.
int read_pci_device(const std::string& root, const std::string& bdf, PciDeviceRecord& out);

// Puts the device back as `was` says (see above). `what` of the item names the device and its driver.
CleanupItem restore_pci_device(const PciDeviceRecord& was);

}  // namespace xenrace::dom0
