// Execution::wait_until: blocks until its condition holds, re-checks only after another actor's visible
// operation, reports a wait nobody can end as a deadlock naming what it waited for, and times out in
// virtual time.
#include <gtest/gtest.h>

#include <xenrace/scenario.hpp>

#include "harness/test_scenarios.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {
namespace {

using testing::LambdaScenario;

struct Flag {
  explicit Flag(Execution& e) : ex(e) {}
  Execution& ex;
  int value = 0;
  int checks = 0;
  void set(int v) {
    visible_op(ex, "flag.set", std::to_string(v), [&] { value = v; });
  }
  void step() { visible_op(ex, "other.step", "", [] {}); }
};

ExecutionResult run(const Scenario& s, const char* strategy, std::uint64_t seed) {
  StackPool stacks;
  auto st = make_strategy(StrategyOptions{strategy, seed, 3, 2});
  st->begin_execution(seed);
  ExecutionOptions o;
  o.max_steps = 1000;
  o.keep_trace = true;
  return run_execution(s, "v", testing::empty_world(), *st, stacks, o);
}

TEST(WaitUntil, WakesWhenAnotherActorMadeItTrue) {
  LambdaScenario s("wait", [](Execution& ex, std::string_view) {
    auto& f = ex.make<Flag>(ex);
    ex.spawn("waiter", [&ex, &f] {
      ex.wait_until([&f] { ++f.checks; return f.value == 3; }, "the flag to be 3");
      if (f.value != 3) throw std::runtime_error("woke with the flag at " + std::to_string(f.value));
    });
    ex.spawn("setter", [&f] {
      f.set(1);
      f.set(2);
      f.set(3);
    });
  }, Expect::pass);
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const ExecutionResult r = run(s, "random", seed);
    EXPECT_FALSE(r.failed()) << r.check << ": " << r.message;
  }
}

TEST(WaitUntil, ChecksOnlyAfterAnotherActorsOperationNeverSpinning) {
  LambdaScenario s("wait", [](Execution& ex, std::string_view) {
    auto& f = ex.make<Flag>(ex);
    ex.spawn("waiter", [&ex, &f] { ex.wait_until([&f] { ++f.checks; return f.value == 1; }, "the flag"); });
    ex.spawn("setter", [&f] {
      for (int i = 0; i < 10; ++i) f.step();
      f.set(1);
    });
    ex.at_end("checks bounded by the other actor's operations", [&f] {
      return f.checks <= 12 ? std::string() : "checked " + std::to_string(f.checks) + " times for 11 operations";
    });
  }, Expect::pass);
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const ExecutionResult r = run(s, "random", seed);
    EXPECT_FALSE(r.failed()) << r.check << ": " << r.message;
  }
}

TEST(WaitUntil, AWaitNobodyEndsIsADeadlockNamingIt) {
  LambdaScenario s("wait", [](Execution& ex, std::string_view) {
    auto& f = ex.make<Flag>(ex);
    ex.spawn("waiter", [&ex, &f] { ex.wait_until([&f] { return f.value == 9; }, "the flag to be 9"); });
    ex.spawn("setter", [&f] { f.set(1); });
  });
  const ExecutionResult r = run(s, "random", 1);
  ASSERT_EQ(r.outcome, Outcome::deadlock);
  EXPECT_NE(r.message.find("the flag to be 9"), std::string::npos) << r.message;
}

TEST(WaitUntil, TwoWaitersDoNotWakeEachOtherForever) {
  // Each waiter's condition reads through a visible operation; those reads must not count as progress,
  // or the two would keep each other busy until the step limit instead of deadlocking.
  LambdaScenario s("wait", [](Execution& ex, std::string_view) {
    auto& f = ex.make<Flag>(ex);
    for (const char* name : {"waiter A", "waiter B"})
      ex.spawn(name, [&ex, &f] {
        ex.wait_until([&f] {
          f.step();
          return f.value == 9;
        }, "the flag to be 9");
      });
  });
  const ExecutionResult r = run(s, "random", 3);
  EXPECT_EQ(r.outcome, Outcome::deadlock) << r.check << ": " << r.message;
}

TEST(WaitUntil, AChangeMadeWhileTheConditionReadsIsNotLost) {
  // The condition looks at the flag, then reads through a visible operation, which yields: the setter may
  // set the flag right then, while the waiter is not waiting yet. Every schedule must still see it.
  LambdaScenario s("wait", [](Execution& ex, std::string_view) {
    auto& f = ex.make<Flag>(ex);
    ex.spawn("waiter", [&ex, &f] {
      ex.wait_until([&f] {
        const bool set = f.value == 1;
        f.step();
        return set;
      }, "the flag to be 1");
    });
    ex.spawn("setter", [&f] { f.set(1); });
  }, Expect::pass);
  StackPool stacks;
  auto dfs = make_strategy(StrategyOptions{"dfs", 1, 3, 10});
  int executions = 0;
  for (std::uint64_t i = 0; dfs->has_more() && i < 1000; ++i) {
    dfs->begin_execution(i);
    ExecutionOptions o;
    o.max_steps = 1000;
    const ExecutionResult r = run_execution(s, "v", testing::empty_world(), *dfs, stacks, o);
    dfs->end_execution(r.steps);
    ++executions;
    EXPECT_FALSE(r.failed()) << "execution " << i << ": " << r.check << ": " << r.message;
  }
  EXPECT_FALSE(dfs->has_more());
  EXPECT_GT(executions, 1);
}

TEST(WaitUntil, TimesOutInVirtualTime) {
  LambdaScenario s("wait", [](Execution& ex, std::string_view) {
    ex.spawn("waiter", [&ex] {
      const VirtualTime before = ex.sched().now();
      if (ex.wait_until([] { return false; }, "never", 5'000'000)) throw std::runtime_error("held");
      if (ex.sched().now() - before != 5'000'000) throw std::runtime_error("timed out at the wrong time");
    });
  }, Expect::pass);
  const ExecutionResult r = run(s, "random", 1);
  EXPECT_FALSE(r.failed()) << r.check << ": " << r.message;
}

TEST(WaitUntil, OutsideAnActorIsAnError) {
  LambdaScenario s("wait", [](Execution& ex, std::string_view) { ex.wait_until([] { return true; }, "setup"); });
  EXPECT_THROW(run(s, "random", 1), std::logic_error);
}

}  // namespace
}  // namespace xenrace
