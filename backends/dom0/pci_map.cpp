#include "backends/dom0/pci_map.hpp"

#include "backends/dom0/pci_sysfs.hpp"

namespace xenrace::dom0 {

std::optional<std::string> PciMap::map(const std::string& scenario_bdf) {
  const std::string bdf = canonical_bdf(scenario_bdf);
  if (bdf.empty()) return std::nullopt;
  if (auto h = host_of(bdf)) return h;
  if (pairs_.size() >= allowed_.size()) return std::nullopt;
  pairs_.emplace_back(bdf, allowed_[pairs_.size()]);
  return pairs_.back().second;
}

std::optional<std::string> PciMap::host_of(const std::string& scenario_bdf) const {
  const std::string bdf = canonical_bdf(scenario_bdf);
  for (const auto& [s, h] : pairs_)
    if (s == bdf) return h;
  return std::nullopt;
}

std::optional<std::string> PciMap::scenario_of(const std::string& host_bdf) const {
  for (const auto& [s, h] : pairs_)
    if (h == host_bdf) return s;
  return std::nullopt;
}

}  // namespace xenrace::dom0
