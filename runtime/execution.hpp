// One Execution is one run of one scenario variant under one strategy: it owns the Scheduler, the Trace,
// the invariants and every object the scenario builds for it (the world), and turns how the run ended
// into an ExecutionResult. Nothing outlives it, so executions never leak state into each other.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/scheduler.hpp"
#include "runtime/trace.hpp"

namespace xenrace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct ExecutionOptions {
  std::uint64_t max_steps = 20000;  // beyond this the execution is a livelock failure
  bool keep_trace = false;          // keep events (replay, reports), not just the hash
  Params params;                    // options a scenario or fake reads (fault points, sizes...)
  bool os_threads = false;          // actors as OS threads, no strategy picks (dom0 free mode)
  // Called with the trace after every step; false stops the run there with no verdict (replay --against
  // stops at the first step that differs from the recording instead of running to its end).
  std::function<bool(const Trace&)> keep_going;
};

enum class Outcome : std::uint8_t { passed, invariant_violated, deadlock, actor_failed, step_limit };
const char* to_string(Outcome o);

struct ExecutionResult {
  Outcome outcome = Outcome::passed;
  std::string check;    // the violated invariant's name, or the outcome's name
  std::string message;  // what went wrong, in the scenario's words
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  Schedule schedule;
  // Filled when the execution kept its trace (replay, reports).
  std::vector<TraceEvent> events;
  std::vector<std::string> actors;
  // Non-empty: a settle hook gave up waiting for an observed component (a real kernel driver never acted),
  // so the run has no verdict: neither a pass nor a failure (outcome stays `passed`; callers check this).
  std::string inconclusive;
  // Invariants this backend could not check (what they need is not observable here), "name: why" each. A
  // pass says nothing about them; reports list them.
  std::vector<std::string> unchecked;
  // What the scenario's inputs hold that the model does not apply (a unit file's ExecStartPre=, say), in
  // the scenario's words: a verdict says nothing about them, and reports list them.
  std::vector<std::string> not_modelled;
  // The strategy abandoned the run half-way (dpor's sleep sets showed every way on repeats an explored
  // schedule): no verdict, and not counted as an explored schedule.
  bool pruned = false;
  // ExecutionOptions::keep_going stopped the run half-way: no verdict (`inconclusive` says so).
  bool stopped = false;
  bool failed() const { return outcome != Outcome::passed; }
  // Two failures are "the same bug" for shrinking when they broke the same check.
  bool same_failure(const ExecutionResult& other) const { return outcome == other.outcome && check == other.check; }
};

// Returned by an actor body that ends with an error, like a program's non-zero exit.
struct ActorStatus {
  std::string error;  // empty: success
  static ActorStatus ok() { return {}; }
  static ActorStatus fail(std::string message) { return {std::move(message)}; }
};

class Execution {
 public:
  using Check = std::function<std::string()>;  // returns "" when the invariant holds, else what is wrong

  Execution(Strategy& strategy, StackPool& stacks, ExecutionOptions options);
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  // An actor body is `void()` (throw std::exception to fail) or `ActorStatus()`.
  template <class F>
  ActorId spawn(std::string name, F body, ActorKind kind = ActorKind::process) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&>, ActorStatus>) {
      return spawn_actor(std::move(name), [this, body = std::move(body)]() mutable {
        ActorStatus st = body();
        if (!st.error.empty()) actor_returned_error(st.error);
      }, kind);
    } else {
      return spawn_actor(std::move(name), std::function<void()>(std::move(body)), kind);
    }
  }
  template <class F>
  ActorId spawn_daemon(std::string name, F body) {
    return spawn(std::move(name), std::move(body), ActorKind::daemon);
  }

  // Checked after every step; the first violation stops the execution.
  void always(std::string name, Check check);
  // Checked once, when every process has finished.
  void at_end(std::string name, Check check);
  // Runs once when every process has finished and nothing was violated, before the final checks: it waits
  // (bounded, in real time) for a component the run only observes (a host's kernel driver) to act. It returns
  // "" once it did, else why not; the run is then inconclusive. The `always` checks are re-run after it.
  void settle(std::string name, Check wait);
  // An invariant the scenario would register but cannot check on this backend (the kernel state it reads is
  // not observable on a real host, say), and why. Not a check: it never fails a run; the result lists it.
  void unchecked(std::string name, std::string why);
  // An input directive the model leaves out (ExecutionResult::not_modelled); listed once however often said.
  void not_modelled(std::string what);

  // The state cache (runtime/state_key.hpp, DporStrategy). A part hashes state it owns into the key, or
  // returns false when it cannot describe it (then nothing is cached there). The world adds one for its
  // components (the simulator's does; a world that adds none is never described), and a scenario adds one
  // for what it keeps outside the world (its shared struct, its locks): until both have, no state of the
  // execution is cached. Actors describe their own stacks with Scheduler::Rest.
  using StatePart = std::function<bool(StateHasher&)>;
  void world_state(StatePart part);
  void scenario_state(StatePart part);

  // Blocks the calling actor until `condition()` holds, and says so: a run that ends with it still waiting
  // is a deadlock reported as "waiting for <what>". The condition is re-checked each time another actor has
  // performed a visible operation (in free mode, where the real kernel acts unseen, every `poll` of virtual
  // time), never in a busy loop. It may read through visible operations; it must change nothing. Returns
  // false when `timeout` (virtual time) passed first.
  bool wait_until(const std::function<bool()>& condition, std::string_view what, VirtualTime timeout = kForever);

  // An object that lives exactly as long as this execution (world components, shared state).
  template <class T, class... A>
  T& make(A&&... args) {
    auto p = std::make_unique<T>(std::forward<A>(args)...);
    T& ref = *p;
    owned_.push_back(std::shared_ptr<void>(std::move(p)));
    return ref;
  }

  // The one object of type T this execution holds, made as T(*this) on first use: state that every actor of
  // one kind shares (the process actors' lock waiters, say). It lives as long as make<T>'s objects.
  template <class T>
  T& shared() {
    for (const auto& [key, object] : shared_)
      if (key == &shared_key<T>) return *static_cast<T*>(object);
    T& made = make<T>(*this);
    shared_.emplace_back(&shared_key<T>, &made);
    return made;
  }

  // --- for world components ---
  // A visible operation: a scheduling point (when called by an actor), then the trace event. World
  // components do not call these two by hand: visible_op (world/visible_op.hpp) is the one place that does.
  void before_visible() {
    sched_.yield();
    sched_.operation_began();
    if (visible_hook_actors_ != 0) [[unlikely]] run_visible_hook();
  }
  // Runs `hook` after the scheduling point of every visible operation of the actors in `actors`
  // (fault-injection's actor/kill); with no actor hooked, before_visible costs one more branch.
  using VisibleHook = void (*)(Execution&);
  void hook_visible(ActorMask actors, VisibleHook hook) {
    visible_hook_actors_ |= actors;
    visible_hook_ = hook;
  }
  void record(std::string_view op, std::string_view args, std::string_view result) {
    trace_record(op, args, result);
    // wait_until's waiters re-check after another actor's operation; their own checks wake nobody, so two
    // waiters never keep each other busy.
    if (!progress_.empty() || checking_ != 0) [[unlikely]] wake_waiters_after_record();
  }

  // The fault hook: how a visible operation asks whether its failure point fails now. The backend installs
  // it (the simulator's asks the strategy, dom0's asks libfiu); this floor sees a point only as its number in
  // the catalogue (faults/fault_catalogue.hpp) and the answer only as an errno. Without a hook nothing fails.
  using FaultHook = int (*)(Execution&, std::uint8_t point, std::string_view target);
  void set_fault_hook(FaultHook hook) { fault_hook_ = hook; }
  FaultHook fault_hook() const { return fault_hook_; }
  // 0, or the errno the point fails with now. Called by visible_op (world/visible_op.hpp), not by hand.
  int fault(std::uint8_t point, std::string_view target) {
    return fault_hook_ != nullptr ? fault_hook_(*this, point, target) : 0;
  }

  std::uint32_t choose(std::uint32_t n, ChoiceKind kind) { return sched_.choose(n, kind); }
  const std::string* param(std::string_view key) const;

  Scheduler& sched() { return sched_; }
  Trace& trace() { return trace_; }
  const ExecutionOptions& options() const { return options_; }
  // The name of the actor running now, or "harness" from setup and invariant code.
  std::string_view current_actor_name() const;

  ExecutionResult run();

 private:
  ActorId spawn_actor(std::string name, std::function<void()> body, ActorKind kind);
  void actor_returned_error(const std::string& error);
  void check_always();
  void run_visible_hook();
  void trace_record(std::string_view op, std::string_view args, std::string_view result);
  void wake_waiters_after_record();
  bool hash_state(StateHasher& h);

  struct Invariant {
    std::string name;
    Check check;
  };
  ExecutionOptions options_;
  Scheduler sched_;
  Trace trace_;
  std::vector<Invariant> always_;
  std::vector<Invariant> at_end_;
  std::vector<Invariant> settle_;
  std::vector<std::string> unchecked_;
  std::vector<std::string> not_modelled_;
  ActorMask visible_hook_actors_ = 0;
  VisibleHook visible_hook_ = nullptr;
  FaultHook fault_hook_ = nullptr;
  WaitQueue progress_;       // actors in wait_until
  std::uint64_t progress_epoch_ = 0;  // operations recorded by actors other than the one checking (wait_until)
  ActorMask checking_ = 0;   // actors evaluating their wait_until condition now
  template <class T>
  static inline const char shared_key = 0;  // one address per type: shared<T>'s key
  std::vector<std::pair<const char*, void*>> shared_;
  std::vector<StatePart> state_parts_;
  bool world_described_ = false;
  std::vector<std::shared_ptr<void>> owned_;  // declared last: destroyed after the fibers unwound
  std::string violated_check_;
  std::string violation_;
};

}  // namespace xenrace
