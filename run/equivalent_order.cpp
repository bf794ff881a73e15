#include "run/equivalent_order.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {
namespace {

struct ObservedStep {
  ActorId actor;
  bool global;
  bool time_moved;       // nothing could run before it: every step before it comes first in any order
  ActorMask woke;        // their next steps follow this one
  ActorId actor_count;   // actors spawned so far: new ones start after this step
  std::uint32_t access_begin, access_end;  // in ObservedRun::accesses
  std::uint32_t value_begin, value_end;    // the value and fault choices it asked, in ObservedRun::values
};

struct ObservedRun {
  std::vector<ObservedStep> steps;
  std::vector<Access> accesses;
  std::vector<std::uint32_t> values;
  std::uint32_t prelude_values = 0;  // asked before the first step (the scenario's setup)
  ActorId initial_actors = 0;        // spawned before the first step
};

// Replays a schedule as ReplayStrategy does, observing every step. ReplayStrategy is asked only where the
// recorded run asked (more than one actor could run), so the decision indices stay the recorded ones.
class ObservedReplay final : public Strategy {
 public:
  ObservedReplay(Schedule schedule, ObservedRun& out) : replay_(std::move(schedule)), out_(out) {}
  std::string_view name() const override { return "replay"; }
  bool observes_steps() const override { return true; }
  void begin_execution(std::uint64_t index) override { replay_.begin_execution(index); }
  ActorId pick_actor(const PickContext& ctx) override {
    if (ctx.step == 0) {
      out_.prelude_values = static_cast<std::uint32_t>(out_.values.size());
      out_.initial_actors = ctx.actor_count;
    }
    value_mark_ = static_cast<std::uint32_t>(out_.values.size());
    if (std::has_single_bit(ctx.runnable)) return lowest_actor(ctx.runnable);
    return replay_.pick_actor(ctx);
  }
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override {
    const std::uint32_t v = replay_.pick_value(n, kind);
    out_.values.push_back(v < n ? v : 0);
    return v;
  }
  void step_done(const StepRecord& step) override {
    const auto begin = static_cast<std::uint32_t>(out_.accesses.size());
    out_.accesses.insert(out_.accesses.end(), step.footprint->begin(), step.footprint->end());
    out_.steps.push_back(ObservedStep{step.actor, step.footprint->global(), step.time_moved, step.woke,
                                      step.actor_count, begin, static_cast<std::uint32_t>(out_.accesses.size()),
                                      value_mark_, static_cast<std::uint32_t>(out_.values.size())});
  }

 private:
  ReplayStrategy replay_;
  ObservedRun& out_;
  std::uint32_t value_mark_ = 0;
};

// The observed steps in an order of the same trace with fewer switches: indices into run.steps.
std::vector<std::uint32_t> fewer_switches(const ObservedRun& run) {
  const auto n = static_cast<std::uint32_t>(run.steps.size());
  // Happens-before as edges between the steps of one stretch of virtual time (the stretches stay in order).
  std::vector<std::vector<std::uint32_t>> after(n);
  std::vector<std::uint32_t> waiting_for(n, 0);
  std::uint32_t stretch_begin = 0;
  auto edge = [&](std::int64_t from, std::uint32_t to) {
    if (from < static_cast<std::int64_t>(stretch_begin) || from == to) return;
    after[static_cast<std::size_t>(from)].push_back(to);
    ++waiting_for[to];
  };
  struct ObjectUse {
    std::int64_t last_change = -1;
    std::vector<std::uint32_t> reads;  // since last_change
  };
  std::unordered_map<std::uint64_t, ObjectUse> objects;
  std::vector<std::int64_t> last_of(kMaxActors, -1);
  std::vector<std::vector<std::uint32_t>> inbox(kMaxActors);  // spawns and wake-ups the next step follows
  std::int64_t last_global = -1;
  ActorId known = run.initial_actors;
  std::vector<std::uint32_t> stretch_starts;
  for (std::uint32_t i = 0; i < n; ++i) {
    const ObservedStep& s = run.steps[i];
    if (s.time_moved || i == 0) {
      stretch_begin = i;
      stretch_starts.push_back(i);
    }
    edge(last_of[s.actor], i);
    for (std::uint32_t w : inbox[s.actor]) edge(w, i);
    inbox[s.actor].clear();
    if (s.global) {
      for (std::int64_t last : last_of) edge(last, i);
      last_global = i;
    } else {
      edge(last_global, i);
      for (std::uint32_t k = s.access_begin; k < s.access_end; ++k) {
        const Access& a = run.accesses[k];
        ObjectUse& use = objects[a.object];
        edge(use.last_change, i);
        if (only_reads(a.mode)) {
          use.reads.push_back(i);
        } else {  // writes and updates alike: two updates keep their order too (an ordered read sees it)
          for (std::uint32_t r : use.reads) edge(r, i);
          use.reads.clear();
          use.last_change = i;
        }
      }
    }
    last_of[s.actor] = i;
    for (ActorMask m = s.woke; m; m &= m - 1) inbox[lowest_actor(m)].push_back(i);
    for (ActorId b = known; b < s.actor_count && b < kMaxActors; ++b) inbox[b].push_back(i);
    if (s.actor_count > known) known = s.actor_count;
  }
  // Each stretch: the actor that ran keeps running while its next step is free to go; otherwise the earliest
  // free step goes (so a witness that is already in order stays as it is).
  std::vector<std::uint32_t> order;
  order.reserve(n);
  std::vector<std::int64_t> free_of(kMaxActors, -1);  // an actor's next step, once nothing it follows is left
  std::vector<bool> taken(n, false);
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> free;
  ActorId current = kNoActor;
  stretch_starts.push_back(n);
  for (std::size_t st = 0; st + 1 < stretch_starts.size(); ++st) {
    const std::uint32_t begin = stretch_starts[st], end = stretch_starts[st + 1];
    for (std::uint32_t i = begin; i < end; ++i)
      if (waiting_for[i] == 0) {
        free.push(i);
        free_of[run.steps[i].actor] = i;
      }
    for (std::uint32_t emitted = begin; emitted < end; ++emitted) {
      std::uint32_t next;
      if (current != kNoActor && free_of[current] >= 0) {
        next = static_cast<std::uint32_t>(free_of[current]);
      } else {
        while (taken[free.top()]) free.pop();
        next = free.top();
        free.pop();
      }
      taken[next] = true;
      current = run.steps[next].actor;
      free_of[current] = -1;
      order.push_back(next);
      for (std::uint32_t y : after[next])
        if (--waiting_for[y] == 0) {
          free.push(y);
          free_of[run.steps[y].actor] = y;
        }
    }
  }
  return order;
}

// Runs the observed steps in `order`, each asking the values it asked when observed. A step whose actor cannot
// run where the order puts it abandons the execution (pruned: no verdict), as does a value out of range.
class FollowOrder final : public Strategy {
 public:
  FollowOrder(const ObservedRun& run, std::vector<std::uint32_t> order) : run_(run), order_(std::move(order)) {}
  std::string_view name() const override { return "replay"; }
  bool observes_steps() const override { return true; }  // asked at every step: the values follow their step
  void begin_execution(std::uint64_t) override {
    next_value_ = 0;
    values_end_ = run_.prelude_values;
  }
  ActorId pick_actor(const PickContext& ctx) override {
    if (ctx.step >= order_.size()) {
      next_value_ = values_end_ = 0;
      return default_pick(ctx);
    }
    const ObservedStep& s = run_.steps[order_[ctx.step]];
    if (!(ctx.runnable & actor_bit(s.actor))) return kPruneExecution;
    next_value_ = s.value_begin;
    values_end_ = s.value_end;
    return s.actor;
  }
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind) override {
    if (next_value_ >= values_end_) return 0;
    const std::uint32_t v = run_.values[next_value_++];
    return v < n ? v : 0;
  }

 private:
  const ObservedRun& run_;
  std::vector<std::uint32_t> order_;
  std::uint32_t next_value_ = 0, values_end_ = 0;
};

}  // namespace

std::optional<ExecutionResult> run_in_equivalent_order(const Scenario& scenario, std::string_view variant,
                                                       const WorldFactory& world, StackPool& stacks,
                                                       const ExecutionOptions& options, const ExecutionResult& like,
                                                       std::uint64_t& runs) {
  ObservedRun run;
  ObservedReplay observed(like.schedule, run);
  observed.begin_execution(0);
  ++runs;
  const ExecutionResult again = run_execution(scenario, variant, world, observed, stacks, options);
  if (!again.same_failure(like) || again.steps != run.steps.size()) return std::nullopt;
  std::vector<std::uint32_t> order = fewer_switches(run);
  // A permutation of the steps in their own order: the same run again would tell nothing.
  if (std::is_sorted(order.begin(), order.end())) return std::nullopt;
  FollowOrder follow(run, std::move(order));
  follow.begin_execution(0);
  ++runs;
  return run_execution(scenario, variant, world, follow, stacks, options);
}

}  // namespace xenrace
