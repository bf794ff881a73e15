// Which failure points one execution may take and how many faults it may take at most. Both are read
// from the execution's params, which the replay token carries, so a replay re-enables the same points:
//   faults=xenstore/transaction_end,loop/configure   ("all": every point; "none": no point)
//   max-faults=K                                      (default 1)
// Without a faults param a point is off, except where the scenario switched it on by default
// (make_killable(..., FaultDefault::on)); a faults param, even "none", overrides those defaults.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "faults/fault_catalogue.hpp"
#include "runtime/execution.hpp"

namespace xenrace {

inline constexpr std::string_view kFaultsParam = "faults";
inline constexpr std::string_view kMaxFaultsParam = "max-faults";
inline constexpr unsigned kDefaultMaxFaults = 1;

struct FaultPlan {
  std::uint64_t enabled = 0;  // bit i set: FaultPoint i may fire
  bool listed = false;        // the params had a faults list (then scenario defaults do not apply)
  unsigned max_faults = kDefaultMaxFaults;

  bool enables(FaultPoint p) const { return (enabled >> static_cast<unsigned>(p)) & 1u; }
  bool any() const { return enabled != 0; }
  // Lenient and allocation-free: unknown names are skipped (the CLI rejected them already).
  static FaultPlan from_params(const Params& params);
};

// Strict, for the command line: throws UsageError naming the unknown point and the known ones.
std::vector<FaultPoint> parse_fault_list(std::string_view list);
// The sugar behind `explore --faults LIST --max-faults K`: validates LIST and appends the params.
void add_fault_params(Params& params, std::string_view list, std::optional<unsigned> max_faults);

}  // namespace xenrace
