// Fault injection in the simulator: an enabled failure point is a choice the strategy makes and the
// schedule records (ChoiceKind::fault; 0 = "no fault", the default, is not stored). So exploration covers
// "fails here / does not", the replay token reproduces the fault, and the shrinker drops faults the
// failure does not need.
//
// A fake declares its failure point at its visible operation (world/visible_op.hpp), which asks it just
// after the scheduling point and before the operation changes anything, so a fault looks like the real
// component refusing the call:
//
//   return visible_op(ex_, "loop.get_free", Fault{FaultPoint::loop_get_free}, "", [&] { ... });
//
// visible_op asks through the execution's fault hook; use_sim_faults() installs fault_here as that hook.
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

// Makes fault_here the execution's fault hook, unless a backend installed one already (dom0's, when a
// simulated component stands in on a real host). SimWorld and the constructor of every simulated component
// with a failure point call it, so a fake made on its own (as tests make them) explores its failure points too.
void use_sim_faults(Execution& ex);

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

// One kill of `actor`, at one of its first `operations` visible operations or never: a single fault choice,
// made now (0, the default: never; k: before its k-th operation), so every point is equally likely. For a
// long-running actor (a real script makes hundreds of operations) where make_killable's choice at every
// operation would kill it almost at once. The kill is as make_killable's: SIGKILL, traced fault.actor/kill.
// On unless the params' faults list leaves actor/kill out. One actor per execution, and not with
// make_killable in the same execution (one visible-operation hook). Call right after spawning the actor.
void kill_at_one_of(Execution& ex, ActorId actor, std::uint32_t operations);

}  // namespace xenrace
