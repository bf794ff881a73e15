// The real-libxl-disk scenario (scenarios/real_libxl_disk.cpp): Debian's real libxl 4.17 attaches file-backed
// disks to two guests at once, forking Xen's real block script, whose losetup runs against the simulated loop
// driver. Each attach gets its own loop device whatever the schedule; with udisksd binding an ISO meanwhile,
// the script's LOOP_CONFIGURE can meet EBUSY, and libxl's block-attach then fails (seed 004), in a schedule that
// replays to the same trace.
//
// Skips with the scenario's own reason where it cannot run (no process actors, not root, no scripts, no
// xenrace-libxl).
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "process_test_support.hpp"
#include "runtime/strategies/pct_strategy.hpp"

namespace xenrace {
namespace {

using testing::steps_text;

using testing::has;

struct DiskRunner : testing::ScenarioRunner {
  DiskRunner() : ScenarioRunner("real-libxl-disk", "xen-4.17") {}
};

TEST(RealLibxlDisk, TwoAttachesAtOnceEachGiveTheGuestItsOwnLoopDevice) {
  DiskRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  PctStrategy strategy(1, 3);
  for (std::uint64_t i = 0; i < 8; ++i) {
    strategy.begin_execution(i);
    const ExecutionResult r = runner.run(strategy, "xen-4.17");
    strategy.end_execution(r.steps);
    const std::string text = steps_text(r);
    ASSERT_FALSE(r.failed()) << "execution " << i << ": " << r.message << "\n" << text;
    // libxl itself wrote the backend and forked the script; the script bound both images.
    EXPECT_TRUE(has(text, "xs.write p1/c1 t1 /local/domain/0/backend/vbd/1/51712/script=/var/run/xenrace/scripts/block"))
        << text;
    EXPECT_TRUE(has(text, "LOOP_CONFIGURE /run/xenrace/guest1.img -> 0")) << text;
    EXPECT_TRUE(has(text, "LOOP_CONFIGURE /run/xenrace/guest2.img -> 0")) << text;
    EXPECT_TRUE(has(text, " backend/vbd/1/51712/hotplug-status=connected -> OK")) << text;
    EXPECT_TRUE(has(text, " backend/vbd/2/51712/hotplug-status=connected -> OK")) << text;
  }
}

TEST(RealLibxlDisk, UdisksdBetweenTheScriptsTwoLosetupsFailsLibxlsAttachAndTheReplayShowsIt) {
  DiskRunner runner;
  if (!runner.skip.empty()) GTEST_SKIP() << runner.skip;
  // Seed 6: its fifth execution fails (seeds tried in turn), where seed 1 takes 42 executions of real libxl and
  // real scripts, seconds each; the gate's search of the variant shows seed 1's.
  const auto any = [](const ExecutionResult&) { return true; };
  const auto r = testing::first_pct_failure(runner, "udisksd", 200, any, {}, 6);
  ASSERT_TRUE(r) << "200 pct executions never put udisksd between the script's losetup -f and losetup DEV FILE";
  const std::string text = steps_text(*r);
  EXPECT_TRUE(has(r->message, "block-attach 1 failed: p1 exited with status 1") ||
              has(r->message, "block-attach 2 failed: p1 exited with status 1"))
      << r->message << "\n" << text;
  EXPECT_TRUE(has(r->message, "block add [p2] exited with error status 1")) << r->message;
  // udisksd bound the minor a script had found free (which script, and so which minor, is the schedule's), and
  // that script's LOOP_CONFIGURE of the same minor then failed.
  std::smatch taken;
  ASSERT_TRUE(std::regex_search(text, taken, std::regex("udisksd loop\\.configure (loop[0-9]+) /isos/install\\.iso RO -> OK")))
      << text;
  EXPECT_TRUE(has(text, " loop.configure " + taken[1].str() + " /run/xenrace/guest") && has(text, ".img 0 -> EBUSY"))
      << text;
  EXPECT_TRUE(has(text, "LOOP_CONFIGURE /run/xenrace/guest") && has(text, ".img -> EBUSY")) << text;
  EXPECT_EQ(testing::replay_difference(runner, *r, "udisksd"), "");
}

}  // namespace
}  // namespace xenrace
