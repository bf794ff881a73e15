// The Scheduler's OS-thread mode (dom0 free runs): the same actor API on real threads. Every test ends by
// itself whatever the OS interleaving is; none depends on timing.
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "runtime/execution.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {
namespace {

struct ThreadedRun {
  std::unique_ptr<Strategy> strategy = make_strategy(StrategyOptions{"random", 1, 3, 2});
  StackPool stacks;
  ExecutionOptions options = [] {
    ExecutionOptions o;
    o.os_threads = true;
    o.max_steps = 1000000;
    return o;
  }();
};

TEST(OsThreads, ActorsRunToCompletionAndEveryStepCounts) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  int& counter = ex.make<int>(0);
  for (const char* name : {"a", "b", "c"})
    ex.spawn(name, [&] {
      for (int i = 0; i < 500; ++i) {
        ex.before_visible();
        ++counter;  // actor code runs under the actor lock: no data race
      }
    });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::passed) << r.message;
  EXPECT_EQ(counter, 1500);
  EXPECT_GE(r.steps, 1500u);
}

TEST(OsThreads, WaitEndsWithNotify) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  WaitQueue& q = ex.make<WaitQueue>();
  bool& ready = ex.make<bool>(false);
  ex.spawn("waiter", [&] {
    while (!ready) ex.sched().wait(q, "ready");
  });
  ex.spawn("notifier", [&] {
    ex.before_visible();
    ready = true;
    ex.sched().notify_all(q);
  });
  EXPECT_EQ(ex.run().outcome, Outcome::passed);
}

TEST(OsThreads, AWaitNobodyCanEndIsADeadlock) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  WaitQueue& q = ex.make<WaitQueue>();
  ex.spawn("stuck", [&] { ex.sched().wait(q, "something that never happens"); });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::deadlock);
  EXPECT_NE(r.message.find("stuck (waiting for something that never happens)"), std::string::npos) << r.message;
}

TEST(OsThreads, AWaitWithATimeoutReturnsFalseWhenNobodyNotifies) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  WaitQueue& q = ex.make<WaitQueue>();
  bool& woken = ex.make<bool>(true);
  ex.spawn("sleeper", [&] { woken = ex.sched().wait(q, "nothing", 1000000); });
  EXPECT_EQ(ex.run().outcome, Outcome::passed);
  EXPECT_FALSE(woken);
}

TEST(OsThreads, ABrokenInvariantStopsEveryActor) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  int& counter = ex.make<int>(0);
  for (const char* name : {"a", "b"})
    ex.spawn(name, [&] {
      for (;;) {  // would never end: only the stop ends it
        ex.before_visible();
        ++counter;
      }
    });
  ex.always("counter stays small", [&] { return counter < 50 ? std::string() : "counter reached 50"; });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::invariant_violated);
  EXPECT_EQ(r.check, "counter stays small");
}

TEST(OsThreads, BlockedDaemonsDoNotKeepTheExecutionAlive) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  WaitQueue& q = ex.make<WaitQueue>();
  ex.spawn_daemon("daemon", [&] {
    for (;;) ex.sched().wait(q, "work");
  });
  ex.spawn("process", [&] { ex.before_visible(); });
  EXPECT_EQ(ex.run().outcome, Outcome::passed);
}

TEST(OsThreads, AnActorInsideASystemCallLetsOthersRun) {
  // The reader blocks in read(2) inside an IoWindow; only the writer, running meanwhile, can end it.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    ThreadedRun t;
    Execution ex(*t.strategy, t.stacks, t.options);
    char& got = ex.make<char>('?');
    ex.spawn("reader", [&] {
      ex.before_visible();
      Scheduler::IoWindow io(ex.sched());
      if (::read(fds[0], &got, 1) != 1) got = '!';
    });
    ex.spawn("writer", [&] {
      ex.before_visible();
      Scheduler::IoWindow io(ex.sched());
      if (::write(fds[1], "x", 1) != 1) std::abort();
    });
    EXPECT_EQ(ex.run().outcome, Outcome::passed);
    EXPECT_EQ(got, 'x');
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(OsThreads, AThrowingActorFailsTheExecution) {
  ThreadedRun t;
  Execution ex(*t.strategy, t.stacks, t.options);
  ex.spawn("thrower", [&] {
    ex.before_visible();
    throw std::runtime_error("boom");
  });
  ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::actor_failed);
  EXPECT_NE(r.message.find("boom"), std::string::npos);
}

}  // namespace
}  // namespace xenrace
