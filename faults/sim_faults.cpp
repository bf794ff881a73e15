#include "faults/sim_faults.hpp"

#include <string>

#include "faults/fault_plan.hpp"

namespace xenrace {
namespace {

// Asks the strategy whether a fault fires now: 0 = no, i > 0 = outcome i. Counts against max-faults.
std::uint32_t choose_fault(Execution& ex, const FaultPlan& plan, std::uint32_t outcomes) {
  if (faults_taken(ex) >= plan.max_faults) return 0;
  return ex.choose(1 + outcomes, ChoiceKind::fault);
}

void record_fault(Execution& ex, FaultPoint point, std::string_view target, std::string_view result) {
  std::string op = "fault.";
  op += fault_info(point).name;
  ex.record(op, target, result);
}

// The visible-operation hook of killable actors (installed only when actor/kill is on for them).
void maybe_kill(Execution& ex) {
  Scheduler& s = ex.sched();
  const ActorId self = s.current();
  if (s.exiting(self) || s.killed(self)) return;
  if (choose_fault(ex, FaultPlan::from_params(ex.options().params), 1) == 0) return;
  record_fault(ex, FaultPoint::actor_kill, s.actor_name(self), "SIGKILL");
  s.kill(self);
  throw ActorKilled{};  // unwinds now, before the operation; the scheduler runs its exit handlers
}

}  // namespace

unsigned faults_taken(Execution& ex) {
  unsigned n = 0;
  for (const Decision& d : ex.sched().schedule().decisions)
    if (d.kind == ChoiceKind::fault && d.value != 0) ++n;
  return n;
}

Errno fault_here(Execution& ex, FaultPoint point, std::string_view target) {
  if (ex.options().params.empty()) return 0;  // the common case: no fault enabled, nothing parsed
  const FaultPointInfo& info = fault_info(point);
  if (info.effect != FaultEffect::returns_error || info.errors.empty()) return 0;
  const FaultPlan plan = FaultPlan::from_params(ex.options().params);
  if (!plan.enables(point)) return 0;
  const std::uint32_t v = choose_fault(ex, plan, static_cast<std::uint32_t>(info.errors.size()));
  if (v == 0) return 0;
  const Errno e = info.errors[v - 1];
  record_fault(ex, point, target, errno_name(e));
  return e;
}

namespace {
int sim_fault_hook(Execution& ex, std::uint8_t point, std::string_view target) {
  return fault_here(ex, static_cast<FaultPoint>(point), target);
}
}  // namespace

void use_sim_faults(Execution& ex) {
  if (ex.fault_hook() == nullptr) ex.set_fault_hook(&sim_fault_hook);
}

namespace {
// kill_at_one_of's plan, one per execution.
struct OneKill {
  explicit OneKill(Execution&) {}
  std::uint32_t at = 0;  // the operation to die before, counted from 1; 0: never
  std::uint32_t seen = 0;
};

void kill_at_chosen_operation(Execution& ex) {
  OneKill& plan = ex.shared<OneKill>();
  Scheduler& s = ex.sched();
  const ActorId self = s.current();
  if (plan.at == 0 || ++plan.seen != plan.at || s.exiting(self) || s.killed(self)) return;
  // Killed before the trace says so: whoever waits until the actor is killed (wait_until) sees it then.
  s.kill(self);
  record_fault(ex, FaultPoint::actor_kill, s.actor_name(self), "SIGKILL");
  throw ActorKilled{};
}
}  // namespace

void kill_at_one_of(Execution& ex, ActorId actor, std::uint32_t operations) {
  if (ex.sched().os_threads()) return;
  const FaultPlan faults = FaultPlan::from_params(ex.options().params);
  if (faults.listed && !faults.enables(FaultPoint::actor_kill)) return;
  OneKill& plan = ex.shared<OneKill>();
  plan.at = ex.choose(operations + 1, ChoiceKind::fault);
  if (plan.at != 0) ex.hook_visible(actor_bit(actor), &kill_at_chosen_operation);
}

void make_killable(Execution& ex, ActorId actor, FaultDefault by_default) {
  if (ex.sched().os_threads()) return;  // real threads are not ours to kill at a point
  const FaultPlan plan = FaultPlan::from_params(ex.options().params);
  const bool on = plan.listed ? plan.enables(FaultPoint::actor_kill) : by_default == FaultDefault::on;
  if (on) ex.hook_visible(actor_bit(actor), &maybe_kill);
}

}  // namespace xenrace
