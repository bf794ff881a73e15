// Where pciback and a PCI device's driver live in sysfs, below a root that is /sys on a host (tests pass a
// temporary directory). Shared by the run's RealPciBack and by cleanup, which restores devices from a
// ledger alone.
//   ROOT/bus/pci/drivers/pciback/{new_slot,remove_slot,slots,bind,unbind}
//   ROOT/bus/pci/devices/<bdf>/driver -> ../../../bus/pci/drivers/<name>   (absent when unbound)
//   ROOT/bus/pci/drivers/<name>/bind                                     (to give a device back)
#pragma once
#include <string>
#include <vector>

namespace xenrace::dom0 {

inline constexpr const char* kSysfsRoot = "/sys";
inline constexpr const char* kPcibackDriver = "pciback";

std::string pci_driver_dir(const std::string& root, const std::string& driver);  // ROOT/bus/pci/drivers/NAME
std::string pci_device_dir(const std::string& root, const std::string& bdf);     // ROOT/bus/pci/devices/BDF

// The basename of the device's driver link into `out` ("" when unbound); ENODEV when the device does not
// exist. One readlink (and a stat when there is no link).
int read_pci_driver(const std::string& root, const std::string& bdf, std::string& out);

// pciback's `slots` file: one "dddd:bb:ss.f" per line, in the order they were added; blank lines and
// surrounding spaces are ignored.
std::vector<std::string> parse_pciback_slots(const std::string& text);

// `bdf` in the canonical form sysfs uses ("0000:03:00.0"), or "" when it is not one exact PCI function
// (short forms are completed; wildcards, junk and out-of-range fields give ""). A BDF that passes can be
// put into a path: it holds only hex digits, ':' and '.'.
std::string canonical_bdf(const std::string& bdf);

}  // namespace xenrace::dom0
