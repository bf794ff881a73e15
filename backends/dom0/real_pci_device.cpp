#include "backends/dom0/real_pci_device.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/pci_sysfs.hpp"

namespace xenrace::dom0 {
namespace {

int count_slot_entries(const std::string& root, const std::string& bdf, int& out) {
  std::string text;
  if (int e = read_file(pci_driver_dir(root, kPcibackDriver) + "/slots", text)) return e;
  const auto slots = parse_pciback_slots(text);
  out = static_cast<int>(std::count(slots.begin(), slots.end(), bdf));
  return 0;
}

}  // namespace

std::vector<std::string> PciDeviceRecord::ledger_fields() const {
  return {root, bdf, driver.empty() ? "-" : driver, std::to_string(slot_entries)};
}

PciDeviceRecord PciDeviceRecord::from_ledger(const std::vector<std::string>& f) {
  if (f.size() != 4) throw std::runtime_error("pci-dev entry needs 4 fields");
  PciDeviceRecord r;
  r.root = f[0];
  r.bdf = f[1];
  r.driver = f[2] == "-" ? std::string() : f[2];
  if (r.root.empty() || r.root[0] != '/') throw std::runtime_error("pci-dev entry: the sysfs root is not absolute");
  if (canonical_bdf(r.bdf) != r.bdf) throw std::runtime_error("pci-dev entry: '" + r.bdf + "' is not one PCI function");
  if (r.driver.find('/') != std::string::npos || r.driver == "." || r.driver == "..")
    throw std::runtime_error("pci-dev entry: '" + r.driver + "' is not a driver name");
  try {
    std::size_t used = 0;
    r.slot_entries = std::stoi(f[3], &used);
    if (used != f[3].size() || r.slot_entries < 0) throw std::invalid_argument(f[3]);
  } catch (const std::exception&) {
    throw std::runtime_error("pci-dev entry: '" + f[3] + "' is not a count of slot entries");
  }
  return r;
}

int read_pci_device(const std::string& root, const std::string& bdf, PciDeviceRecord& out) {
  out = PciDeviceRecord{root, bdf, {}, 0};
  if (int e = read_pci_driver(root, bdf, out.driver)) return e;
  return count_slot_entries(root, bdf, out.slot_entries);
}

CleanupItem restore_pci_device(const PciDeviceRecord& was) {
  CleanupItem item;
  item.what = fmt::format("pci {} (driver {}, {} pciback slot entr{})", was.bdf,
                          was.driver.empty() ? "none" : was.driver, was.slot_entries, was.slot_entries == 1 ? "y" : "ies");
  auto fail = [&](const char* step, int err) {
    item.result = fmt::format("failed: {}: {}", step, std::strerror(err));
    item.ok = false;
    return item;
  };
  const std::string pciback = pci_driver_dir(was.root, kPcibackDriver);
  std::vector<std::string> done;

  std::string now;
  if (int e = read_pci_driver(was.root, was.bdf, now)) {
    if (e != ENODEV) return fail("reading its driver", e);
    item.result = "already gone (no such device)";
    return item;
  }
  if (now == kPcibackDriver && was.driver != kPcibackDriver) {
    if (int e = write_file(pci_device_dir(was.root, was.bdf) + "/driver/unbind", was.bdf))
      return fail("unbind from pciback", e);
    done.push_back("unbound from pciback");
    now.clear();
  }
  int entries = 0;
  if (int e = count_slot_entries(was.root, was.bdf, entries)) return fail("reading pciback slots", e);
  if (entries != was.slot_entries) {
    if (entries > 0)
      if (int e = write_file(pciback + "/remove_slot", was.bdf); e && e != ENOENT) return fail("remove_slot", e);
    for (int i = 0; i < was.slot_entries; ++i)
      if (int e = write_file(pciback + "/new_slot", was.bdf)) return fail("new_slot", e);
    done.push_back(fmt::format("slot entries {} -> {}", entries, was.slot_entries));
  }
  if (now.empty() && !was.driver.empty()) {
    if (int e = write_file(pci_driver_dir(was.root, was.driver) + "/bind", was.bdf))
      return fail(was.driver == kPcibackDriver ? "bind to pciback" : "bind to its driver", e);
    done.push_back("bound to " + was.driver);
  } else if (now != was.driver) {
    item.result = fmt::format("left alone: now bound to {} (not the run's doing)", now);
    item.ok = false;
    return item;
  }
  item.result = done.empty() ? "already as it was" : fmt::format("restored ({})", fmt::join(done, ", "));
  return item;
}

}  // namespace xenrace::dom0
