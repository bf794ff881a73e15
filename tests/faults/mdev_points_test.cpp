// The mdev failure points fire where they are placed in backends/sim/mdev/sim_mdev_bus.cpp: the sysfs write
// returns the injected errno, no device appears or goes, and "fault.<point>" precedes the write's result.
#include <gtest/gtest.h>

#include "backends/sim/mdev/sim_mdev_bus.hpp"
#include "faults/sim_faults.hpp"
#include "fault_test_support.hpp"

namespace xenrace {
namespace {

using testing::FaultExecution;

constexpr const char* kParent = "0000:65:00.0";
constexpr const char* kType = "nvidia-63";
constexpr const char* kUuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

TEST(MdevFaultPoints, CreateFailsWithEachErrorAndNothingAppears) {
  const auto errors = fault_info(FaultPoint::mdev_create).errors;
  for (std::uint32_t choice = 1; choice <= errors.size(); ++choice) {
    FaultExecution t({{"faults", "mdev/create"}}, {choice});
    SimMdevBus& bus = t.ex.make<SimMdevBus>(t.ex);
    bus.add_parent(kParent, {kType});
    EXPECT_EQ(bus.write_create(kParent, kType, kUuid), errors[choice - 1]);
    EXPECT_TRUE(bus.list_devices().empty());
    auto fault = t.events("fault.mdev/create");
    ASSERT_EQ(fault.size(), 1u);
    EXPECT_EQ(fault[0].args, kUuid);
    EXPECT_EQ(t.events("mdev.create").back().result, errno_name(errors[choice - 1]));
  }
}

TEST(MdevFaultPoints, RemoveFailsAndTheDeviceStays) {
  FaultExecution t({{"faults", "mdev/remove"}}, {1});
  SimMdevBus& bus = t.ex.make<SimMdevBus>(t.ex);
  bus.add_parent(kParent, {kType});
  ASSERT_EQ(bus.write_create(kParent, kType, kUuid), 0);
  EXPECT_EQ(bus.write_remove(kUuid, "1"), EAGAIN);
  EXPECT_EQ(bus.list_devices(), std::vector<std::string>{kUuid});
  EXPECT_TRUE(bus.remove_visible(kUuid)) << "the refused remove changed nothing";
  EXPECT_EQ(t.events("fault.mdev/remove").size(), 1u);
  EXPECT_EQ(t.events("mdev.remove").back().result, "EAGAIN");
  EXPECT_EQ(bus.write_remove(kUuid, "1"), 0) << "past max-faults the remove goes through";
}

}  // namespace
}  // namespace xenrace
