// A witness in another order of the same trace (run/equivalent_order.hpp): the dependent steps keep their
// order, so the failure and every value seen stay; the switches between independent steps go.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "backends/sim/sim_world.hpp"
#include "run/equivalent_order.hpp"
#include "test_scenarios.hpp"

namespace xenrace {
namespace {

// One visible step that touches `object` (declared, so dpor and the reordering can tell what commutes).
void step_on(Execution& ex, std::uint64_t object, AccessMode mode) {
  ex.before_visible();
  ex.sched().declare_footprint();
  ex.sched().access(object, mode);
}

// Two clients, each with `private_steps` steps on a counter of its own, then a read and a later write of a
// shared one: a lost update. Each picks how much to add (a data choice), so the message says which values
// the run chose. `declared`: false leaves every step undeclared (global).
testing::LambdaScenario lost_update(int private_steps, bool declared) {
  return testing::LambdaScenario("lost-update", [=](Execution& ex, std::string_view) {
    auto& shared = ex.make<int>(0);
    auto& added = ex.make<int>(0);
    for (const char* name : {"a", "b"}) {
      ex.spawn(name, [&ex, &shared, &added, name, private_steps, declared] {
        const std::uint64_t own = object_key('t', name), common = object_key('t', "shared");
        auto step = [&](std::uint64_t object, AccessMode mode) {
          if (declared) step_on(ex, object, mode);
          else ex.before_visible();
        };
        for (int i = 0; i < private_steps; ++i) step(own, AccessMode::write);
        step(common, AccessMode::read);
        const int seen = shared;
        const int amount = 1 + static_cast<int>(ex.sched().choose(3, ChoiceKind::data));
        added += amount;
        step(common, AccessMode::write);
        shared = seen + amount;
      });
    }
    ex.at_end("no lost update", [&shared, &added]() -> std::string {
      if (shared == added) return "";
      return "the counter holds " + std::to_string(shared) + ", " + std::to_string(added) + " was added";
    });
  });
}

// The first failing random execution with at least `preemptions` preemptions and an amount other than 1 (a
// value the reordered run must ask for at the same step), from seed 1 on.
ExecutionResult busy_failure(const Scenario& s, StackPool& stacks, std::size_t preemptions) {
  const ExecutionOptions options = execution_options_for(s.info(), {}, false);
  for (std::uint64_t seed = 1; seed < 2000; ++seed) {
    auto strategy = make_strategy(StrategyOptions{"random", seed, 3, 2});
    strategy->begin_execution(0);
    ExecutionResult r = run_execution(s, "v", testing::empty_world(), *strategy, stacks, options);
    const bool chose = std::any_of(r.schedule.decisions.begin(), r.schedule.decisions.end(),
                                   [](const Decision& d) { return d.kind == ChoiceKind::data; });
    if (r.failed() && r.schedule.preemptions() >= preemptions && chose) return r;
  }
  ADD_FAILURE() << "no random execution failed with " << preemptions << " preemptions";
  return {};
}

// lost_update(8, declared)'s busy failure, and what run_in_equivalent_order makes of it.
struct Reordered {
  ExecutionResult witness;
  std::optional<ExecutionResult> again;
  std::uint64_t runs = 0;
};
Reordered reorder_busy_failure(bool declared) {
  const testing::LambdaScenario s = lost_update(8, declared);
  StackPool stacks;
  Reordered r;
  r.witness = busy_failure(s, stacks, 6);
  if (r.witness.failed())
    r.again = run_in_equivalent_order(s, "v", testing::empty_world(), stacks,
                                      execution_options_for(s.info(), {}, false), r.witness, r.runs);
  return r;
}

TEST(EquivalentOrder, FewerSwitchesSameFailureSameValues) {
  const auto [witness, again, runs] = reorder_busy_failure(true);
  ASSERT_TRUE(witness.failed());
  EXPECT_EQ(runs, 2u);  // the observed replay, then the new order
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->same_failure(witness)) << again->message;
  EXPECT_EQ(again->message, witness.message);  // the same amounts were chosen
  EXPECT_EQ(again->steps, witness.steps);
  // Each client runs on until the other's read must come between its own read and write: at most two
  // switches away from a client that could go on (a's write may also have to wait for b's).
  EXPECT_LE(again->schedule.preemptions(), 2u) << "from " << witness.schedule.preemptions();
  EXPECT_LT(again->schedule.preemptions(), witness.schedule.preemptions());
}

TEST(EquivalentOrder, UndeclaredStepsKeepTheirPlaces) {
  // Steps that declare nothing are dependent with every step: no other order is the same trace.
  const auto [witness, again, runs] = reorder_busy_failure(false);
  ASSERT_TRUE(witness.failed());
  EXPECT_FALSE(again.has_value());
  EXPECT_EQ(runs, 1u);  // only the observed replay: the same order again would tell nothing
}

// The shrinker ends with it: a witness it returns (its budget not spent) has no simpler equivalent order. Seed
// 1 of blkback-minor-reuse/buggy is a case delta debugging alone leaves at one preemption where the same trace
// has an order with none.
TEST(EquivalentOrder, AShrunkWitnessHasNoSimplerEquivalentOrder) {
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  const WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  StackPool stacks;
  const Scenario& s = registry.get("blkback-minor-reuse");
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    ExploreOptions o;
    o.strategy.name = "random";
    o.strategy.seed = seed;
    const VariantReport r = explore_variant(s, *s.info().variant("buggy"), world, o, stacks);
    ASSERT_TRUE(r.failed) << "seed " << seed;
    ASSERT_FALSE(r.shrink_cut_short) << "seed " << seed;
    std::uint64_t runs = 0;
    const auto again = run_in_equivalent_order(s, "buggy", world, stacks, execution_options_for(s.info(), {}, false),
                                               r.failure, runs);
    if (!again) continue;
    EXPECT_FALSE(again->same_failure(r.failure) &&
                 std::pair(again->schedule.preemptions(), again->steps) <
                     std::pair(r.failure.schedule.preemptions(), r.failure.steps))
        << "seed " << seed << ": the witness has " << r.failure.schedule.preemptions() << " preemptions, "
        << r.failure.steps << " steps; the same trace in another order " << again->schedule.preemptions() << ", "
        << again->steps;
  }
}

}  // namespace
}  // namespace xenrace
