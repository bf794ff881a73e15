// A trace as text for a terminal or a log: one line per event (step, virtual time, actor, operation,
// arguments, result), with polling loops folded. A run of consecutive repeats of the same event, or of the
// same short cycle of events, compared on (actor, operation, arguments, result), is printed once and
// marked `…×N`, so a 100-line wait loop takes one or two lines. The time column shows the virtual clock
// only where it moves, and is left out when it never moves. The reports keep every event.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "runtime/execution.hpp"

namespace xenrace::reports {

// events[first, first + length) printed once, standing for `repeats` consecutive copies of itself
// (repeats == 1: printed as is).
struct TraceRun {
  std::size_t first = 0;
  std::size_t length = 1;
  std::size_t repeats = 1;
};

// The events in order, each repeated block taken as one run. At each position, the cycle length (1 to
// max_cycle) that covers the most events with at least two copies is taken, the shortest one on a tie.
std::vector<TraceRun> fold_repeats(const std::vector<TraceEvent>& events, std::size_t max_cycle = 8);

// Virtual time as seconds with six decimals: "2.500000s".
std::string format_virtual_time(VirtualTime t);

struct TraceTextOptions {
  bool fold = true;           // fold repeats (false: every event on its own line)
  std::string indent = "  ";  // before every line
};

std::string trace_text(const ExecutionResult& r, const TraceTextOptions& options = {});

}  // namespace xenrace::reports
