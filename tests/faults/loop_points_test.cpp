// Each loop failure point fires exactly where it is placed: enabled and chosen, the operation returns the
// injected errno, changes nothing, and the trace shows "fault.<point>" just before the fake's own event.
// Moving or removing a fault_here() call from backends/sim/loop makes these fail.
#include <gtest/gtest.h>

#include "backends/sim/loop/sim_loop.hpp"
#include "faults/sim_faults.hpp"
#include "fault_test_support.hpp"

namespace xenrace {
namespace {

using testing::FaultExecution;

TEST(LoopFaultPoints, ConfigureFailsWithEachErrorOfThePoint) {
  const auto errors = fault_info(FaultPoint::loop_configure).errors;
  for (std::uint32_t choice = 1; choice <= errors.size(); ++choice) {
    FaultExecution t({{"faults", "loop/configure"}}, {choice});
    SimLoop& loop = t.ex.make<SimLoop>(t.ex);
    ASSERT_EQ(loop.create_file("/img"), 0);
    ASSERT_TRUE(loop.add(0).ok());
    auto fd = loop.open(0);
    ASSERT_TRUE(fd.ok());
    EXPECT_EQ(loop.configure(fd.value, "/img", 0), errors[choice - 1]);
    EXPECT_FALSE(loop.peek(0)->bound) << "a refused LOOP_CONFIGURE binds nothing";
    auto fault = t.events("fault.loop/configure");
    ASSERT_EQ(fault.size(), 1u);
    EXPECT_EQ(fault[0].args, "/img");
    EXPECT_EQ(fault[0].result, errno_name(errors[choice - 1]));
    EXPECT_EQ(t.first("fault.loop/configure") + 1, t.first("loop.configure"));
    EXPECT_EQ(t.events("loop.configure").at(0).result, errno_name(errors[choice - 1]));
    EXPECT_EQ(faults_taken(t.ex), 1u);
  }
}

TEST(LoopFaultPoints, SetFdSharesTheConfigurePoint) {
  FaultExecution t({{"faults", "loop/configure"}}, {1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  EXPECT_EQ(loop.set_fd(fd.value, "/img"), EBUSY);
  EXPECT_EQ(t.events("fault.loop/configure").size(), 1u);
}

TEST(LoopFaultPoints, DisabledPointAsksNothingAndBinds) {
  FaultExecution t({{"faults", "loop/get_free"}}, {1, 1, 1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), 0);
  EXPECT_EQ(t.strategy.asked(), 0u) << "a point that is not enabled must not become a choice";
  EXPECT_TRUE(t.events("fault.loop/configure").empty());
}

TEST(LoopFaultPoints, GetFreeFailsWithoutAllocating) {
  FaultExecution t({{"faults", "loop/get_free"}}, {2});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  auto r = loop.get_free();
  EXPECT_EQ(r.err, fault_info(FaultPoint::loop_get_free).errors[1]);
  EXPECT_TRUE(loop.indexes().empty()) << "loop_add never ran";
  EXPECT_EQ(t.first("fault.loop/get_free") + 1, t.first("loop.get_free"));
}

TEST(LoopFaultPoints, ClrFdFailsAndTheDeviceStaysBound) {
  FaultExecution t({{"faults", "loop/clr_fd"}}, {1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  ASSERT_EQ(loop.configure(fd.value, "/img", 0), 0);
  EXPECT_EQ(loop.clr_fd(fd.value), ENXIO);
  loop.close(fd.value);
  EXPECT_TRUE(loop.peek(0)->bound);
  EXPECT_EQ(t.events("fault.loop/clr_fd").at(0).args, "loop0");
}

TEST(LoopFaultPoints, BlkbackOpenFailsAtTheKernelOpenByNumber) {
  FaultExecution t({{"faults", "blkback/open"}}, {1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  ASSERT_EQ(loop.configure(fd.value, "/img", 0), 0);
  auto ref = loop.kernel_open(kLoopMajor, 0);
  EXPECT_EQ(ref.err, ENXIO);
  EXPECT_EQ(loop.openers(0), 1) << "only the script's fd: blkback holds no reference";
  EXPECT_EQ(t.events("fault.blkback/open").at(0).args, "7:0");
  EXPECT_EQ(t.first("fault.blkback/open") + 1, t.first("blkdev.get_by_dev"));
}

TEST(FaultBudget, MaxFaultsBoundsTheFaultsOfOneExecution) {
  FaultExecution t({{"faults", "loop/configure"}, {"max-faults", "2"}}, {1, 1, 1, 1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), EBUSY);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), EBUSY);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), 0) << "the third call is past max-faults=2";
  EXPECT_EQ(t.strategy.asked(), 2u);
  EXPECT_EQ(faults_taken(t.ex), 2u);
}

TEST(FaultBudget, DefaultBoundIsOneFault) {
  FaultExecution t({{"faults", "loop/configure"}}, {1, 1});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), EBUSY);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), 0);
}

TEST(FaultChoices, ANonFiringChoiceIsTheDefaultAndNotStored) {
  FaultExecution t({{"faults", "loop/configure"}}, {0});
  SimLoop& loop = t.ex.make<SimLoop>(t.ex);
  loop.create_file("/img");
  ASSERT_TRUE(loop.add(0).ok());
  auto fd = loop.open(0);
  EXPECT_EQ(loop.configure(fd.value, "/img", 0), 0);
  EXPECT_EQ(t.strategy.asked(), 1u);
  EXPECT_TRUE(t.ex.sched().schedule().decisions.empty());
}

}  // namespace
}  // namespace xenrace
