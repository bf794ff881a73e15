// A Strategy is the policy that decides every nondeterministic choice of an execution: which runnable
// actor goes next, and which value a data or fault choice takes. The Scheduler is the mechanism that asks.
// Three calls, as in shuttle: begin an execution, pick the next actor, pick a value.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/footprint.hpp"
#include "runtime/state_key.hpp"
#include "runtime/types.hpp"

namespace xenrace {

struct PickContext {
  ActorMask runnable;      // bit i set: actor i may run now (never empty)
  ActorId current;         // the actor that ran last, or kNoActor
  std::uint64_t step;      // scheduling steps taken so far in this execution
  ActorId actor_count;     // actors spawned so far
  // Virtual time moved just before this pick, because no actor could run: `current` had blocked, and the
  // timeouts woke it together with the others, so whichever of them goes first preempts nobody.
  bool time_moved = false;
  // The execution's step limit (Scenario::max_steps): a state cache reuses a future only where it still fits.
  std::uint64_t step_limit = UINT64_MAX;
  // A state cache's key of the state here (Strategy::caches_states_at_picks): false unless every actor is at a
  // point it described (Scheduler::Rest) and the world and the scenario could describe theirs. Computed only
  // when asked, since it hashes the whole state: a strategy replaying a known prefix does not ask.
  bool state_key(StateKey& key) const { return key_source != nullptr && key_source(key_context, key); }
  bool (*key_source)(const void* context, StateKey& key) = nullptr;
  const void* key_context = nullptr;
};

// What a step-observing strategy (dpor) learns after every scheduling step, forced ones included.
struct StepRecord {
  ActorId actor;            // who ran
  ActorMask enabled;        // the runnable set it was picked from
  const StepFootprint* footprint;
  ActorMask woke;           // actors this step made runnable (notify_all, kill): they run after it
  bool after_timeout;       // the actor ran because virtual time fired its timeout
  ActorId actor_count;      // actors spawned so far (new ones were spawned by this step)
  // Virtual time moved just before this step, because nothing could run: every earlier step happened
  // before every timeout it fired. The actors it woke may run in any order after it.
  bool time_moved = false;
};

// pick_actor's answer "abandon this execution": every runnable actor's next step is known to lead only
// to schedules already explored (a sleep-set-blocked execution). The run ends as pruned: no verdict.
inline constexpr ActorId kPruneExecution = 0xfe;

// The choice a non-preemptive scheduler makes: keep running the current actor, else the lowest id.
// Replay fills gaps with it and the shrinker removes explicit decisions towards it.
inline ActorId default_pick(const PickContext& c) {
  if (c.current != kNoActor && (c.runnable & actor_bit(c.current))) return c.current;
  return lowest_actor(c.runnable);
}

// The actor a pick would interrupt by choosing another: the one that ran last, while it can go on running.
// None when it blocked or ended, including when it blocked and virtual time then woke it.
inline ActorId running_actor(const PickContext& c) {
  return !c.time_moved && c.current != kNoActor && (c.runnable & actor_bit(c.current)) ? c.current : kNoActor;
}

// The one definition of a preemption (Schedule::preempted, the dfs and dpor bounds, the shrinker, reports):
// a pick that switches away from the running actor.
inline bool preempts(const PickContext& c, ActorId chosen) {
  const ActorId running = running_actor(c);
  return running != kNoActor && chosen != running;
}

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  // Called before execution `index` (0-based) of an exploration.
  virtual void begin_execution(std::uint64_t index) = 0;
  virtual ActorId pick_actor(const PickContext& ctx) = 0;
  // A value in [0, n) for a data or fault choice; 0 is the "nothing unusual" value.
  virtual std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) = 0;
  // Step-observing strategies are asked at every step, even when one actor only can run, and told what
  // each step touched (StepRecord). Others are asked only when there is a choice.
  virtual bool observes_steps() const { return false; }
  virtual void step_done(const StepRecord& step) { (void)step; }
  // Whether the step about to run (the count of steps before it) needs its footprint in step_done. A strategy that
  // replays a prefix it observed before may say no: the world then names no access (Scheduler::collecting), and
  // StepRecord::footprint is empty. step_done is still called.
  virtual bool needs_footprint(std::uint64_t step) const {
    (void)step;
    return true;
  }
  // A state cache (dpor): asked where every actor is blocked and virtual time is about to move, with the key of
  // the state there (runtime/state_key.hpp) when every part could describe it. True abandons the execution
  // (RunEnd::pruned): the future of that state was explored before. `steps` were taken so far, of `step_limit`.
  virtual bool caches_states() const { return false; }
  // And at every pick (PickContext::state_key), which costs a hash of the state wherever the strategy asks.
  virtual bool caches_states_at_picks() const { return false; }
  virtual bool at_quiescence(const StateKey& key, std::uint64_t steps, std::uint64_t step_limit) {
    (void)key;
    (void)steps;
    (void)step_limit;
    return false;
  }
  // Called after an execution with the number of steps it took (PCT learns its step bound from this).
  virtual void end_execution(std::uint64_t steps) { (void)steps; }
  // n when execution i depends on executions 0 .. min(i, n) - 1 as well as on (seed, i) (PCT's step bound): a
  // search that starts past index 0 (a shard, a search again from a shard's first index) runs those first,
  // neither counted nor judged, so that execution i is the same whichever executions before it ran here.
  virtual std::uint64_t learns_from_first() const { return 0; }
  // False when the strategy has nothing left to try (exhaustive strategies); random ones never run out.
  virtual bool has_more() const { return true; }
  // True for strategies that enumerate (dfs, dpor): when has_more() turns false, every schedule in their
  // scope() ran, so a pass is a proof within that scope and not a sample.
  virtual bool exhaustive() const { return false; }
  // What an exhaustive strategy covered, for verdicts: "bound 2", "unbounded". Empty for sampling ones.
  virtual std::string scope() const { return {}; }
  // False when the execution that just ended (after end_execution) lies outside this shard's part of the
  // search (StrategyOptions::shard_*): an enumerating shard learns where the tree splits only by running
  // into the split, so a shard whose part is empty runs that one execution and then has nothing more. The
  // explorer neither counts nor judges such an execution. Sampling strategies are sharded by execution
  // index instead, and always answer true.
  virtual bool execution_in_shard() const { return true; }
};

struct StrategyOptions {
  std::string name = "pct";
  std::uint64_t seed = 1;
  unsigned pct_depth = 3;
  unsigned preemption_bound = 2;  // dfs; dpor only when bound_dpor
  bool bound_dpor = false;        // dpor runs unbounded unless a bound was asked for (--preemptions)
  bool state_cache = true;        // dpor skips states whose future it explored (--no-state-cache: off)
  // --shard K/N: this process explores part K (0-based) of N, disjoint from the other parts and together
  // covering what one unsharded run would: a range of executions for sampling strategies, a share of the
  // subtrees for enumerating ones.
  unsigned shard_index = 0;
  unsigned shard_count = 1;
};

// Throws UsageError for an unknown name. "replay" is not built here: it needs a schedule.
std::unique_ptr<Strategy> make_strategy(const StrategyOptions& options);
bool is_exploring_strategy(std::string_view name);
const char* exploring_strategy_names();  // "random|pct|dfs", for help texts

}  // namespace xenrace
