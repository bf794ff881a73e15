// The worked examples S1-S7 of backends/sim/pci/sim_pciback.hpp: pciback's sysfs files and the device claim.
// Called from setup code (outside any actor), so nothing is scheduled and each call runs at once.
#include <gtest/gtest.h>

#include "backends/sim/pci/sim_pciback.hpp"
#include "backends/sim/sim_world.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {
namespace {

class SimPciBackTest : public ::testing::Test {
 protected:
  std::unique_ptr<Strategy> strategy = make_strategy(StrategyOptions{"random", 1, 3, 2});
  StackPool stacks;
  Execution ex{*strategy, stacks, ExecutionOptions{}};
  SimWorld& world = ex.make<SimWorld>(ex);
  SimPciBack pci{ex, world};
};

using Slots = std::vector<std::string>;

TEST_F(SimPciBackTest, S1NewSlotListsABdfOnlyOnce) {
  EXPECT_EQ(pci.new_slot("0000:03:00.0"), 0);
  EXPECT_EQ(pci.new_slot("0000:04:00.0"), 0);
  EXPECT_EQ(pci.new_slot("0000:03:00.0"), 0);
  auto s = pci.slots();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value, (Slots{"0000:03:00.0", "0000:04:00.0"}));
}

TEST_F(SimPciBackTest, S1AWildcardAddsOnlyTheFunctionsNotListedYet) {
  EXPECT_EQ(pci.new_slot("0000:04:00.3"), 0);
  EXPECT_EQ(pci.new_slot("0000:04:00.*"), 0);
  EXPECT_EQ(pci.peek_slots().size(), 8u);
  EXPECT_EQ(pci.peek_slots()[0], "0000:04:00.3");
  EXPECT_EQ(pci.peek_slots()[1], "0000:04:00.0");
}

TEST_F(SimPciBackTest, S2ShortFormAndWildcards) {
  EXPECT_EQ(pci.new_slot("03:00.1"), 0);
  EXPECT_EQ(pci.peek_slots(), (Slots{"0000:03:00.1"}));
  EXPECT_EQ(pci.new_slot("0000:04:00.*"), 0);
  EXPECT_EQ(pci.peek_slots().size(), 9u);
  EXPECT_EQ(pci.peek_slots()[1], "0000:04:00.0");
  EXPECT_EQ(pci.peek_slots()[8], "0000:04:00.7");
  EXPECT_EQ(pci.new_slot("0000:05:*.*"), 0);
  EXPECT_EQ(pci.peek_slots().size(), 9u + 256u);
  EXPECT_EQ(pci.new_slot("0000:06:00.0\n"), 0);  // echo's newline
}

TEST_F(SimPciBackTest, S2MalformedSlotsAreInvalid) {
  for (const char* bad : {"0000:03:20.0", "0000:03:00.8", "zz", "", "0000:03:00", "1:0000:03:00.0", "0000:03:00.0x"})
    EXPECT_EQ(pci.new_slot(bad), EINVAL) << bad;
  EXPECT_TRUE(pci.peek_slots().empty());
}

TEST_F(SimPciBackTest, S3RemoveSlotRemovesEveryMatchThenENOENT) {
  pci.new_slot("0000:03:00.0");
  pci.new_slot("0000:04:00.0");
  pci.new_slot("0000:03:00.0");
  EXPECT_EQ(pci.remove_slot("0000:03:00.0"), 0);
  EXPECT_EQ(pci.peek_slots(), (Slots{"0000:04:00.0"}));
  EXPECT_EQ(pci.remove_slot("0000:03:00.0"), ENOENT);
  EXPECT_EQ(pci.remove_slot("garbage"), EINVAL);
}

TEST_F(SimPciBackTest, S3WildcardRemoveMatchesFunctionSevenOnly) {
  pci.new_slot("0000:03:00.*");
  EXPECT_EQ(pci.remove_slot("0000:03:00.*"), 0);
  Slots left = pci.peek_slots();
  ASSERT_EQ(left.size(), 7u);
  EXPECT_EQ(left.back(), "0000:03:00.6");
}

TEST_F(SimPciBackTest, S4BindNeedsASlotAndAnUnboundDevice) {
  EXPECT_EQ(pci.bind("0000:04:00.0"), EBUSY);  // e1000e holds it
  EXPECT_EQ(pci.unbind("0000:04:00.0"), 0);
  EXPECT_EQ(pci.bind("0000:04:00.0"), ENODEV);  // not on the slot list: pcistub_probe refuses
  EXPECT_EQ(pci.new_slot("0000:04:00.0"), 0);
  EXPECT_EQ(pci.bind("0000:04:00.0"), 0);
  auto d = pci.driver("0000:04:00.0");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value, "pciback");
  EXPECT_EQ(pci.bind("0000:04:00.0"), EBUSY);
  EXPECT_EQ(pci.bind("0000:0a:00.0"), ENODEV);  // no such device
  EXPECT_EQ(pci.driver("0000:0a:00.0").err, ENODEV);
}

TEST_F(SimPciBackTest, S5UnbindNeedsABoundDevice) {
  EXPECT_EQ(pci.unbind("0000:04:00.0"), 0);
  EXPECT_EQ(pci.driver("0000:04:00.0").value, "");
  EXPECT_EQ(pci.unbind("0000:04:00.0"), ENOENT);
  EXPECT_EQ(pci.unbind("0000:0a:00.0"), ENOENT);
}

TEST_F(SimPciBackTest, S6RemoveSlotLeavesABoundDeviceBound) {
  pci.unbind("0000:04:00.0");
  pci.new_slot("0000:04:00.0");
  pci.bind("0000:04:00.0");
  EXPECT_EQ(pci.remove_slot("0000:04:00.0"), 0);
  EXPECT_EQ(pci.driver("0000:04:00.0").value, "pciback");
  pci.unbind("0000:04:00.0");
  EXPECT_EQ(pci.bind("0000:04:00.0"), ENODEV);  // the next probe is refused
}

TEST_F(SimPciBackTest, S7ClaimIsExclusiveAndNeedsPciback) {
  const PciAddress a = *parse_bdf("0000:04:00.0");
  EXPECT_FALSE(pci.claim(a, 1));  // still e1000e's
  pci.unbind("0000:04:00.0");
  pci.new_slot("0000:04:00.0");
  pci.bind("0000:04:00.0");
  EXPECT_TRUE(pci.claim(a, 1));
  EXPECT_FALSE(pci.claim(a, 2));  // perhaps already in-use
  EXPECT_FALSE(pci.release(a, 2));
  EXPECT_TRUE(pci.release(a, 1));
  EXPECT_TRUE(pci.claim(a, 2));
  EXPECT_EQ(pci.unbind("0000:04:00.0"), 0);  // pcistub_remove takes it away from domain 2
  EXPECT_EQ(pci.user_of(a), std::nullopt);
}

TEST(PciAddressTest, FormatAndParseRoundTrip) {
  auto a = parse_bdf("0000:3a:1f.7");
  ASSERT_TRUE(a);
  EXPECT_EQ(format_bdf(*a), "0000:3a:1f.7");
  EXPECT_EQ(format_bdf(*parse_bdf("3a:1f.7")), "0000:3a:1f.7");
  EXPECT_EQ(parse_bdf("0000:00:01.00")->slot, 1u);  // vdev-N's %02x function
  EXPECT_FALSE(parse_bdf("10000:00:00.0"));
  EXPECT_FALSE(parse_bdf("0000:100:00.0"));
}

}  // namespace
}  // namespace xenrace
