// The hypervisor's failure point fires where it is placed in backends/sim/hypervisor/sim_hypervisor.cpp: after
// the domain checks of an assignment, so the device stays dom0's and "fault.hypervisor/assign_device" names it.
// It is the same for the World's assign_device and for a real libxl's xc_assign_device (process_hypervisor.*).
#include <gtest/gtest.h>

#include <string>

#include "backends/sim/hypervisor/process_hypervisor.hpp"
#include "backends/sim/hypervisor/sim_hypervisor.hpp"
#include "backends/sim/xenstore/xs_store.hpp"
#include "faults/sim_faults.hpp"
#include "fault_test_support.hpp"

namespace xenrace {
namespace {

using testing::FaultExecution;

constexpr const char* kDevice = "0000:04:00.0";

TEST(HypervisorFaultPoints, AssignFailsWithEachErrorAndTheDeviceStaysDom0s) {
  const auto errors = fault_info(FaultPoint::hypervisor_assign_device).errors;
  for (std::uint32_t choice = 1; choice <= errors.size(); ++choice) {
    FaultExecution t({{"faults", "hypervisor/assign_device"}}, {choice});
    xs::Store store;
    store.hypervisor_domain_created(1);
    SimHypervisor hv(t.ex, store);
    EXPECT_EQ(hv.assign_device(1, kDevice), errors[choice - 1]);
    EXPECT_EQ(hv.device_owner(kDevice).value, 0u);
    auto fault = t.events("fault.hypervisor/assign_device");
    ASSERT_EQ(fault.size(), 1u);
    EXPECT_EQ(fault[0].args, kDevice);
    EXPECT_EQ(t.events("hv.assign_device").back().result, errno_name(errors[choice - 1]));
  }
}

TEST(HypervisorFaultPoints, ARealLibxlsAssignMeetsTheSamePointAfterTheDomainChecks) {
  FaultExecution t({{"faults", "hypervisor/assign_device"}}, {1, 1});
  xs::Store store;
  store.hypervisor_domain_created(1);
  SimHypervisor hv(t.ex, store);
  ProcessHypervisor calls(store, hv);
  // No such domain: refused before the failure point is asked.
  EXPECT_EQ(calls.call("assign_device 7 1024 0").reply, "-3");
  EXPECT_TRUE(t.events("fault.hypervisor/assign_device").empty());
  EXPECT_EQ(calls.call("assign_device 1 1024 0").reply, "-" + std::to_string(ENOMEM));  // 0000:04:00.0
  EXPECT_EQ(t.events("fault.hypervisor/assign_device").size(), 1u);
  EXPECT_EQ(hv.owner_of(1024), 0u);
  EXPECT_EQ(calls.call("assign_device 1 1024 0").reply, "0") << "past max-faults the assignment goes through";
  EXPECT_EQ(hv.owner_of(1024), 1u);
}

}  // namespace
}  // namespace xenrace
