// The real-libxl-pci-detach scenario (scenarios/real_libxl_pci_detach.cpp): Debian's real libxl 4.17 hot-removes
// the two PCI devices a PV guest booted with. At once, both detaches read num_devs=2 before their transactions;
// the first moves the second device down to dev-0 and writes num_devs=1, and the second then removes dev-1 and
// writes num_devs=1 again from its stale read: the second device stays listed in the guest's backend although
// its xl pci-detach returned 0 and the hypervisor took it back. Replayed to the same trace. One after the other,
// once the guest has reconnected, both are gone in every schedule tried.
//
// Skips with the scenario's own reason where it cannot run (no process actors, not root, no xenrace-libxl).
#include <string>

#include <gtest/gtest.h>

#include "process_test_support.hpp"
#include "runtime/strategies/pct_strategy.hpp"

namespace xenrace {
namespace {

using testing::steps_text;

using testing::has;

struct PciDetachRunner : testing::ScenarioRunner {
  PciDetachRunner() : ScenarioRunner("real-libxl-pci-detach", "after-the-guest-reconnects") {}
};

constexpr const char* kNumDevs = "/local/domain/0/backend/pci/1/0/num_devs";

TEST(RealLibxlPciDetach, TwoDetachesAtOnceLeaveTheSecondDeviceListedFromAStaleNumDevs) {
  PciDetachRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  const auto r = testing::first_pct_failure(runner, "xen-4.17", 100, [](const ExecutionResult& e) {
    return has(e.message, "0000:05:00.0 was detached (its xl pci-detach returned 0), but /local/domain/0/backend/pci/1/0 "
                          "still lists it (num_devs=1: 0000:05:00.0)");
  });
  ASSERT_TRUE(r) << "100 pct executions never left a detached device listed";
  const std::string text = steps_text(*r);
  // Both read num_devs=2 outside their transactions, both returned 0, and both wrote num_devs=1.
  EXPECT_TRUE(has(text, "xl pci-detach 1 0000:04:00.0 xs.read p1/c1 " + std::string(kNumDevs) + " -> 2")) << text;
  EXPECT_TRUE(has(text, "xl pci-detach 1 0000:05:00.0 xs.read p1/c1 " + std::string(kNumDevs) + " -> 2")) << text;
  EXPECT_TRUE(has(text, "xl pci-detach 1 0000:04:00.0 xs.write p1/c1 t2 " + std::string(kNumDevs) + "=1 -> OK")) << text;
  EXPECT_TRUE(has(text, "xl pci-detach 1 0000:05:00.0 xs.write p1/c1 t2 " + std::string(kNumDevs) + "=1 -> OK")) << text;
  // The hypervisor took the device back: the guest's backend lists a device it no longer has.
  EXPECT_TRUE(has(text, "xl pci-detach 1 0000:05:00.0 hv.deassign_device p1/h1 1 0000:05:00.0 -> OK")) << text;
  EXPECT_EQ(testing::replay_difference(runner, *r, "xen-4.17"), "");
}

TEST(RealLibxlPciDetach, OneAfterTheOtherOnceTheGuestReconnectsBothAreGone) {
  PciDetachRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  PctStrategy strategy(1, 3);
  for (std::uint64_t i = 0; i < 40; ++i) {
    strategy.begin_execution(i);
    const ExecutionResult r = runner.run(strategy, "after-the-guest-reconnects");
    strategy.end_execution(r.steps);
    const std::string text = steps_text(r);
    ASSERT_FALSE(r.failed()) << "execution " << i << ": " << r.message << "\n" << text;
    // Each detach deassigned its device and removed it from the backend.
    for (const char* bdf : {"0000:04:00.0", "0000:05:00.0"})
      EXPECT_TRUE(has(text, std::string("hv.deassign_device p1/h1 1 ") + bdf + " -> OK")) << text;
  }
}

}  // namespace
}  // namespace xenrace
