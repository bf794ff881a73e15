// actor/kill: a killable actor dies before the visible operation where the strategy chose the kill,
// and what it held is released as at process exit (its loop fd closes, so an AUTOCLEAR device detaches).
#include <gtest/gtest.h>

#include "backends/sim/loop/sim_loop.hpp"
#include "faults/sim_faults.hpp"
#include "fault_test_support.hpp"

namespace xenrace {
namespace {

using testing::FaultExecution;

// The actor: open loop0, bind /img with AUTOCLEAR, then look the device up again, and close.
struct Program {
  int steps_done = 0;
  void run(SimLoop& loop) {
    auto fd = loop.open(0);
    ++steps_done;
    loop.configure(fd.value, "/img", kLoFlagsAutoclear);
    ++steps_done;
    loop.get_status(fd.value);
    ++steps_done;
    loop.close(fd.value);
    ++steps_done;
  }
};

struct KillRun {
  FaultExecution t;
  SimLoop& loop;
  Program& program;
  ActorId actor;
  KillRun(Params params, std::vector<std::uint32_t> choices, FaultDefault by_default)
      : t(std::move(params), std::move(choices)), loop(t.ex.make<SimLoop>(t.ex)), program(t.ex.make<Program>()) {
    loop.create_file("/img");
    loop.add(0);
    actor = t.ex.spawn("block script", [this] { program.run(loop); });
    make_killable(t.ex, actor, by_default);
  }
};

TEST(ActorKill, KilledBeforeTheChosenOperationAndReleasedAtExit) {
  // Choices are asked at each visible operation: open (0), configure (0), get_status (1: kill).
  KillRun r({{"faults", "actor/kill"}}, {0, 0, 1}, FaultDefault::off);
  ExecutionResult res = r.t.ex.run();
  EXPECT_FALSE(res.failed()) << res.message;
  EXPECT_EQ(r.program.steps_done, 2) << "killed before get_status";
  EXPECT_TRUE(r.t.ex.sched().killed(r.actor));
  auto kill = r.t.events("fault.actor/kill");
  ASSERT_EQ(kill.size(), 1u);
  EXPECT_EQ(kill[0].args, "block script");
  EXPECT_EQ(kill[0].result, "SIGKILL");
  EXPECT_EQ(r.t.first("loop.get_status"), -1);
  ASSERT_EQ(r.loop.detaches().size(), 1u) << "the fd closed at exit: AUTOCLEAR detached loop0";
  EXPECT_EQ(r.loop.detaches()[0].reason, "autoclear");
}

TEST(ActorKill, NotKillableWithoutThePoint) {
  KillRun r({{"faults", "loop/get_free"}}, {1, 1, 1, 1}, FaultDefault::off);
  r.t.ex.run();
  EXPECT_EQ(r.program.steps_done, 4);
  EXPECT_EQ(r.t.strategy.asked(), 0u);
}

TEST(ActorKill, ScenarioDefaultAppliesOnlyWithoutAFaultsList) {
  KillRun on({}, {1}, FaultDefault::on);
  on.t.ex.run();
  EXPECT_EQ(on.program.steps_done, 0) << "killed before its first operation";

  KillRun off({{"faults", "none"}}, {1}, FaultDefault::on);
  off.t.ex.run();
  EXPECT_EQ(off.program.steps_done, 4);
  EXPECT_EQ(off.t.strategy.asked(), 0u);
}

TEST(ActorKill, OtherActorsAreNeverAsked) {
  FaultExecution t({{"faults", "actor/kill"}}, {1, 1, 1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.add(0);
  int done = 0;
  t.ex.spawn("bystander", [&] {
    loop.get_free();
    loop.get_free();
    ++done;
  });
  t.ex.run();
  EXPECT_EQ(done, 1);
  EXPECT_EQ(t.strategy.asked(), 0u);
}

// kill_at_one_of: one choice up front picks the operation (or none), so a long actor is not killed at once.
struct OneKillRun {
  FaultExecution t;
  SimLoop& loop;
  Program& program;
  ActorId actor;
  OneKillRun(Params params, std::vector<std::uint32_t> choices)
      : t(std::move(params), std::move(choices)), loop(t.ex.make<SimLoop>(t.ex)), program(t.ex.make<Program>()) {
    loop.create_file("/img");
    loop.add(0);
    actor = t.ex.spawn("block script", [this] { program.run(loop); });
    kill_at_one_of(t.ex, actor, 4);
  }
};

TEST(ActorKillAtOneOf, KilledBeforeTheChosenOperationOnly) {
  OneKillRun r({}, {3});
  ExecutionResult res = r.t.ex.run();
  EXPECT_FALSE(res.failed()) << res.message;
  EXPECT_EQ(r.program.steps_done, 2) << "killed before its third operation, get_status";
  EXPECT_TRUE(r.t.ex.sched().killed(r.actor));
  EXPECT_EQ(r.t.events("fault.actor/kill").size(), 1u);
  EXPECT_EQ(r.t.strategy.asked(), 1u) << "one choice, made up front";
  ASSERT_EQ(r.loop.detaches().size(), 1u) << "released at exit: AUTOCLEAR detached loop0";
}

TEST(ActorKillAtOneOf, TheDefaultChoiceNeverKills) {
  OneKillRun r({}, {0});
  r.t.ex.run();
  EXPECT_EQ(r.program.steps_done, 4);
  EXPECT_TRUE(r.t.events("fault.actor/kill").empty());
}

TEST(ActorKillAtOneOf, AFaultsListWithoutActorKillTurnsItOff) {
  OneKillRun r({{"faults", "loop/get_free"}}, {3});
  r.t.ex.run();
  EXPECT_EQ(r.program.steps_done, 4);
  EXPECT_EQ(r.t.strategy.asked(), 0u);
}

}  // namespace
}  // namespace xenrace
