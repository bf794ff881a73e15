#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "run/explorer.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/pct_strategy.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "test_scenarios.hpp"

namespace xenrace {
namespace {

std::string interleaving(Strategy& s, StackPool& stacks, std::uint64_t index, int actors = 2, int steps = 4) {
  s.begin_execution(index);
  ExecutionOptions o;
  Execution ex(s, stacks, o);
  std::string order;
  testing::spawn_steppers(ex, actors, steps, &order);
  ExecutionResult r = ex.run();
  s.end_execution(r.steps);
  return order;
}

TEST(RandomStrategy, SameSeedSameInterleavings) {
  StackPool stacks;
  RandomStrategy a(99), b(99);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(interleaving(a, stacks, i), interleaving(b, stacks, i));
}

TEST(RandomStrategy, DifferentSeedsReachDifferentInterleavings) {
  StackPool stacks;
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    RandomStrategy s(seed);
    seen.insert(interleaving(s, stacks, 0));
  }
  EXPECT_GT(seen.size(), 5u);
}

TEST(PctStrategy, SameSeedSameInterleavings) {
  StackPool stacks;
  PctStrategy a(5, 3), b(5, 3);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(interleaving(a, stacks, i), interleaving(b, stacks, i));
}

TEST(PctStrategy, DepthOneRunsActorsWithoutPreemption) {
  // With d = 1 there are no change points: each execution runs one actor to completion, then the next.
  StackPool stacks;
  PctStrategy s(3, 1);
  for (int i = 0; i < 20; ++i) {
    std::string o = interleaving(s, stacks, i, 3, 3);
    int switches = 0;
    for (std::size_t k = 1; k < o.size(); ++k) switches += o[k] != o[k - 1];
    EXPECT_EQ(switches, 2) << o;
  }
}

// Execution i of pct depends on (seed, i) and its first 16 executions only: a shard that starts at i runs
// those and then exactly what an unsharded search runs at i, whatever the executions between took. With the
// step bound learned from every execution so far, the longer executions 16..24 would move the change points.
TEST(PctStrategy, ExecutionIDependsOnlyOnItsSeedAndTheFirstExecutions) {
  auto picks = [](PctStrategy& pct, std::uint64_t index) {
    pct.begin_execution(index);
    std::string order;
    ActorId current = kNoActor;
    for (std::uint64_t step = 0; step < 40; ++step) {
      current = pct.pick_actor({0b111, current, step, 3});
      order += static_cast<char>('0' + current);
    }
    pct.end_execution(10 + 3 * index);  // executions of different lengths
    return order;
  };
  PctStrategy whole(7, 3), shard(7, 3);
  std::vector<std::string> unsharded;
  for (std::uint64_t i = 0; i < 40; ++i) unsharded.push_back(picks(whole, i));
  for (std::uint64_t i = 0; i < shard.learns_from_first(); ++i) picks(shard, i);
  int differ_from_zero = 0;
  for (std::uint64_t i = 25; i < 40; ++i) {
    const std::string o = picks(shard, i);
    EXPECT_EQ(o, unsharded[i]) << "execution " << i;
    differ_from_zero += o != unsharded[0];
  }
  EXPECT_GT(differ_from_zero, 0);  // the executions are not all one schedule
}

TEST(DfsStrategy, EnumeratesEveryInterleavingOfTwoActors) {
  // Two actors with 3 steps each: C(6,3) = 20 interleavings; with an unbounded preemption budget dfs
  // must produce each exactly once and then report exhaustion.
  StackPool stacks;
  DfsStrategy s(100);
  std::set<std::string> seen;
  int runs = 0;
  while (s.has_more() && runs < 1000) {
    seen.insert(interleaving(s, stacks, runs, 2, 3));
    ++runs;
  }
  EXPECT_FALSE(s.has_more());
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(runs, 20);
}

TEST(DfsStrategy, PreemptionBoundLimitsTheTree) {
  StackPool stacks;
  DfsStrategy s(0);
  std::set<std::string> seen;
  while (s.has_more()) seen.insert(interleaving(s, stacks, 0, 2, 3));
  // No preemption: whoever starts runs to completion. The first pick preempts nobody, so both orders.
  EXPECT_EQ(seen, (std::set<std::string>{"AAABBB", "BBBAAA"}));
}

// A generated program with a depth-2 ordering bug: actor B's step j must not run before actor A's step i.
// PCT with d = 2 finds such a bug with probability >= 1/(n k) per execution, so within 10 n k runs
// it must find it (the bound makes failure astronomically unlikely, and the seed makes it deterministic).
RC_GTEST_PROP(PctProperty, FindsDepthTwoBugWithinExpectedRuns, ()) {
  const int steps = *rc::gen::inRange(2, 8);
  const int i = *rc::gen::inRange(0, steps);
  const int j = *rc::gen::inRange(0, steps);
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint32_t>();
  testing::LambdaScenario scenario("depth-2", [&](Execution& ex, std::string_view) {
    auto& a_done = ex.make<bool>(false);
    auto& bug = ex.make<bool>(false);
    ex.spawn("A", [&ex, &a_done, steps, i] {
      for (int k = 0; k < steps; ++k) {
        ex.before_visible();
        if (k == i) a_done = true;
      }
    });
    ex.spawn("B", [&ex, &a_done, &bug, steps, j] {
      for (int k = 0; k < steps; ++k) {
        ex.before_visible();
        if (k == j && !a_done) bug = true;
      }
    });
    ex.at_end("order", [&bug]() -> std::string { return bug ? "B ran before A" : ""; });
  });
  StackPool stacks;
  ExploreOptions o;
  o.strategy = {"pct", seed, 2};
  const int n = 2, k = 2 * steps + 2;
  o.iterations = static_cast<std::uint64_t>(10 * n * k);
  o.shrink = false;
  VariantReport r = explore_variant(scenario, scenario.info().variants[0], testing::empty_world(), o, stacks);
  RC_ASSERT(r.failed);
}

}  // namespace
}  // namespace xenrace

namespace xenrace {
namespace {

// PCT as published (Burckhardt et al., ASPLOS 2010): change point i carries priority i whatever its place in
// time, so the actor demoted first is not always the lowest. Three actors always runnable until the one never
// demoted finishes at step 90; after that the two demoted ones compete, and the higher of their two change-point
// priorities runs. Both outcomes must occur over many executions; a PCT that gives priorities in time order
// would always run the actor demoted second.
TEST(PctStrategy, ChangePointPrioritiesAreIndependentOfTheirTimeOrder) {
  PctStrategy pct(11, 3);
  pct.begin_execution(0);
  pct.end_execution(100);  // k, the step estimate: both change points land in [0, 100)
  int first_demoted_runs = 0, second_demoted_runs = 0;
  for (std::uint64_t e = 1; e <= 400; ++e) {
    pct.begin_execution(e);
    ActorId current = kNoActor;
    std::vector<ActorId> demoted;  // in time order: the running actor whenever the pick changed it
    ActorMask runnable = 0b111;
    ActorId after_top_finished = kNoActor;
    for (std::uint64_t step = 0; step < 100; ++step) {
      const ActorId chosen = pct.pick_actor({runnable, current, step, 3});
      if (current != kNoActor && chosen != current && (runnable & actor_bit(current)) &&
          std::find(demoted.begin(), demoted.end(), current) == demoted.end())
        demoted.push_back(current);
      if (step >= 90 && after_top_finished == kNoActor) after_top_finished = chosen;
      current = chosen;
      if (step == 89 && demoted.size() == 2) {
        for (ActorId a = 0; a < 3; ++a)
          if (std::find(demoted.begin(), demoted.end(), a) == demoted.end()) runnable &= ~actor_bit(a);
      }
    }
    if (demoted.size() != 2 || runnable == 0b111) continue;  // a change point fell after step 89
    if (after_top_finished == demoted[0]) ++first_demoted_runs;
    if (after_top_finished == demoted[1]) ++second_demoted_runs;
  }
  EXPECT_GT(first_demoted_runs, 0);
  EXPECT_GT(second_demoted_runs, 0);
}

}  // namespace
}  // namespace xenrace
