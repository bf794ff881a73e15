// Fault injection in the simulator: an enabled failure point is a choice the strategy makes and the
// schedule records (ChoiceKind::fault; 0 = "no fault", the default, is not stored). So exploration covers
// "fails here / does not", the replay token reproduces the fault, and the shrinker drops faults the
// failure does not need.
//
// A fake asks just after its scheduling point and before it changes anything, so a fault looks like the
// real component refusing the call:
//
//   ex_.before_visible();
//   if (Errno e = fault_here(ex_, FaultPoint::loop_configure, backing_file)) { ex_.record(op, args, errno_name(e)); return e; }
//
// A fault that fires leaves a trace event "fault.<point>" (args: `target`, result: the errno name)
// before the fake's own event, so the trace and its hash show it.
#pragma once
#include <string_view>

#include "faults/fault_catalogue.hpp"
#include "runtime/execution.hpp"

namespace xenrace {

// 0, or the injected errno. Asks the strategy only when the execution enables `point` and has taken
// fewer than max-faults faults; otherwise asks nothing and costs a scan of the params.
Errno fault_here(Execution& ex, FaultPoint point, std::string_view target = {});

// Faults this execution has taken so far: the fault decisions its schedule records with a non-zero value.
unsigned faults_taken(Execution& ex);

// actor/kill: the strategy may kill `actor` at any of its visible operations (before the operation
// happens), as SIGKILL would: it unwinds with ActorKilled and its at_exit handlers release what the
// kernel releases (fds, so AUTOCLEAR loops detach; its XenStore connection, so its transaction aborts
// and its watches go). Enabled when the params' faults list names actor/kill, or, with FaultDefault::on,
// also when the params have no faults list at all (a scenario whose race needs the kill). When it is not
// enabled the actor's operations cost nothing extra. Call right after spawning the actor.
enum class FaultDefault : std::uint8_t { off, on };
void make_killable(Execution& ex, ActorId actor, FaultDefault by_default = FaultDefault::off);

}  // namespace xenrace
