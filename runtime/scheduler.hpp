// The Scheduler runs actors as fibers on one OS thread and regains control at every visible operation.
// It owns the runnable set (a bitmask), blocking and waking, the virtual clock and timeouts, and asks the
// Strategy at every point where more than one actor could run. A scheduling step — suspend an actor,
// ask the strategy, resume the chosen one — allocates nothing and does no I/O.
//
// Semantics:
//  - spawn() runs the new actor's local code up to its first visible operation at once (no decision).
//  - An actor calls yield() just before each visible operation; the scheduler then lets any runnable
//    actor (possibly the same one) take the next step.
//  - wait(queue) blocks the actor until notify_all(queue) or its timeout. Virtual time advances only
//    when no actor can run: then the earliest deadline fires. Nothing reads the wall clock.
//  - Actors are processes (must finish) or daemons (kernel threads, udevd: may stay blocked forever).
//    The execution completes when every process has finished and no daemon can run; it deadlocks when
//    a process is blocked, nothing can run and no timer is pending.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/fiber.hpp"
#include "runtime/schedule.hpp"
#include "runtime/strategy.hpp"
#include "runtime/types.hpp"

namespace xenrace {

enum class ActorKind : std::uint8_t { process, daemon };

// Thrown inside an actor's fiber to unwind its stack when the execution ends before it did.
// Actor code must let it pass (never `catch (...)` without rethrowing).
struct ActorUnwind {};
// Thrown inside an actor's fiber when a fault kills it (fault point "actor/kill").
struct ActorKilled {};

// Actors blocked on something; notify_all makes them all runnable.
struct WaitQueue {
  ActorMask waiters = 0;
  bool empty() const { return waiters == 0; }
};

// pruned: the strategy abandoned the execution (kPruneExecution): it can only repeat explored schedules.
enum class RunEnd : std::uint8_t { completed, stopped, deadlock, step_limit, pruned };

class Scheduler {
 public:
  Scheduler(StackPool& stacks, Strategy& strategy, std::uint32_t max_decisions_hint = 4096);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  ActorId spawn(std::string name, std::function<void()> body, ActorKind kind = ActorKind::process);

  // --- called by actor code, on an actor's fiber ---
  void yield();
  // Blocks until notify_all(q) (returns true) or until `timeout` of virtual time passes (returns false).
  // The step that resumes after it counts as global until the caller declares its footprint (it re-reads
  // whatever it waited on).
  bool wait(WaitQueue& q, std::string_view what, VirtualTime timeout = kForever);
  void sleep(VirtualTime duration);
  // A recorded choice in [0, n): n < 2 asks nothing and returns 0.
  std::uint32_t choose(std::uint32_t n, ChoiceKind kind);
  // Functions run when the current actor ends (returns, throws or is killed): what the kernel releases at exit.
  void at_exit(std::function<void()> fn);

  // --- footprints (runtime/footprint.hpp), collected only for a step-observing strategy (dpor) ---
  // A visible operation began (Execution::before_visible): its step is global until it declares.
  void operation_began() {
    if (collect_ && running_) footprint_.operation_began();
  }
  // The operation running now names everything shared it touches with access() (possibly nothing).
  void declare_footprint() {
    if (collect_ && running_) footprint_.operation_declared();
  }
  void access(std::uint64_t object, AccessMode mode) {
    if (collect_ && running_) footprint_.add(object, mode);
  }
  // The step touched something no footprint names: it is dependent with every step.
  void access_everything() {
    if (collect_ && running_) footprint_.make_global();
  }
  bool observing() const { return observe_; }
  // Whether the step under way names its accesses: observing, and not a step the strategy replays
  // (Strategy::needs_footprint). A component that computes keys before access() can skip that work.
  bool collecting() const { return collect_ && running_; }

  // --- the state cache (runtime/state_key.hpp) ---
  // While a Rest lives, the actor that made it vouches: at every scheduling point inside this scope, all its
  // own future depends on, beyond what the world's and the scenario's state parts hash and how many operations
  // it began in the scope (waits inside an operation do not count), is `state` (which call site it is at and
  // the locals that matter after it). Scopes nest: the inner one adds to the outer. An actor outside every
  // scope has a state nobody described, and no state key is taken then.
  //
  // A helper that blocks on behalf of its callers (a wait loop, losetup) describes only its own frame: it opens
  // its scopes as `Rest(s, state, Rest::callee)`, which count only inside a caller's scope. An undescribed
  // caller stays undescribed, however well its helpers describe themselves.
  class Rest {
   public:
    enum Frames : std::uint8_t { whole_stack, callee };
    Rest(Scheduler& s, std::uint64_t state, Frames frames = whole_stack);
    ~Rest();
    Rest(const Rest&) = delete;
    Rest& operator=(const Rest&) = delete;
    // A value the actor computed in this scope and uses after a later scheduling point (an operation's
    // result, a local it derived): from here on it is part of the state the scope declares. Call it from the
    // scope's own frame, with no inner scope open.
    template <class... T>
    void keep(const T&... values) {
      if (!sched_) return;
      StateHasher h;
      (h.add(values), ...);
      keep_word(h.key().a);
    }

   private:
    void keep_word(std::uint64_t word);
    Scheduler* sched_ = nullptr;
    ActorId actor_ = kNoActor;
    std::uint64_t saved_state_ = 0;
    std::uint32_t saved_depth_ = 0;
    std::uint32_t saved_count_ = 0;
  };
  // The world's and the scenario's parts of a state key (Execution sets it once the scenario described its
  // own): false when some part cannot say.
  void set_state_source(std::function<bool(StateHasher&)> world) { state_source_ = std::move(world); }
  bool caches_states() const { return caches_states_; }

  // --- OS-thread mode (dom0 free runs, runtime/scheduler_threads.cpp) ---
  // Actors become real threads; the OS decides the interleaving. Actor code runs under one lock held
  // between scheduling points, so scenario state needs no locking; yield() lets any other actor in,
  // wait/notify use a condition variable, and timeouts are real time. Call before the first spawn.
  void use_os_threads();
  bool os_threads() const { return threads_ != nullptr; }
  // Opened around a real system call so other actors run meanwhile (no effect on fibers).
  class IoWindow {
   public:
    explicit IoWindow(Scheduler& s);
    ~IoWindow();
    IoWindow(const IoWindow&) = delete;
    IoWindow& operator=(const IoWindow&) = delete;

   private:
    Scheduler* sched_ = nullptr;
    ActorId actor_ = kNoActor;
  };

  // --- callable from anywhere ---
  void notify_all(WaitQueue& q);
  void kill(ActorId id);  // the actor unwinds with ActorKilled at its next resume
  void request_stop() { stop_ = true; }
  bool in_actor() const { return current_ != kNoActor && running_; }
  ActorId current() const { return current_; }
  VirtualTime now() const { return now_; }
  std::uint64_t steps() const { return steps_; }
  ActorId actor_count() const { return static_cast<ActorId>(actors_.size()); }
  const std::string& actor_name(ActorId id) const { return actors_[id]->name; }
  bool finished(ActorId id) const { return actors_[id]->state == State::finished; }
  bool killed(ActorId id) const { return actors_[id]->killed; }
  // True from the moment kill(id) is called, before the actor has unwound (killed() turns true then).
  bool kill_requested(ActorId id) const { return actors_[id]->kill_requested; }
  // True while the actor's exit handlers run (it can no longer be killed).
  bool exiting(ActorId id) const { return actors_[id]->exiting; }
  // Processes blocked now, "name (waiting for what)" each: for deadlock reports.
  std::vector<std::string> blocked_processes() const;

  // --- on the scheduler's own stack ---
  // Runs until completion, a stop request, a deadlock or `max_steps`. `after_step` runs after every
  // step (invariant checks); it may call request_stop().
  RunEnd run(std::uint64_t max_steps, const std::function<void()>& after_step);
  // Unwinds every actor that has not finished, so destructors on their stacks run.
  void unwind_all();

  const Schedule& schedule() const { return schedule_; }
  Schedule& schedule() { return schedule_; }
  // Message of the first actor that threw, or empty.
  const std::string& actor_error() const { return actor_error_; }
  ActorId failed_actor() const { return failed_actor_; }

 private:
  enum class State : std::uint8_t { runnable, blocked, finished };
  struct Actor {
    Scheduler* sched;
    ActorId id;
    std::string name;
    std::function<void()> body;
    ActorKind kind;
    State state = State::runnable;
    bool unwinding = false;
    bool kill_requested = false;
    bool killed = false;
    bool exiting = false;
    bool timed_out = false;
    WaitQueue* waiting_on = nullptr;
    VirtualTime deadline = kForever;
    std::array<char, 96> what{};
    std::vector<std::function<void()>> exit_handlers;
    std::optional<Fiber> fiber;
    std::uint64_t rest = 0;      // the declared state of the open Rest scopes, combined
    std::uint32_t rest_depth = 0;  // open Rest scopes
    std::uint32_t rest_count = 0;  // operations begun since the innermost one opened (yield, not waits)
    bool in_wait = false;          // suspended in block(): waiting, or woken and not yet resumed
  };
  static void actor_main(void* arg);
  void finish(Actor& a);
  void switch_out(Actor& a);  // suspend the current actor; throws if it must unwind
  bool block(WaitQueue& q, std::string_view what, VirtualTime timeout);  // wait() without re-declaring
  ActorId pick();
  void record(ChoiceKind kind, std::uint32_t value, bool is_default);
  bool fire_earliest_timer();
  // Where nothing can run: asks the strategy whether the state here was explored before (true: prune).
  bool explored_before();
  bool hash_actors(StateHasher& h) const;
  bool state_key(StateKey& key) const;  // false: some part cannot describe its state (needs state_source_)
  struct Threads;
  ActorId spawn_thread(std::unique_ptr<Actor> a);
  void yield_thread();
  bool wait_thread(WaitQueue& q, std::string_view what, VirtualTime timeout);
  RunEnd run_threads(std::uint64_t max_steps, const std::function<void()>& after_step);
  void thread_main(Actor& a);
  void enter_thread(ActorId id);
  void leave_thread();
  void join_threads();

  StackPool& stacks_;
  Strategy& strategy_;
  std::vector<std::unique_ptr<Actor>> actors_;
  ActorMask runnable_ = 0;
  ActorId current_ = kNoActor;
  bool running_ = false;
  bool stop_ = false;
  std::uint32_t live_processes_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t max_steps_ = UINT64_MAX;  // run's limit, for a state cache (PickContext::step_limit)
  VirtualTime now_ = 0;
  Schedule schedule_;
  std::string actor_error_;
  ActorId failed_actor_ = kNoActor;
  std::unique_ptr<Threads> threads_;  // set in OS-thread mode only
  bool observe_ = false;              // the strategy observes steps (dpor)
  bool collect_ = false;              // and wants the footprint of the step under way
  StepFootprint footprint_;           // the running step's accesses
  ActorMask woke_ = 0;                // actors the running step made runnable
  ActorMask timed_out_ = 0;           // actors made runnable by virtual time, until their next step
  bool time_moved_ = false;           // a timer fired since the last step (for the next StepRecord)
  std::uint32_t faults_chosen_ = 0;   // fault choices made with a non-zero value (a fault taken)
  bool caches_states_ = false;        // the strategy keeps a state cache
  bool keys_at_picks_ = false;        // ... and wants a key at every pick it can have one
  std::function<bool(StateHasher&)> state_source_;
};

}  // namespace xenrace
