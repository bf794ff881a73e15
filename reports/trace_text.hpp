// A trace as text for a terminal or a log: one line per event (step, virtual time, actor, operation,
// arguments, result), with polling loops folded. A run of consecutive repeats of the same event, or of the
// same short cycle of events, compared on (actor, operation, arguments, result), is printed once and
// marked `…×N`, so a 100-line wait loop takes one or two lines. The time column shows the virtual clock
// only where it moves, and is left out when it never moves. The reports keep every event.
// A failing execution's decisive steps (reports/racing_pair.hpp) are marked at the end of their lines:
// "<- the stale read", "<- made it stale", "<- uses the stale value (read at step N)", or, when no read went
// stale, "<- races with step N" on both ends of the racing pair. A marked event is never folded away.
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
  bool mark_race = true;      // a failing execution: mark its racing pair (and the use of a stale read)
};

// One marked event: its index into ExecutionResult::events and what the mark says ("the stale read").
struct TraceMark {
  std::size_t event = 0;
  std::string text;
};

// The marks of a failing execution, in trace order; none for a passing one or when there is no racing pair.
std::vector<TraceMark> race_marks(const ExecutionResult& r);

// The racing pair in one line, for a failure's short summary: "stale read at step 41 (xl pci-attach 1:
// xs.read /n -> 1), made stale at step 57 by xl pci-attach 2 (xs.write /n=1), used at step 63 (xs.write /n=2)",
// or "racing pair: step 12 (A: ...) and step 15 (B: ...)". "" when race_marks has nothing to mark.
std::string race_summary(const ExecutionResult& r);

std::string trace_text(const ExecutionResult& r, const TraceTextOptions& options = {});

}  // namespace xenrace::reports
