#include "runtime/execution.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace xenrace {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::passed: return "passed";
    case Outcome::invariant_violated: return "invariant violated";
    case Outcome::deadlock: return "deadlock";
    case Outcome::actor_failed: return "actor failed";
    case Outcome::step_limit: return "step limit";
  }
  return "?";
}

Execution::Execution(Strategy& strategy, StackPool& stacks, ExecutionOptions options)
    : options_(std::move(options)),
      sched_(stacks, strategy, static_cast<std::uint32_t>(options_.max_steps)),
      trace_(options_.keep_trace) {
  if (options_.os_threads) sched_.use_os_threads();
}

void Execution::world_state(StatePart part) {
  world_described_ = true;
  state_parts_.push_back(std::move(part));
}

// Until the scenario describes its own state, what it keeps outside the world is unknown: no key is taken (and
// the scheduler does not even look at its actors).
void Execution::scenario_state(StatePart part) {
  state_parts_.push_back(std::move(part));
  if (sched_.caches_states()) sched_.set_state_source([this](StateHasher& h) { return hash_state(h); });
}

// A world that says nothing of itself (the dom0 backend: the host's state) makes every key unknown.
bool Execution::hash_state(StateHasher& h) {
  // An actor/kill hook counts each hooked actor's operations where no state part can see them.
  if (!world_described_ || !violated_check_.empty() || visible_hook_actors_ != 0) return false;
  for (const StatePart& part : state_parts_)
    if (!part(h)) return false;
  return true;
}

Execution::~Execution() {
  // Actor stacks may hold references into owned objects: unwind them first. Then destroy the owned
  // objects newest first, so an object may safely refer to any object made before it.
  sched_.unwind_all();
  while (!owned_.empty()) owned_.pop_back();
}

ActorId Execution::spawn_actor(std::string name, std::function<void()> body, ActorKind kind) {
  ActorId id = sched_.spawn(name, std::move(body), kind);
  trace_.name_actor(id, name);
  return id;
}

void Execution::actor_returned_error(const std::string& error) { throw std::runtime_error(error); }

void Execution::always(std::string name, Check check) { always_.push_back({std::move(name), std::move(check)}); }
void Execution::at_end(std::string name, Check check) { at_end_.push_back({std::move(name), std::move(check)}); }
void Execution::settle(std::string name, Check wait) { settle_.push_back({std::move(name), std::move(wait)}); }
void Execution::not_modelled(std::string what) {
  if (std::find(not_modelled_.begin(), not_modelled_.end(), what) == not_modelled_.end())
    not_modelled_.push_back(std::move(what));
}

void Execution::unchecked(std::string name, std::string why) {
  unchecked_.push_back(fmt::format("{}: {}", name, why));
}

const std::string* Execution::param(std::string_view key) const {
  for (const auto& [k, v] : options_.params)
    if (k == key) return &v;
  return nullptr;
}

std::string_view Execution::current_actor_name() const {
  return sched_.in_actor() ? std::string_view(sched_.actor_name(sched_.current())) : std::string_view("harness");
}

void Execution::trace_record(std::string_view op, std::string_view args, std::string_view result) {
  trace_.record(sched_.steps(), sched_.in_actor() ? sched_.current() : kNoActor, sched_.now(), op, args, result);
}

namespace {
// Free mode: how often wait_until re-checks, as a real poll loop would (libxl polls backends every 100 ms).
constexpr VirtualTime kFreeModePoll = 10'000'000;
}  // namespace

void Execution::wake_waiters_after_record() {
  if (sched_.in_actor() && (checking_ & actor_bit(sched_.current()))) return;
  ++progress_epoch_;
  sched_.notify_all(progress_);
}

bool Execution::wait_until(const std::function<bool()>& condition, std::string_view what, VirtualTime timeout) {
  if (!sched_.in_actor()) throw std::logic_error("wait_until is for actors, not for setup or invariants");
  const ActorMask me = actor_bit(sched_.current());
  const VirtualTime deadline = timeout == kForever ? kForever : sched_.now() + timeout;
  for (;;) {
    // The condition may read anything, through footprints or not: the step that evaluates it is
    // dependent with every other (partial-order reduction stays sound whatever the condition reads).
    sched_.access_everything();
    checking_ |= me;
    const std::uint64_t epoch = progress_epoch_;
    bool holds = false;
    try {
      holds = condition();
    } catch (...) {
      checking_ &= ~me;
      throw;
    }
    checking_ &= ~me;
    if (holds) return true;
    // A condition that reads through visible operations yields inside itself: what other actors did then
    // woke nobody (this actor was not waiting yet), so look again rather than wait for the next change.
    if (progress_epoch_ != epoch) continue;
    const VirtualTime now = sched_.now();
    if (now >= deadline) return false;
    const VirtualTime left = deadline == kForever ? kForever : deadline - now;
    if (sched_.os_threads()) {
      sched_.sleep(std::min(left, kFreeModePoll));
    } else if (!sched_.wait(progress_, what, left)) {
      return condition();  // timed out: one last look, as a poll loop's final check would
    }
  }
}

void Execution::run_visible_hook() {
  if (sched_.in_actor() && (visible_hook_actors_ & actor_bit(sched_.current())) && visible_hook_) visible_hook_(*this);
}

void Execution::check_always() {
  for (const auto& inv : always_) {
    std::string what = inv.check();
    if (!what.empty()) {
      violated_check_ = inv.name;
      violation_ = std::move(what);
      sched_.request_stop();
      return;
    }
  }
}

ExecutionResult Execution::run() {
  ExecutionResult r;
  std::function<void()> after_step;
  bool stopped_by_caller = false;
  if (options_.keep_going) {
    after_step = [this, &stopped_by_caller] {
      if (!always_.empty()) check_always();
      if (!options_.keep_going(trace_)) {
        stopped_by_caller = true;
        sched_.request_stop();
      }
    };
  } else if (!always_.empty()) {
    after_step = [this] { check_always(); };
  }
  // Setup may already have broken an invariant.
  check_always();
  RunEnd end = violated_check_.empty() ? sched_.run(options_.max_steps, after_step) : RunEnd::stopped;

  if (!violated_check_.empty()) {
    r.outcome = Outcome::invariant_violated;
    r.check = violated_check_;
    r.message = violation_;
  } else if (!sched_.actor_error().empty()) {
    r.outcome = Outcome::actor_failed;
    r.check = "actor failed";
    r.message = fmt::format("{} failed: {}", sched_.actor_name(sched_.failed_actor()), sched_.actor_error());
  } else if (end == RunEnd::deadlock) {
    r.outcome = Outcome::deadlock;
    r.check = "deadlock";
    auto blocked = sched_.blocked_processes();
    r.message = fmt::format("deadlock: nothing can run and no timer is pending; blocked: {}", fmt::join(blocked, ", "));
  } else if (end == RunEnd::step_limit) {
    r.outcome = Outcome::step_limit;
    r.check = "step limit";
    r.message = fmt::format("no progress: still running after {} steps (a retry loop that never ends?)",
                            options_.max_steps);
  } else if (end == RunEnd::pruned) {
    r.pruned = true;
  } else if (stopped_by_caller) {
    r.stopped = true;
    r.inconclusive = "stopped half-way by its caller";
  } else {
    // Observed components act on their own time: give them the chance before the verdict.
    for (const auto& s : settle_) {
      std::string why = s.check();
      if (!why.empty()) {
        r.inconclusive = fmt::format("{}: {}", s.name, why);
        record("inconclusive", s.name, why);
        break;
      }
    }
    if (!settle_.empty()) check_always();
  }
  if (!r.failed() && !violated_check_.empty()) {  // broken once the observed component acted: a real failure
    r.outcome = Outcome::invariant_violated;
    r.check = violated_check_;
    r.message = violation_;
    r.inconclusive.clear();
  } else if (!r.failed() && r.inconclusive.empty() && !r.pruned) {
    for (const auto& inv : at_end_) {
      std::string what = inv.check();
      if (!what.empty()) {
        r.outcome = Outcome::invariant_violated;
        r.check = inv.name;
        r.message = std::move(what);
        break;
      }
    }
  }
  if (r.failed()) record("verdict", r.check, r.message);
  sched_.unwind_all();
  r.steps = sched_.steps();
  r.trace_hash = trace_.hash();
  r.schedule = sched_.schedule();
  r.unchecked = unchecked_;
  r.not_modelled = not_modelled_;
  if (trace_.keeps_events()) {
    r.events = trace_.events();
    r.actors = trace_.actor_names();
  }
  return r;
}

}  // namespace xenrace
