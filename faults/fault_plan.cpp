#include "faults/fault_plan.hpp"

#include <charconv>
#include <string>

namespace xenrace {
namespace {

constexpr std::uint64_t kAllPoints = (std::uint64_t{1} << (static_cast<unsigned>(FaultPoint::actor_kill) + 1)) - 1;

// Calls f(name) for each comma-separated, non-empty name of `list`.
template <class F>
void for_each_name(std::string_view list, F f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) f(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::uint64_t bit(FaultPoint p) { return std::uint64_t{1} << static_cast<unsigned>(p); }

std::string known_names() {
  std::string out = "all, none";
  for (const auto& row : fault_catalogue()) {
    out += ", ";
    out += row.name;
  }
  return out;
}

}  // namespace

FaultPlan FaultPlan::from_params(const Params& params) {
  FaultPlan plan;
  for (const auto& [key, value] : params) {
    if (key == kFaultsParam) {
      plan.listed = true;
      for_each_name(value, [&](std::string_view name) {
        if (name == "all") plan.enabled |= kAllPoints;
        else if (auto p = find_fault_point(name)) plan.enabled |= bit(*p);
      });
    } else if (key == kMaxFaultsParam) {
      unsigned k = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), k);
      if (ec == std::errc() && end == value.data() + value.size()) plan.max_faults = k;
    }
  }
  return plan;
}

std::vector<FaultPoint> parse_fault_list(std::string_view list) {
  std::vector<FaultPoint> out;
  for_each_name(list, [&](std::string_view name) {
    if (name == "all") {
      for (const auto& row : fault_catalogue()) out.push_back(row.point);
    } else if (name == "none") {
    } else if (auto p = find_fault_point(name)) {
      out.push_back(*p);
    } else {
      throw UsageError("unknown fault point '" + std::string(name) + "'; known: " + known_names() +
                       " (see 'xenrace faults')");
    }
  });
  if (out.empty() && list.find("none") == std::string_view::npos)
    throw UsageError("--faults needs point names, 'all' or 'none' (see 'xenrace faults')");
  return out;
}

void add_fault_params(Params& params, std::string_view list, std::optional<unsigned> max_faults) {
  if (!list.empty()) {
    parse_fault_list(list);
    params.emplace_back(std::string(kFaultsParam), std::string(list));
  }
  if (max_faults) params.emplace_back(std::string(kMaxFaultsParam), std::to_string(*max_faults));
}

}  // namespace xenrace
