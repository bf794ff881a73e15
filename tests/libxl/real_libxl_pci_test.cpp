// The real-libxl-pci scenario (scenarios/real_libxl_pci.cpp): Debian's real libxl 4.17 hot-adds two PCI devices
// to one PV guest, against the simulated xenstored, pciback and pcifront. At once, both attaches read no num_devs
// before their transactions, and the second's backend creation wipes the first's dev-0: the TOCTOU of seed 001,
// in the real code, replayed to the same trace. One after the other, once the guest has connected the first
// device, both devices are there in every schedule tried.
//
// Skips with the scenario's own reason where it cannot run (no process actors, not root, no xenrace-libxl).
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "process_test_support.hpp"
#include "runtime/strategies/pct_strategy.hpp"

namespace xenrace {
namespace {

using testing::steps_text;

using testing::has;

struct PciRunner : testing::ScenarioRunner {
  PciRunner() : ScenarioRunner("real-libxl-pci", "after-the-guest-connects") {}
};

constexpr const char* kNumDevsMissing = "xs.read p1/c1 /local/domain/0/backend/pci/1/0/num_devs -> ENOENT";

TEST(RealLibxlPci, TwoAttachesAtOnceBothCreateTheBackendAndTheSecondWipesTheFirstsDevice) {
  PciRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  const auto r = testing::first_pct_failure(runner, "xen-4.17", 100,
                                            [](const ExecutionResult& e) { return has(e.message, "has no dev-N for it"); });
  ASSERT_TRUE(r) << "100 pct executions never lost a device";
  const std::string text = steps_text(*r);
  // Both read no num_devs before either committed, and the second's xs_rm of the backend found one there.
  EXPECT_TRUE(has(text, "xl pci-attach 1 0000:04:00.0 " + std::string(kNumDevsMissing))) << text;
  EXPECT_TRUE(has(text, "xl pci-attach 1 0000:05:00.0 " + std::string(kNumDevsMissing))) << text;
  EXPECT_TRUE(has(text, "xs.rm p1/c1 t1 /local/domain/0/backend/pci/1/0 -> OK")) << text;
  EXPECT_EQ(testing::replay_difference(runner, *r, "xen-4.17"), "");
}

TEST(RealLibxlPci, OneAfterAnotherBeforeTheGuestConnectsLeavesTheBackendReconfiguring) {
  PciRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  const auto r = testing::first_pct_failure(runner, "one-after-another", 300, [](const ExecutionResult&) { return true; });
  ASSERT_TRUE(r) << "300 pct executions never had the second attach reach pcifront before it connected";
  EXPECT_EQ(r->message, "after both attaches returned, the backend's state is 7 and the frontend's 3, not 4")
      << steps_text(*r);
}

TEST(RealLibxlPci, AfterTheGuestConnectsBothDevicesAreThere) {
  PciRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  PctStrategy strategy(1, 3);
  for (std::uint64_t i = 0; i < 40; ++i) {
    strategy.begin_execution(i);
    const ExecutionResult r = runner.run(strategy, "after-the-guest-connects");
    strategy.end_execution(r.steps);
    const std::string text = steps_text(r);
    ASSERT_FALSE(r.failed()) << "execution " << i << ": " << r.message << "\n" << text;
    EXPECT_TRUE(has(text, "/local/domain/0/backend/pci/1/0/dev-0=0000:04:00.0 -> OK")) << text;
    EXPECT_TRUE(has(text, "/local/domain/0/backend/pci/1/0/dev-1=0000:05:00.0 -> OK")) << text;
  }
}

// The libxl that ci/build-libxl --revert 73ee2795aa builds: XENRACE_LIBXL_REVERT_73EE2795AA, else the cache's.
std::string reverted_libxl() {
  if (const char* given = std::getenv("XENRACE_LIBXL_REVERT_73EE2795AA"); given != nullptr && *given != '\0')
    return given;
  const char* home = std::getenv("HOME");
  const char* cache = std::getenv("XENRACE_CACHE");
  const std::filesystem::path dir =
      cache != nullptr && *cache != '\0' ? std::filesystem::path(cache) / "libxl"
                                         : std::filesystem::path(home != nullptr ? home : "") / ".cache/xenrace/libxl";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename().string().ends_with("-revert-73ee2795aa") &&
        std::filesystem::exists(entry.path() / "libxenlight.so.4.17"))
      return entry.path().string();
  return {};
}

// 0fdb48ffe7a1's code, which 73ee2795aa fixed: libxl waits for a PV guest's PCI backend before it creates it, so
// the first hot-add to a guest without one fails ("Backend ... does not exist"), in every schedule.
TEST(RealLibxlPci, With73ee2795aaRevertedTheFirstAttachWaitsForABackendNobodyCreated) {
  PciRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  const std::string reverted = reverted_libxl();
  if (reverted.empty())
    GTEST_SKIP() << "no libxl built with 73ee2795aa reverted: ci/build-libxl --revert 73ee2795aa builds one";
  PctStrategy strategy(1, 3);
  for (std::uint64_t i = 0; i < 3; ++i) {
    strategy.begin_execution(i);
    const ExecutionResult r = runner.run(strategy, "xen-4.17", {{"libxl", reverted}});
    strategy.end_execution(r.steps);
    const std::string text = steps_text(r);
    ASSERT_TRUE(r.failed()) << text;
    EXPECT_TRUE(has(r.message, "failed: p1 exited with status 1: libxl: error: ")) << r.message;
    EXPECT_TRUE(has(r.message, "Backend /local/domain/0/backend/pci/1/0 does not exist")) << r.message;
    EXPECT_TRUE(has(text, "xs.read p1/c1 /local/domain/0/backend/pci/1/0/state -> ENOENT")) << text;
    EXPECT_FALSE(has(text, "backend/pci/1/0/num_devs=")) << "an attach created the backend:\n" << text;
  }
}

}  // namespace
}  // namespace xenrace
