// One variant's search split over worker processes (explore --jobs N on one variant): the shared budget
// hands out the same executions to each worker on every run and finishes exactly when the needs fit; a split
// search gives one process's verdict, and a failure found so gives one process's witness.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <limits>
#include <memory>
#include <vector>

#include "run/explorer.hpp"
#include "run/report_wire.hpp"
#include "run/shared_budget.hpp"
#include "run/workers.hpp"
#include "test_scenarios.hpp"

namespace xenrace {
namespace {

// Each part, in its own process, takes executions until it needs no more or is refused; what each ran.
std::vector<std::uint64_t> spend(std::uint64_t total, const std::vector<std::uint64_t>& needs,
                                 std::uint64_t stop_after = 0) {
  SharedBudget budget(total, static_cast<unsigned>(needs.size()));
  std::vector<std::uint64_t> ran(needs.size());
  run_in_workers(
      needs.size(), static_cast<unsigned>(needs.size()),
      [&](std::size_t part) {
        const auto k = static_cast<unsigned>(part);
        std::uint64_t n = 0;
        while (n < needs[k] && budget.take(k)) {
          ++n;
          if (stop_after && k == 0 && n == stop_after) budget.stop();
        }
        budget.finished(k);
        return std::to_string(n);
      },
      [&](std::size_t part, std::string bytes) { ran[part] = std::stoull(bytes); },
      [](std::size_t part) { return "part " + std::to_string(part); });
  return ran;
}

TEST(SharedBudget, EveryPartGetsWhatItNeedsWhenTheNeedsFit) {
  for (std::uint64_t total : {55u, 56u, 1000u})
    EXPECT_EQ(spend(total, {5, 50, 0}), (std::vector<std::uint64_t>{5, 50, 0})) << total;
  EXPECT_EQ(spend(7, {7}), std::vector<std::uint64_t>{7});
}

TEST(SharedBudget, WhatAPartLeavesGoesToThePartsStillSearching) {
  // Shares of 14, 13, 13; the first and last parts give back 9 and 13, and the middle one gets all 22.
  for (int run = 0; run < 5; ++run) EXPECT_EQ(spend(40, {5, 50, 0}), (std::vector<std::uint64_t>{5, 35, 0}));
  // Fewer executions than parts: only the first parts get a share.
  EXPECT_EQ(spend(1, {3, 3}), (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(spend(0, {3, 3}), (std::vector<std::uint64_t>{0, 0}));
}

TEST(SharedBudget, WhenTheNeedsDoNotFitTheWholeBudgetIsSpent) {
  for (std::uint64_t total : {10u, 54u}) {
    const auto ran = spend(total, {5, 50, 9, 30});
    std::uint64_t sum = 0;
    for (std::uint64_t n : ran) sum += n;
    EXPECT_EQ(sum, total);
    EXPECT_EQ(spend(total, {5, 50, 9, 30}), ran) << "the same shares on every run";
  }
}

TEST(SharedBudget, AStopEndsEveryPart) {
  // The other parts would take executions for as long as the budget lasts: only the stop ends them (a
  // stop that did not would leave this test running).
  constexpr std::uint64_t endless = std::numeric_limits<std::uint64_t>::max();
  const auto ran = spend(endless, {100, endless, endless}, 3);
  EXPECT_EQ(ran[0], 3u);
  EXPECT_LT(ran[1], endless / 3);
  EXPECT_LT(ran[2], endless / 3);
}

ExploreOptions dfs_options(unsigned split, std::uint64_t iterations) {
  ExploreOptions o;
  o.strategy.name = "dfs";
  o.strategy.preemption_bound = 2;
  o.iterations = iterations;
  o.split = split;
  return o;
}

ExploreOptions sampling_options(const char* strategy, unsigned split, std::uint64_t iterations) {
  ExploreOptions o;
  o.strategy.name = strategy;
  o.iterations = iterations;
  o.split = split;
  return o;
}

testing::LambdaScenario three_steppers() {
  return testing::LambdaScenario(
      "steppers", [](Execution& ex, std::string_view) { testing::spawn_steppers(ex, 3, 2, nullptr); }, Expect::pass);
}

TEST(SplitSearch, AFinishedSearchIsOneProcesssVerdict) {
  testing::LambdaScenario scenario = three_steppers();
  StackPool stacks;
  const auto world = testing::empty_world();
  const VariantReport alone = explore_variant(scenario, scenario.info().variants[0], world, dfs_options(1, 100000), stacks);
  ASSERT_TRUE(alone.exhausted);
  ASSERT_GT(alone.executions, 10u);
  for (unsigned split : {2u, 3u}) {
    const VariantReport r = explore_variant(scenario, scenario.info().variants[0], world, dfs_options(split, 100000), stacks);
    EXPECT_STREQ(shown(r), "verified") << split;
    EXPECT_EQ(shown_text(r), shown_text(alone)) << split;
    // dfs's shards run exactly the whole tree's executions: the same sum of hashes, the same busiest pass.
    EXPECT_EQ(r.executions, alone.executions);
    EXPECT_EQ(r.trace_hash, alone.trace_hash);
    ASSERT_TRUE(r.busiest_pass && alone.busiest_pass);
    EXPECT_EQ(r.busiest_pass->encode(), alone.busiest_pass->encode());
    EXPECT_EQ(r.budget, alone.budget);
    EXPECT_FALSE(r.sharded());
  }
}

// random and pct split into ranges of execution indices, each execution as in one process: the merge is one
// process's report, for the whole budget and for a shard of it (--shard 2/3 --jobs 2).
TEST(SplitSearch, ASampledSearchIsOneProcesssReport) {
  testing::LambdaScenario scenario = three_steppers();
  StackPool stacks;
  const auto world = testing::empty_world();
  for (const char* strategy : {"random", "pct"}) {
    for (unsigned shard_count : {1u, 3u}) {
      ExploreOptions one = sampling_options(strategy, 1, 301);
      one.strategy.shard_index = shard_count == 1 ? 0 : 1;
      one.strategy.shard_count = shard_count;
      const VariantReport alone = explore_variant(scenario, scenario.info().variants[0], world, one, stacks);
      for (unsigned split : {2u, 3u}) {
        ExploreOptions o = one;
        o.split = split;
        const VariantReport r = explore_variant(scenario, scenario.info().variants[0], world, o, stacks);
        const std::string what = fmt::format("{} shard {}/{} split {}", strategy, one.strategy.shard_index + 1, shard_count, split);
        EXPECT_EQ(shown_text(r), shown_text(alone)) << what;
        EXPECT_EQ(r.executions, alone.executions) << what;
        EXPECT_EQ(r.first_index, alone.first_index) << what;
        EXPECT_EQ(r.budget, alone.budget) << what;
        EXPECT_EQ(r.steps, alone.steps) << what;
        EXPECT_EQ(r.trace_hash, alone.trace_hash) << what;
        ASSERT_TRUE(r.busiest_pass && alone.busiest_pass) << what;
        EXPECT_EQ(r.busiest_pass->encode(), alone.busiest_pass->encode()) << what;
      }
    }
  }
}

TEST(SplitSearch, ASearchTheBudgetDoesNotCoverIsUnfinishedTheSameWayEveryRun) {
  testing::LambdaScenario scenario = three_steppers();
  StackPool stacks;
  const auto world = testing::empty_world();
  const VariantReport alone = explore_variant(scenario, scenario.info().variants[0], world, dfs_options(1, 100000), stacks);
  const std::uint64_t short_of = alone.executions - 1;
  const VariantReport once = explore_variant(scenario, scenario.info().variants[0], world, dfs_options(2, short_of), stacks);
  EXPECT_FALSE(once.exhausted) << "one execution short of the whole tree";
  for (int run = 0; run < 3; ++run) {
    const VariantReport again = explore_variant(scenario, scenario.info().variants[0], world, dfs_options(2, short_of), stacks);
    EXPECT_EQ(again.executions, once.executions);
    EXPECT_EQ(again.trace_hash, once.trace_hash);
  }
}

TEST(SplitSearch, ExecutionsThatOnlyFindTheSplitDoNotCount) {
  // Two steppers: the first choice has two options, so the third of three parts is empty, and its worker
  // learns that only by running one execution into the split.
  testing::LambdaScenario scenario(
      "two-steppers", [](Execution& ex, std::string_view) { testing::spawn_steppers(ex, 2, 2, nullptr); },
      Expect::pass);
  StackPool stacks;
  const auto world = testing::empty_world();
  const VariantReport alone = explore_variant(scenario, scenario.info().variants[0], world, dfs_options(1, 100000), stacks);
  ASSERT_TRUE(alone.exhausted);
  const VariantReport r =
      explore_variant(scenario, scenario.info().variants[0], world, dfs_options(3, alone.executions), stacks);
  EXPECT_TRUE(r.exhausted) << "the budget one process needs is enough for the split search too";
  EXPECT_EQ(r.executions, alone.executions);
}

TEST(SplitSearch, AFailureIsOneProcesssWitness) {
  // The ordering bug (B before A's second step), in a variant expected to pass: a regression.
  testing::LambdaScenario scenario("ordering-bug", [](Execution& ex, std::string_view) {
    auto order = std::make_shared<std::string>();
    testing::spawn_steppers(ex, 3, 2, order.get());
    ex.always("A twice before B", [order]() -> std::string {
      const auto b = order->find('B');
      if (b == std::string::npos) return "";
      return std::count(order->begin(), order->begin() + static_cast<std::ptrdiff_t>(b), 'A') >= 2 ? "" : "B ran early";
    });
  }, Expect::pass);
  StackPool stacks;
  const auto world = testing::empty_world();
  for (const char* strategy : {"dfs", "random", "pct"}) {
    auto options = [&](unsigned split) {
      return std::string_view(strategy) == "dfs" ? dfs_options(split, 100000) : sampling_options(strategy, split, 100000);
    };
    const VariantReport alone = explore_variant(scenario, scenario.info().variants[0], world, options(1), stacks);
    ASSERT_TRUE(alone.failed) << strategy;
    for (unsigned split : {2u, 3u}) {
      const VariantReport r = explore_variant(scenario, scenario.info().variants[0], world, options(split), stacks);
      ASSERT_TRUE(r.failed) << strategy << " " << split;
      EXPECT_EQ(r.executions, alone.executions) << strategy;
      EXPECT_EQ(r.message, alone.message) << strategy;
      ASSERT_TRUE(r.replay);
      EXPECT_EQ(r.replay->encode(), alone.replay->encode()) << strategy;
      EXPECT_EQ(r.failure.trace_hash, alone.failure.trace_hash) << strategy;
    }
  }
}

}  // namespace
}  // namespace xenrace
