// --shard and --jobs underneath the CLI: dfs shards partition the schedule tree exactly, sampling shards
// partition the execution indices, a failure is found by exactly the shards that hold one, the verdict
// says what was shown, and a report crosses a process boundary bit for bit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <set>

#include "run/explorer.hpp"
#include "run/report_wire.hpp"
#include "run/workers.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "test_scenarios.hpp"

namespace xenrace {
namespace {

// Every execution a strategy runs until it has no more, as the order the steppers ran in; executions outside
// the strategy's shard are left out, as the explorer leaves them out.
std::multiset<std::string> enumerate(Strategy& s, int actors, int steps) {
  StackPool stacks;
  std::multiset<std::string> seen;
  for (std::uint64_t i = 0; s.has_more() && i < 100000; ++i) {
    s.begin_execution(i);
    ExecutionOptions o;
    Execution ex(s, stacks, o);
    std::string order;
    testing::spawn_steppers(ex, actors, steps, &order);
    ExecutionResult r = ex.run();
    s.end_execution(r.steps);
    if (s.execution_in_shard()) seen.insert(order);
  }
  EXPECT_FALSE(s.has_more());
  return seen;
}

TEST(DfsShards, PartitionTheUnshardedTreeExactly) {
  for (int actors : {2, 3})
    for (int steps : {1, 2, 3})
      for (unsigned bound : {0u, 1u, 2u, 100u}) {
        DfsStrategy whole(bound);
        const std::multiset<std::string> all = enumerate(whole, actors, steps);
        ASSERT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size()) << "dfs ran a schedule twice";
        for (unsigned count : {1u, 2u, 3u, 4u, 7u}) {
          std::multiset<std::string> together;
          for (unsigned k = 0; k < count; ++k) {
            DfsStrategy part(bound, k, count);
            for (const auto& order : enumerate(part, actors, steps)) together.insert(order);
          }
          EXPECT_EQ(together, all) << actors << " actors, " << steps << " steps, bound " << bound << ", " << count
                                   << " shards: the shards must run every schedule once, and nothing else";
        }
      }
}

TEST(DfsShards, ATreeWithoutABranchBelongsToTheFirstShard) {
  for (unsigned k = 0; k < 3; ++k) {
    DfsStrategy part(2, k, 3);
    EXPECT_EQ(enumerate(part, 1, 3).size(), k == 0 ? 1u : 0u) << "shard " << k + 1;
  }
}

// Two steppers; the variant fails when B takes its first step before A's second: a failing schedule lies
// under some first choices and not under others.
testing::LambdaScenario ordering_bug() {
  return testing::LambdaScenario("ordering-bug", [](Execution& ex, std::string_view) {
    auto order = std::make_shared<std::string>();
    testing::spawn_steppers(ex, 2, 2, order.get());
    ex.always("A twice before B", [order]() -> std::string {
      const auto b = order->find('B');
      if (b == std::string::npos) return "";
      return std::count(order->begin(), order->begin() + static_cast<std::ptrdiff_t>(b), 'A') >= 2 ? ""
                                                                                                    : "B ran early: " + *order;
    });
  });
}

TEST(DfsShards, AFailureIsFoundByExactlyTheShardsWhoseSubtreeHoldsOne) {
  testing::LambdaScenario scenario = ordering_bug();
  StackPool stacks;
  const auto world = testing::empty_world();
  for (unsigned count : {2u, 3u, 4u}) {
    bool any = false;
    for (unsigned k = 0; k < count; ++k) {
      // Which schedules of this shard fail, found by running them all outside the explorer.
      DfsStrategy part(1, k, count);
      bool holds_failure = false;
      for (const auto& order : enumerate(part, 2, 2)) holds_failure |= order.find('B') < 2;
      ExploreOptions o;
      o.strategy.name = "dfs";
      o.strategy.preemption_bound = 1;
      o.strategy.shard_index = k;
      o.strategy.shard_count = count;
      o.iterations = 1000;
      o.shrink = false;
      const VariantReport r = explore_variant(scenario, scenario.info().variants[0], world, o, stacks);
      EXPECT_EQ(r.failed, holds_failure) << "shard " << k + 1 << "/" << count << ": " << r.message;
      EXPECT_TRUE(r.failed || r.exhausted);
      any |= r.failed;
    }
    EXPECT_TRUE(any) << "some shard of " << count << " holds the failing schedules";
  }
}

TEST(SamplingShards, RangesPartitionTheBudgetInOrder) {
  for (std::uint64_t budget : {1u, 7u, 1000u, 1001u})
    for (unsigned count : {1u, 2u, 3u, 8u}) {
      std::uint64_t next = 0;
      for (unsigned k = 0; k < count; ++k) {
        const auto [first, last] = shard_range(budget, k, count);
        EXPECT_EQ(first, next);
        EXPECT_LE(first, last);
        next = last;
      }
      EXPECT_EQ(next, budget);
    }
}

// random's execution i is a function of (seed, i): the shard whose range holds the unsharded run's first
// failing index finds it at that same index; the shards before it pass their whole range.
TEST(SamplingShards, RandomShardsFindTheFailureAtTheUnshardedIndex) {
  testing::LambdaScenario scenario = ordering_bug();
  StackPool stacks;
  const auto world = testing::empty_world();
  ExploreOptions o;
  o.strategy.name = "random";
  o.strategy.seed = 7;
  o.iterations = 200;
  o.shrink = false;
  const VariantReport whole = explore_variant(scenario, scenario.info().variants[0], world, o, stacks);
  ASSERT_TRUE(whole.failed);
  const std::uint64_t failing = whole.executions - 1;
  const unsigned count = 5;
  for (unsigned k = 0; k < count; ++k) {
    o.strategy.shard_index = k;
    o.strategy.shard_count = count;
    const VariantReport r = explore_variant(scenario, scenario.info().variants[0], world, o, stacks);
    const auto [first, last] = shard_range(o.iterations, k, count);
    EXPECT_EQ(r.first_index, first);
    EXPECT_EQ(r.budget, last - first);
    if (last <= failing) {
      EXPECT_FALSE(r.failed) << "shard " << k + 1;
      EXPECT_EQ(r.executions, last - first);
    } else if (first <= failing) {
      ASSERT_TRUE(r.failed) << "shard " << k + 1;
      EXPECT_EQ(r.first_index + r.executions - 1, failing);
      EXPECT_EQ(r.replay->schedule, whole.replay->schedule);
    }
  }
}

TEST(Verdict, SaysWhatWasShown) {
  testing::LambdaScenario fixed("steppers", [](Execution& ex, std::string_view) {
    testing::spawn_steppers(ex, 2, 2, nullptr);
  }, Expect::pass);
  StackPool stacks;
  const auto world = testing::empty_world();
  auto run = [&](const std::string& strategy, std::uint64_t budget, unsigned shard = 0, unsigned shards = 1) {
    ExploreOptions o;
    o.strategy.name = strategy;
    o.strategy.preemption_bound = 2;
    o.strategy.seed = 3;
    o.strategy.shard_index = shard;
    o.strategy.shard_count = shards;
    o.iterations = budget;
    return explore_variant(fixed, fixed.info().variants[0], world, o, stacks);
  };
  VariantReport sampled = run("random", 20);
  EXPECT_STREQ(shown(sampled), "sampled");
  EXPECT_EQ(shown_text(sampled), "no failure in 20 sampled executions (random, seed 3)");
  VariantReport verified = run("dfs", 1000);
  ASSERT_TRUE(verified.exhausted);
  EXPECT_STREQ(shown(verified), "verified");
  EXPECT_EQ(shown_text(verified),
            "verified: every schedule explored (bound 2, dfs), " + std::to_string(verified.executions) + " executions");
  VariantReport unfinished = run("dfs", 2);
  EXPECT_FALSE(unfinished.exhausted);
  EXPECT_STREQ(shown(unfinished), "sampled");
  EXPECT_EQ(shown_text(unfinished), "no failure in 2 executions of an unfinished dfs search (bound 2)");
  unfinished.verifying = true;
  EXPECT_EQ(shown_text(unfinished), "not verified within budget: 2 executions, search unfinished (bound 2, dfs)");
  VariantReport part = run("dfs", 1000, 1, 2);
  EXPECT_STREQ(shown(part), "shard-complete");
  EXPECT_NE(shown_text(part).find("shard 2/2"), std::string::npos) << shown_text(part);
  EXPECT_EQ(shown_text(run("random", 20, 1, 2)), "no failure in 10 sampled executions (random, seed 3, shard 2/2)");
}

TEST(ReportWire, ARoundTripIsExact) {
  testing::LambdaScenario scenario = ordering_bug();
  StackPool stacks;
  ExploreOptions o;
  o.strategy.name = "random";
  o.iterations = 200;
  const VariantReport r = explore_variant(scenario, scenario.info().variants[0], testing::empty_world(), o, stacks);
  ASSERT_TRUE(r.failed);
  ASSERT_FALSE(r.failure.events.empty());
  WireWriter w;
  w.report(r);
  WireReader in(w.bytes());
  const VariantReport back = in.report();
  EXPECT_TRUE(in.done());
  WireWriter again;
  again.report(back);
  EXPECT_EQ(again.bytes(), w.bytes());
  EXPECT_EQ(back.failure.events.size(), r.failure.events.size());
  EXPECT_EQ(back.failure.events.back().result, r.failure.events.back().result);
  EXPECT_EQ(back.replay->encode(), r.replay->encode());
  EXPECT_EQ(back.failure.schedule.preemptions(), r.failure.schedule.preemptions());
  EXPECT_EQ(back.message, r.message);
  WireReader cut(std::string_view(w.bytes()).substr(0, w.bytes().size() - 1));
  EXPECT_THROW(cut.report(), std::runtime_error);
  // What the model left out travels too, and an unbounded search that a bounded proof followed.
  VariantReport noted = r;
  noted.not_modelled = {"a.service: ExecStartPre=/bin/true", "b.mount: What=xenfs"};
  noted.unbounded_unfinished_after = 1234;
  WireWriter with_notes;
  with_notes.report(noted);
  WireReader notes_in(with_notes.bytes());
  const VariantReport noted_back = notes_in.report();
  EXPECT_EQ(noted_back.not_modelled, noted.not_modelled);
  EXPECT_EQ(noted_back.unbounded_unfinished_after, 1234u);
}

TEST(ReportWire, ACorruptCountIsAnErrorNotAnAllocation) {
  WireWriter w;
  w.u64(~std::uint64_t{0} / 2);  // a list "of" 2^63 strings, then nothing
  WireReader in(w.bytes());
  EXPECT_THROW(in.count(8), std::runtime_error);
}

TEST(Workers, ResultsComeBackInTaskOrderFromOtherProcesses) {
  std::vector<std::string> got;
  run_in_workers(
      9, 3, [](std::size_t i) { return std::to_string(i) + ":" + std::to_string(::getpid()); },
      [&](std::size_t i, std::string bytes) {
        EXPECT_EQ(i, got.size());
        got.push_back(std::move(bytes));
      },
      [](std::size_t i) { return "task " + std::to_string(i); });
  ASSERT_EQ(got.size(), 9u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].substr(0, got[i].find(':')), std::to_string(i));
    EXPECT_NE(got[i].substr(got[i].find(':') + 1), std::to_string(::getpid())) << "ran in this process";
  }
}

TEST(Workers, AUsageErrorInAWorkerIsAUsageErrorHere) {
  auto run = [] {
    run_in_workers(
        4, 2,
        [](std::size_t i) -> std::string {
          if (i == 2) throw UsageError("bad param in task 2");
          return "ok";
        },
        [](std::size_t, std::string) {}, [](std::size_t i) { return "task " + std::to_string(i); });
  };
  try {
    run();
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "bad param in task 2");
  }
}

TEST(Workers, AWorkerThatDiesIsAnErrorNamingItsTask) {
  try {
    run_in_workers(
        3, 2,
        [](std::size_t i) -> std::string {
          if (i == 1) _exit(7);
          return "ok";
        },
        [](std::size_t, std::string) {}, [](std::size_t i) { return "variant " + std::to_string(i); });
    FAIL() << "no error";
  } catch (const UsageError&) {
    FAIL() << "a crash is not bad usage";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("variant 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exited 7"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace xenrace
