#include "backends/dom0/real_pciback.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/pci_sysfs.hpp"
#include "world/visible_op.hpp"

namespace xenrace::dom0 {

RealPciBack::RealPciBack(Execution& ex, Ledger& ledger, std::string sysfs_root, std::vector<std::string> allowed,
                         std::function<void(const std::string&)> refused)
    : ex_(ex), ledger_(ledger), root_(std::move(sysfs_root)), map_(std::move(allowed)), refused_(std::move(refused)) {}

RealPciBack::~RealPciBack() {
  try {
    restore();
  } catch (...) {
    // The ledger still lists the device: the session's cleanup or `xenrace cleanup` restores it.
  }
}

void RealPciBack::restore() {
  // Newest first, as cleanup walks the ledger: in free mode two actors may record one device at its first
  // use, and the first record (its read came before any write of the run) is the one left in force.
  for (auto it = recorded_.rbegin(); it != recorded_.rend(); ++it) {
    Recorded& r = *it;
    if (r.restored) continue;
    // Counted in flight, so an interrupt arriving now waits for this restore and then finds the entry
    // released instead of writing the same files at the same time. Once an interrupt has closed the ledger,
    // its cleanup restores every device that is left: stop here.
    std::optional<Ledger::Change> change;
    try {
      change.emplace(ledger_);
    } catch (const std::runtime_error&) {
      return;
    }
    if (!restore_pci_device(r.was).ok) continue;
    ledger_.released(r.ledger_id);
    r.restored = true;
  }
}

Result<std::string> RealPciBack::target(std::string_view scenario_bdf, Errno malformed) {
  const std::string bdf(scenario_bdf);
  if (canonical_bdf(bdf).empty()) return Result<std::string>::error(malformed);
  auto host = map_.map(bdf);
  if (!host) {
    std::vector<std::string> taken;
    for (const auto& [s, h] : map_.pairs()) taken.push_back(fmt::format("{} for {}", h, s));
    if (refused_)
      refused_(fmt::format("--pciback real: the scenario uses PCI device {}, but every host device the run was given "
                           "(--allow-pci / allow_pci) already stands for another one ({})",
                           canonical_bdf(bdf), taken.empty() ? "none was given" : fmt::format("{}", fmt::join(taken, ", "))));
    return Result<std::string>::error(EACCES);
  }
  const bool known =
      std::any_of(recorded_.begin(), recorded_.end(), [&](const Recorded& r) { return r.was.bdf == *host; });
  if (!known) {
    // Its state before the run's first write, durably, before any write.
    PciDeviceRecord was;
    int err;
    {
      Scheduler::IoWindow io(ex_.sched());
      err = read_pci_device(root_, *host, was);
    }
    if (err) return Result<std::string>::error(err);  // not recorded, so not touched: the next use tries again
    recorded_.push_back(Recorded{was, ledger_.intend(kPciDeviceLedgerKind, was.ledger_fields()), false});
  }
  return Result<std::string>::success(*host);
}

Errno RealPciBack::write_op(const char* op, std::string_view bdf, Errno malformed,
                            const std::function<std::string(const std::string&)>& path) {
  return visible_op(ex_, op, bdf, [&] {
    Result<std::string> host = target(bdf, malformed);
    if (!host.ok()) return host.err;
    Ledger::Change change(ledger_);
    const std::string file = path(host.value);
    Scheduler::IoWindow io(ex_.sched());
    return write_file(file, host.value);
  });
}

Errno RealPciBack::new_slot(std::string_view bdf) {
  return write_op("pci.new_slot", bdf, EINVAL,
                  [this](const std::string&) { return pci_driver_dir(root_, kPcibackDriver) + "/new_slot"; });
}

Errno RealPciBack::remove_slot(std::string_view bdf) {
  return write_op("pci.remove_slot", bdf, EINVAL,
                  [this](const std::string&) { return pci_driver_dir(root_, kPcibackDriver) + "/remove_slot"; });
}

Errno RealPciBack::bind(std::string_view bdf) {
  // The driver core finds no device by a malformed name: ENODEV, as the simulated pciback says.
  return write_op("pci.bind", bdf, ENODEV,
                  [this](const std::string&) { return pci_driver_dir(root_, kPcibackDriver) + "/bind"; });
}

Errno RealPciBack::unbind(std::string_view bdf) {
  // Whichever driver holds it, through the device's own link, as libxl's sysfs_dev_unbind does.
  return write_op("pci.unbind", bdf, ENOENT,
                  [this](const std::string& host) { return pci_device_dir(root_, host) + "/driver/unbind"; });
}

Result<std::vector<std::string>> RealPciBack::slots() {
  return visible_op(ex_, "pci.slots", "", [&] {
    std::string text;
    int err;
    {
      Scheduler::IoWindow io(ex_.sched());
      err = read_file(pci_driver_dir(root_, kPcibackDriver) + "/slots", text);
    }
    if (err) return Result<std::vector<std::string>>::error(err);
    // Entries of devices the run was not given are the host's business: the scenario does not see them.
    std::vector<std::string> list;
    for (const auto& host : parse_pciback_slots(text))
      if (auto s = map_.scenario_of(canonical_bdf(host))) list.push_back(*s);
    return Result<std::vector<std::string>>::success(std::move(list));
  }, value_or_errno([](const std::vector<std::string>& list) { return fmt::format("{}", fmt::join(list, " ")); }));
}

Result<std::string> RealPciBack::driver(std::string_view bdf) {
  return visible_op(ex_, "pci.driver", bdf, [&] {
    Result<std::string> host = target(bdf, ENODEV);
    if (!host.ok()) return Result<std::string>::error(host.err);
    std::string name;
    int err;
    {
      Scheduler::IoWindow io(ex_.sched());
      err = read_pci_driver(root_, host.value, name);
    }
    return err ? Result<std::string>::error(err) : Result<std::string>::success(std::move(name));
  }, value_or_errno([](const std::string& name) { return name.empty() ? std::string("(none)") : name; }));
}

std::optional<std::string> RealPciBack::driver_now(const PciAddress& addr) {
  auto host = map_.host_of(format_bdf(addr));
  if (!host) return std::nullopt;  // never a device the run was not given
  std::string name;
  int err;
  {
    Scheduler::IoWindow io(ex_.sched());
    err = read_pci_driver(root_, *host, name);
  }
  if (err) return std::nullopt;
  return name;
}

}  // namespace xenrace::dom0
