// The racing pair of a failing execution: the two events the timeline and the Chrome trace highlight as
// "where the interleaving went wrong". Definition (docs/report-format.md):
//   the last two events before the verdict that come from different actors and touch the same object
//   (event_object), preferring pairs in which at least one event changes the object (is_read_only is false
//   for one of them). Among candidates the pair whose later event is latest wins, then the latest earlier
//   event. No such pair (one actor, no shared object): no racing pair.
// It is a heuristic read from the trace: the last conflicting access pair is where the final interleaving
// decision mattered in the shrunk schedule, which is what a reader looks for first.
#pragma once
#include <cstddef>
#include <optional>

#include "runtime/execution.hpp"

namespace xenrace::reports {

struct RacingPair {
  std::size_t first;   // index into ExecutionResult::events
  std::size_t second;  // later than first
};

std::optional<RacingPair> find_racing_pair(const ExecutionResult& execution);

}  // namespace xenrace::reports
