#include <gtest/gtest.h>

#include "runtime/execution.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "test_scenarios.hpp"

namespace xenrace {
namespace {

struct Fixture : ::testing::Test {
  StackPool stacks;
  RandomStrategy strategy{1};
  ExecutionOptions options() {
    ExecutionOptions o;
    o.max_steps = 1000;
    o.keep_trace = true;
    return o;
  }
};

using SchedulerTest = Fixture;

TEST_F(SchedulerTest, RunsEveryActorToCompletion) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  std::string order;
  testing::spawn_steppers(ex, 3, 4, &order);
  ExecutionResult r = ex.run();
  EXPECT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(order.size(), 12u);
  EXPECT_EQ(std::count(order.begin(), order.end(), 'C'), 4);
}

TEST_F(SchedulerTest, DeadlockNamesTheBlockedActors) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  auto& never = ex.make<WaitQueue>();
  ex.spawn("xl pci-attach", [&] { ex.sched().wait(never, "backend state 4"); });
  ex.spawn("blkback", [&] { ex.sched().wait(never, "physical-device"); });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::deadlock);
  EXPECT_NE(r.message.find("xl pci-attach (waiting for backend state 4)"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("blkback (waiting for physical-device)"), std::string::npos) << r.message;
}

TEST_F(SchedulerTest, BlockedDaemonIsNotADeadlock) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  auto& never = ex.make<WaitQueue>();
  ex.spawn_daemon("udevd", [&] {
    for (;;) ex.sched().wait(never, "uevent");
  });
  ex.spawn("script", [&] { ex.before_visible(); });
  EXPECT_FALSE(ex.run().failed());
}

TEST_F(SchedulerTest, SleepAdvancesVirtualTimeOnly) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  VirtualTime woke = 0;
  ex.spawn("poller", [&] {
    ex.sched().sleep(100'000'000);
    ex.sched().sleep(100'000'000);
    woke = ex.sched().now();
  });
  EXPECT_FALSE(ex.run().failed());
  EXPECT_EQ(woke, 200'000'000u);
}

TEST_F(SchedulerTest, TimeoutReturnsFalseAndNotifyReturnsTrue) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  auto& q = ex.make<WaitQueue>();
  bool first = true, second = false;
  VirtualTime at = 0;
  ex.spawn("waiter", [&] {
    first = ex.sched().wait(q, "event", 5'000);
    at = ex.sched().now();
    second = ex.sched().wait(q, "event", 1'000'000);
  });
  ex.spawn("notifier", [&] {
    ex.sched().sleep(10'000);  // after the first timeout, before the second
    ex.sched().notify_all(q);
  });
  EXPECT_FALSE(ex.run().failed());
  EXPECT_FALSE(first);
  EXPECT_EQ(at, 5'000u);
  EXPECT_TRUE(second);
}

TEST_F(SchedulerTest, ThrowingActorFailsTheExecutionWithItsMessage) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  ex.spawn("xl", [&] {
    ex.before_visible();
    throw std::runtime_error("backend path does not exist");
  });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::actor_failed);
  EXPECT_EQ(r.message, "xl failed: backend path does not exist");
}

TEST_F(SchedulerTest, ActorReturningAnErrorFailsTheExecution) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  ex.spawn("block add", [] { return ActorStatus::fail("losetup: EBUSY"); });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::actor_failed);
  EXPECT_EQ(r.message, "block add failed: losetup: EBUSY");
}

TEST_F(SchedulerTest, EndlessRetryHitsTheStepLimit) {
  strategy.begin_execution(0);
  ExecutionOptions o = options();
  o.max_steps = 50;
  Execution ex(strategy, stacks, o);
  ex.spawn("retry loop", [&] {
    for (;;) ex.before_visible();
  });
  EXPECT_EQ(ex.run().outcome, Outcome::step_limit);
}

TEST_F(SchedulerTest, KilledActorRunsItsExitHandlersAndUnwinds) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  bool fd_closed = false, destructor_ran = false;
  struct Guard {
    bool* flag;
    ~Guard() { *flag = true; }
  };
  ActorId script = ex.spawn("block script", [&] {
    Guard g{&destructor_ran};
    ex.sched().at_exit([&] { fd_closed = true; });
    for (;;) ex.before_visible();
  });
  ex.spawn("killer", [&] {
    ex.before_visible();
    ex.sched().kill(script);
  });
  ExecutionResult r = ex.run();
  EXPECT_FALSE(r.failed()) << r.message;
  EXPECT_TRUE(fd_closed);
  EXPECT_TRUE(destructor_ran);
  EXPECT_TRUE(ex.sched().killed(script));
}

TEST_F(SchedulerTest, UnfinishedActorsAreUnwoundWhenTheExecutionStops) {
  strategy.begin_execution(0);
  int destroyed = 0;
  {
    Execution ex(strategy, stacks, options());
    struct Guard {
      int* n;
      ~Guard() { ++*n; }
    };
    auto& never = ex.make<WaitQueue>();
    ex.spawn_daemon("d1", [&] {
      Guard g{&destroyed};
      ex.sched().wait(never, "forever");
    });
    ex.spawn("p", [&] { ex.before_visible(); });
    ex.always("stop", [&]() -> std::string { return ex.sched().steps() >= 1 ? "stop now" : ""; });
    EXPECT_TRUE(ex.run().failed());
  }
  EXPECT_EQ(destroyed, 1);
}

TEST_F(SchedulerTest, InvariantIsCheckedAfterEveryStep) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  int value = 0;
  ex.spawn("writer", [&] {
    for (int i = 0; i < 5; ++i) {
      ex.before_visible();
      ++value;
    }
    ex.before_visible();
    value = 0;  // the final state is fine; the intermediate one is not
  });
  ex.always("never above 3", [&]() -> std::string { return value > 3 ? "value went above 3" : ""; });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::invariant_violated);
  EXPECT_EQ(r.check, "never above 3");
}

TEST_F(SchedulerTest, ChoicesAreRecordedAndReplayed) {
  Schedule recorded;
  std::vector<std::uint32_t> seen, replayed;
  {
    RandomStrategy s(7);
    s.begin_execution(0);
    Execution ex(s, stacks, options());
    ex.spawn("gen", [&] {
      for (int i = 0; i < 20; ++i) seen.push_back(ex.choose(5, ChoiceKind::data));
    });
    recorded = ex.run().schedule;
  }
  ReplayStrategy replay(recorded);
  replay.begin_execution(0);
  Execution ex(replay, stacks, options());
  ex.spawn("gen", [&] {
    for (int i = 0; i < 20; ++i) replayed.push_back(ex.choose(5, ChoiceKind::data));
  });
  ex.run();
  EXPECT_EQ(seen, replayed);
  EXPECT_FALSE(replay.diverged());
}

TEST_F(SchedulerTest, SpawnFromAnActorWorks) {
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, options());
  bool child_ran = false;
  ex.spawn("libxl", [&] {
    ex.before_visible();
    ex.spawn("hotplug script", [&] {
      ex.before_visible();
      child_ran = true;
    });
    ex.before_visible();
  });
  EXPECT_FALSE(ex.run().failed());
  EXPECT_TRUE(child_ran);
}

}  // namespace
}  // namespace xenrace
