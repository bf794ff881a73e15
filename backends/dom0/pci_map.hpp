// Which real PCI function stands for each of a scenario's PCI addresses. A scenario names its own devices
// (pci-attach: 0000:04:00.0 and 0000:05:00.0, the simulator's host devices); with `pciback = real` each one
// it touches takes the next device the run was allowed (`allow_pci`, in the order given) at its first use.
// Setup touches devices in a fixed order, so every execution maps them alike. A scenario address for which
// no allowed device is left, or one that is not a single function (a wildcard, junk), is never mapped: the
// run must not touch a device it was not given.
//
// Only the sysfs half sees host addresses. XenStore (dev-N) keeps the scenario's: the xenbus half that reads
// it is the simulator's and asks the mapped sysfs half about the scenario's address.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xenrace::dom0 {

class PciMap {
 public:
  // `allowed`: canonical host BDFs.
  explicit PciMap(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}

  // The host device for `scenario_bdf`, mapping it now if it is new and a device is left; nullopt when it
  // is not one function or no allowed device is left.
  std::optional<std::string> map(const std::string& scenario_bdf);
  // Without mapping anything new.
  std::optional<std::string> host_of(const std::string& scenario_bdf) const;
  std::optional<std::string> scenario_of(const std::string& host_bdf) const;

  const std::vector<std::string>& allowed() const { return allowed_; }
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }  // (scenario, host)

 private:
  std::vector<std::string> allowed_;
  std::vector<std::pair<std::string, std::string>> pairs_;  // in the order of first use
};

}  // namespace xenrace::dom0
