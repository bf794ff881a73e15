// The racing pair of a failing execution: the two events the timeline and the Chrome trace highlight as
// "where the interleaving went wrong". Definition (docs/report-format.md):
//   1. a stale read: an actor X reads an object (a value read, not a watch), another actor Y then changes it
//      (storing another value than X read, visible: outside a transaction or in one that committed), and X
//      then changes the object itself without reading it again, so X's change is built on the stale value
//      (the "dependent" write; a read and a write in one XenStore transaction do not count, the commit would
//      fail). The pair is X's read and Y's change. Of several, the one whose dependent write comes last,
//      then the latest change, then the latest read.
//   2. otherwise the last change refused with an error ("LOOP_CONFIGURE -> EBUSY"), and the latest change of
//      its object by another actor before it (not a close, unless there is nothing else): what it was refused
//      for, most often.
//   3. otherwise the last two events that come from different actors and touch the same object
//      (event_object), preferring pairs in which both, then one, change the object.
//   Harness events never race. No such pair (one actor, no shared object): no racing pair.
// It is a heuristic read from the trace, generic over scenarios: a lost update or a decision taken on an
// out-of-date value is the most common shape of these races, and the pair names both of its ends.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

#include "runtime/execution.hpp"

namespace xenrace::reports {

struct RacingPair {
  std::size_t first;   // index into ExecutionResult::events
  std::size_t second;  // later than first
  bool stale_read = false;                 // first is a read that second made stale
  std::optional<std::size_t> dependent;    // stale_read: the reader's later write built on the stale value
};

std::optional<RacingPair> find_racing_pair(const ExecutionResult& execution);

// "t3 /a=1" -> "t3": the XenStore transaction an operation runs in ("" outside one). transaction_end's
// arguments start with the id too ("t3 commit").
std::string_view transaction_of(const TraceEvent& e);

}  // namespace xenrace::reports
