// dpor: source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, "Optimal dynamic partial order
// reduction", POPL 2014, Algorithm 1), stateless, over the steps' footprints (runtime/footprint.hpp).
//
// Two executions that differ only in the order of adjacent independent steps are the same Mazurkiewicz
// trace: nothing in the program can tell them apart. dpor runs one execution per trace instead of one per
// interleaving:
//   - after every step it computes happens-before with vector clocks (program order, spawns, wake-ups,
//     and dependent steps) and finds the races: a step dependent with an earlier step of another actor
//     that happens-before it only directly;
//   - for each race it makes sure the state before the earlier step will also be explored starting with
//     an actor that can start the reversed race (its initials), unless one already is (the source set);
//   - sleep sets carry, down the tree, actors whose step from here was already explored and stays
//     independent of what ran since; an execution in which every runnable actor sleeps would only repeat
//     a trace, so it is pruned (Strategy::kPruneExecution) and not counted.
// So every trace is run at least once (sound) and no two complete runs are the same trace.
//
// Value and fault choices are enumerated in full, as dfs does. Virtual time moves only when nothing can
// run, so a step woken by a timeout happens after every step before the timer fired; it races only with
// the steps of other actors whose timeouts fired at the same instant (and what they did since). Without a
// preemption bound, a finished search covered every schedule ("unbounded").
//
// With a preemption bound B (--preemptions), it is bounded partial-order reduction (Coons, Musuvathi,
// McKinley, "Bounded partial-order reduction", OOPSLA 2013): it runs only schedules with at most B
// preemptions (as Schedule counts them: a switch away from an actor that could go on), and a finished
// search ran every trace that has such a schedule ("bound B"), as dfs with the same bound would, in far
// fewer executions. Reduction and bound interfere, so two things change:
//   - reversing a race between step i and a later step of actor u may cost more preemptions than the
//     schedule has left at i, yet fewer if u takes over earlier, at the last context switch before i.
//     So u is also tried there (a "conservative" point). Races are reversed as in classic DPOR (u itself,
//     or every actor when u could not run there), since an initial of source-DPOR may cost more than u;
//   - an explored actor sleeps for its siblings only where that costs nothing: a sleeper stands for the
//     executions that run its step later, held in its sibling subtree with the step moved back, and that
//     schedule must fit the bound too. Moving the step back costs no preemption when the actor was the
//     one running there (its sibling kept it running; the later order preempted it), or when it could not
//     go on right after the step (switching away from it was free). Otherwise it stays awake (may_sleep).
//     A race whose reversing actor sleeps at a point tries there the awake actors that ran between the
//     racing steps (not after the first), or every awake actor when none did.
//
// Sharding (--shard K/N): at the first decision with more than one option (a step where more than one
// actor can run, or a value or fault choice), shard K takes the options whose position is K mod N. The
// shards' subtrees are disjoint and together are the whole tree. At an actor split every runnable actor
// is explored (no reduction there), in the order one search would take them: the running actor first,
// then by number. There sleep sets cross shards: before it explores anything, a shard runs one probe per
// other shard's actor placed before one of its own, which takes that actor's step at the split and is
// then abandoned (not in the shard, not counted). What the step touched makes the actor a sleeper for
// this shard's later actors, as an explored sibling is in one search, so a trace is not run again by a
// later shard. A step that asks value or fault choices is probed once per combination of them, so its
// footprint covers every value, as an explored sibling's does.
//
// State cache: the scheduler hands over the key of the state (runtime/state_key.hpp) where the scenario, the
// world and every actor could describe it, and an execution that reaches a state whose future an earlier one
// explored in full is abandoned there. Two kinds of point:
//   - quiescent (every actor blocked, virtual time about to move): every step after it happens after every
//     step before it (the first is woken by the timeout, which follows everything before the time move; every
//     later one by program order, a wake-up or a spawn from such a step), so no race crosses the point and no
//     sleeper survives it. The subtree below depends only on the state, and dpor finishes it before it
//     backtracks above it;
//   - any pick: races do cross, so each point keeps a summary of what its future touched (up to the first
//     quiescent point), and a revisit with no more sleepers races the summary against the path, trying every
//     awake actor where it may race (bounded, also at the last context switch before, as BPOR does, and before
//     the point itself, where a race inside the future may reverse).
// At both, an ordered read's view of updates made before also crosses: an abandoned execution reverses every
// two unordered updates of one object still unobserved, as if a later read saw them. A cached future is reused
// only where every execution of it fits the step limit, from where it was explored and from here (or here is the
// same step), and bounded, where every schedule the bound allows from here it allowed there: with no fewer
// preemptions left when the same actor, or any, was free to go on there, and with one more left otherwise (a
// schedule's first pick is the only one whose cost differs), or with any number left when the bound never kept
// an actor the search wanted from running in that future. Sharded, only below the split.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/strategy.hpp"

namespace xenrace {

class DporStrategy final : public Strategy {
 public:
  DporStrategy(unsigned shard_index = 0, unsigned shard_count = 1,
               std::optional<unsigned> preemption_bound = std::nullopt, bool state_cache = true);
  std::string_view name() const override { return "dpor"; }
  bool observes_steps() const override { return true; }
  bool exhaustive() const override { return true; }
  std::string scope() const override {
    return bound_ ? "bound " + std::to_string(*bound_) : std::string("unbounded");
  }
  bool has_more() const override { return !exhausted_; }
  bool execution_in_shard() const override { return in_shard_; }

  void begin_execution(std::uint64_t index) override;
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override;
  void step_done(const StepRecord& step) override;
  // The replayed prefix's steps repeat the last execution's: step_done does not read their footprints.
  bool needs_footprint(std::uint64_t step) const override { return step >= replayed_; }
  void end_execution(std::uint64_t steps) override;
  bool caches_states() const override { return state_cache_; }
  bool caches_states_at_picks() const override { return state_cache_; }
  bool at_quiescence(const StateKey& key, std::uint64_t steps, std::uint64_t step_limit) override;

  // Executions abandoned because every runnable actor was asleep (redundant by construction).
  std::uint64_t pruned() const { return pruned_; }
  // Executions abandoned at a state whose future was explored.
  std::uint64_t cache_hits() const { return cache_hits_; }

 private:
  using Clock = std::array<std::uint32_t, kMaxActors>;
  struct Footprint {
    bool global = false;
    std::vector<Access> accesses;
    void merge(bool g, const Access* begin, const Access* end);
  };
  struct Sleeper {
    ActorId actor;
    Footprint footprint;
  };
  struct ValueChoice {
    std::uint32_t options;
    std::uint32_t chosen;
    std::uint32_t stride = 1;  // the shard split: this shard takes every shard_count-th value
  };
  // A decision's place on the path: node (-1: before the first step), then -1 for the actor pick or the
  // index of a value choice asked during that step.
  struct Position {
    std::int64_t node = -1;
    std::int64_t choice = -1;
    bool operator>(const Position& o) const { return node != o.node ? node > o.node : choice > o.choice; }
  };
  // One scheduling point of the tree, kept across executions for the prefix they share.
  struct Node {
    ActorMask enabled = 0;
    ActorId current = kNoActor;  // running_actor(): picking another one preempts it
    std::uint32_t spent = 0;     // preemptions before this point
    ActorId chosen = kNoActor;  // kNoActor: every runnable actor slept (the execution was pruned here)
    ActorMask backtrack = 0;    // actors this state must be explored with
    ActorMask done = 0;         // actors explored from this state
    std::vector<Sleeper> asleep;  // inherited sleepers, then the explored siblings of `chosen`
    Footprint chosen_footprint;   // the chosen actor's step here, over every execution through it
    // Bounded: in some execution through it, the chosen actor could go on running right after its step here
    // (picking another actor next preempted it). Then it cannot sleep for its siblings (end_execution).
    bool chosen_continues = false;
    std::vector<ValueChoice> values;  // value and fault choices asked during this step
    void reset();
  };
  // One step of the current execution.
  struct Event {
    ActorId actor;
    std::uint32_t local;   // its index among its actor's steps
    bool global;
    bool after_timeout;
    std::uint32_t begin, end;  // its accesses in accesses_
    bool time_moved = false;   // virtual time moved just before it: it follows every step before
    ActorMask woke = 0;        // the actors it woke
    ActorId actor_count = 0;   // actors spawned by the end of it
  };
  struct ObjectHistory {
    std::uint64_t epoch = 0;  // the execution it belongs to: older ones are stale (kept, not freed)
    std::int64_t last_write = -1;
    std::vector<std::pair<ActorId, std::uint32_t>> reads;    // each actor's last read since last_write
    std::vector<std::pair<ActorId, std::uint32_t>> updates;  // every update since last_write
  };

  Node& node(std::size_t i);
  ActorMask sleep_mask(const Node& n) const;
  bool happens_before(std::uint32_t i, const Clock& later) const;
  bool independent(const Sleeper& s, const Event& e) const;
  void inherit_sleepers(std::size_t j);
  ObjectHistory& history(std::uint64_t object);
  ObjectHistory& current(ObjectHistory& h) const;  // reset when an earlier execution left it
  void replay_step(std::uint32_t j);
  void record_accesses(std::uint32_t j);
  void after_step(std::uint32_t j);
  void add_candidate(std::uint32_t i, ActorId self, std::vector<std::uint32_t>& out) const;
  void reverse_unordered(std::uint32_t first, std::uint32_t second);
  void reverse_race(std::uint32_t i, std::uint32_t j, const Clock& cj);
  void reverse_race_bounded(std::uint32_t i, std::uint32_t j, ActorId u);
  // The preemptions picking x at n costs (0 or 1), and the actors of m the bound lets n pick.
  std::uint32_t cost(const Node& n, ActorId x) const {
    return n.current != kNoActor && x != n.current ? 1 : 0;
  }
  ActorMask within_bound(const Node& n, ActorMask m) const;
  bool may_sleep(const Node& n) const;
  std::vector<ValueChoice>& values_now();
  void advance();        // end_execution: where the next execution leaves this one's path
  void close_states();   // states the next execution does not pass through: their futures are explored

  unsigned shard_index_;
  unsigned shard_count_;
  std::optional<unsigned> bound_;  // the preemption bound; none: unbounded
  std::vector<Node> nodes_;      // nodes_[0, depth_) are the path; later ones keep their capacity
  std::size_t depth_ = 0;        // nodes of the path the next execution replays
  std::size_t reached_ = 0;      // nodes of the path this execution reached
  std::vector<ValueChoice> prelude_values_;  // choices asked before the first step (setup)
  std::size_t value_pos_ = 0;
  bool in_step_ = false;
  bool exhausted_ = false;
  std::uint64_t pruned_ = 0;
  bool has_split_ = false;       // the shard split is on the current path, at split_
  Position split_;
  bool prune_next_ = false;      // the split gave this shard no value, or probed: abandon at the next pick
  bool in_shard_ = true;         // false: the execution under way is a probe
  // The actor split (split_.choice == -1), as every shard sees it: each runnable actor's position in the
  // order one search explores them, and the other shards' actors this shard probes (those placed before
  // one of its own), in that order.
  struct Foreign {
    ActorId actor;
    bool may_sleep = false;  // probed, and its step may sleep for later siblings (DporStrategy::may_sleep)
    Footprint footprint;
  };
  bool split_known_ = false;
  std::array<std::uint8_t, kMaxActors> split_position_{};
  std::vector<Foreign> foreign_;
  std::size_t probes_run_ = 0;  // foreign_[0, probes_run_) are probed
  bool probing_ = false;
  // Puts to sleep at the split node the probed actors placed before `actor`, not yet asleep there.
  void sleep_foreign_before(Node& n, ActorId actor);
  void forget_split_after(Position p) {
    if (has_split_ && split_ > p) has_split_ = false;
  }

  // The state cache.
  // What the steps of a state's future touched, over every execution through it, up to the first quiescent
  // point (the steps after one follow everything before it): per actor, sorted by object then actor.
  // Packed to 4-byte alignment: 12 bytes instead of 16, and the summaries are most of a cached search's memory.
  // Read `object` by value: a reference to it would be misaligned (UBSan says so).
#pragma pack(push, 4)
  struct SummaryAccess {
    std::uint64_t object;
    ActorId actor;
    AccessMode mode;
    bool operator==(const SummaryAccess&) const = default;
  };
#pragma pack(pop)
  static_assert(sizeof(SummaryAccess) == 12);
  struct Summary {
    ActorMask global = 0;  // actors with a global step
    std::vector<SummaryAccess> accesses;
    bool operator==(const Summary&) const = default;
  };
  static bool summary_order(const SummaryAccess& x, const SummaryAccess& y) {
    return x.object != y.object ? x.object < y.object : x.actor < y.actor;
  }
  static constexpr std::uint32_t kNoSummary = ~std::uint32_t{0};
  struct CachedState {
    std::uint64_t steps;  // when it was reached
    std::uint32_t spent;  // preemptions spent when it was reached (bounded)
    bool open;            // on the current path: its future is not explored in full yet
    ActorMask asleep = 0;  // the sleep set it was explored with (a general point)
    std::uint32_t summary = kNoSummary;  // a general point's summaries_ entry
    ActorId current = kNoActor;  // the actor that could go on without a preemption (bounded: what a pick costs)
    // The most steps an execution took past it (through the futures of the states it was cut off at): reached at
    // another step, the future is the same while it fits the step limit from both (DporStrategy::reusable).
    std::uint64_t future = 0;
    // Bounded: the bound kept an actor the search wanted from running somewhere in its future. Where it never
    // did, the future is every schedule from it, whatever the preemptions left.
    bool bounded = false;
  };
  struct OpenState {
    StateKey key;
    std::size_t node;  // reached_ there: the nodes before it decide it
    std::uint32_t summary;  // kNoSummary: a quiescent point
    std::uint64_t steps;    // CachedState::steps
    std::uint64_t future = 0;  // CachedState::future, so far
    bool bounded = false;      // CachedState::bounded, so far
    // Opened with what an earlier exploration of its future touched: its summary may hold accesses the open
    // points above it lack (collect_summaries stops early only at a point that started empty).
    bool seeded = false;
  };
  bool cache_allowed(std::size_t j) const;
  // Whether a future explored from `c` is the whole future from here: it fits the step limit, and bounded, the
  // schedules the bound allows from here are among those it allowed there.
  bool reusable(const CachedState& c, std::uint64_t steps, std::uint32_t spent, ActorId current) const;
  void mark_bounded(std::size_t node);  // the bound cut the futures of the open points at `node` and above
  // The execution is abandoned at node `j`, at a state whose future `c` was explored: what every cut-off does
  // (quiescent or general), so that one test of it covers both.
  void cut_off_at(const CachedState& c, std::size_t j);
  // A general point (PickContext::state_key at a new node): true when its future was explored, after the
  // backtracking the future's steps call for here.
  bool revisit(const StateKey& key, std::size_t j, std::uint64_t steps, std::uint32_t spent, ActorId current,
               ActorMask asleep);
  void race_with_summary(const Summary& summary);
  std::uint32_t last_context_switch(std::uint32_t i) const;
  void try_every_awake(std::uint32_t i);
  void reverse_unobserved_updates();
  void collect_summaries();  // end_execution: this execution's new steps into its open states' summaries
  static bool contains(const Summary& big, const Summary& small);
  std::uint32_t new_summary(const Summary& from);
  void share_summary(CachedState& c);
  void merge(Summary& into, const Summary& from);
  bool state_cache_;
  std::unordered_map<StateKey, CachedState, StateKeyHash> states_;
  std::vector<OpenState> open_states_;
  std::vector<Summary> summaries_;
  std::vector<std::uint32_t> free_summaries_;  // entries freed by sharing, reused before summaries_ grows
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> shared_summaries_;  // closed ones, by content hash
  std::uint32_t hit_summary_ = kNoSummary;  // the execution ended at a general point seen before (its summary)
  // The steps before it are the same as in the last execution whose steps went into the summaries (the replayed
  // prefix, less its last node, whose choice changed): they are in every open point's summary above them.
  std::size_t unmerged_from_ = 0;
  std::size_t replayed_ = 0;     // steps of this execution that repeat the last one's (begin_execution)
  std::size_t replay_pos_ = 0;   // of those, how many ran so far
  Summary scratch_summary_;
  std::vector<SummaryAccess> merge_buffer_;  // merge's union, swapped with the summary it grows
  std::uint64_t cache_hits_ = 0;
  std::uint64_t step_limit_ = UINT64_MAX;  // PickContext::step_limit
  std::uint64_t hit_future_ = 0;  // the execution was cut off at a state explored before: its future

  // Happens-before of the current execution.
  std::vector<Event> events_;
  std::vector<Access> accesses_;
  std::vector<Clock> clocks_;
  std::array<std::int64_t, kMaxActors> last_event_{};
  std::array<std::uint32_t, kMaxActors> steps_of_{};
  std::array<Clock, kMaxActors> inbox_{};  // joined into an actor's next step: its spawn and wake-ups
  Clock all_{};                            // every step so far
  Clock before_time_moved_{};              // every step before virtual time last moved: what a timeout follows
  std::int64_t last_global_ = -1;
  ActorId known_actors_ = 0;
  std::unordered_map<std::uint64_t, ObjectHistory> objects_;  // its elements stay where they are
  std::vector<ObjectHistory*> access_histories_;  // each access's object's history, beside accesses_
  std::uint64_t epoch_ = 0;
  std::vector<std::uint32_t> candidates_;
  std::vector<std::uint32_t> observed_;  // the updates an ordered read of this step saw
  // Every update since the last global step, with its object: a global step may see the order of any of them.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> updates_since_global_;
  std::vector<std::uint32_t> included_;
};

}  // namespace xenrace
