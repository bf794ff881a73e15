// What the dom0 backend refuses, and says why: a file system (lock races run in the simulator), a modelled
// boot, mdev parents, and kernel models the host's kernel does not run; and that it cannot observe the kernel's
// internal state, so a scenario reports those invariants as unchecked. None of it needs anything of the host.
#include <sys/utsname.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/dom0_world.hpp"
#include "backends/dom0/host_kernel.hpp"
#include "run/dom0_run.hpp"
#include "runtime/execution.hpp"
#include "runtime/scenario.hpp"
#include "served_xenstore.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"
#include "world/kernel.hpp"

namespace xenrace::dom0 {
namespace {

class Dom0Refusals : public ::testing::Test {
 protected:
  TempDir dir_;
  Dom0Session session_{test_host_config(dir_)};
  StackPool stacks_;
  ReplayStrategy order_{Schedule{}};
  Execution ex_{order_, stacks_, ExecutionOptions{}};
  Dom0World& world_ = ex_.make<Dom0World>(ex_, session_);
};

TEST_F(Dom0Refusals, TheFileSystemIsRefusedWithTheReason) {
  try {
    world_.file_system();
    FAIL() << "dom0 offered a file system";
  } catch (const ComponentUnavailable& e) {
    const std::string why = e.what();
    EXPECT_NE(why.find("simulator"), std::string::npos) << why;
    EXPECT_EQ(world_.unavailable(), why) << "the run is skipped with this reason";
  }
}

TEST_F(Dom0Refusals, NoModelledBoot) { EXPECT_THROW(world_.boot(), ComponentUnavailable); }

TEST_F(Dom0Refusals, TheKernelsStateIsNotObservable) {
  Kernel& k = world_.kernel();
  EXPECT_EQ(k.loop_state(), nullptr);
  EXPECT_EQ(k.mdev_state(), nullptr);
  EXPECT_NE(k.unobservable().find("not observable"), std::string::npos);
  EXPECT_NE(k.add_mdev_parent("0000:00:02.0", {"t"}), "");
}

TEST_F(Dom0Refusals, AnMdevCoreTheHostDoesNotRunIsRefusedNamingTheRelease) {
  struct utsname u;
  ASSERT_EQ(::uname(&u), 0);
  const std::string release = u.release;
  Kernel& k = world_.kernel();
  for (MdevCore core : {MdevCore::per_parent_lock, MdevCore::global_list}) {
    const std::string why = k.choose(core);
    EXPECT_EQ(why, host_cannot_run(core, release));
    if (!why.empty()) {
      EXPECT_NE(why.find(release), std::string::npos) << why;
    }
  }
  // Exactly one of the two cores is the host's (any kernel from 4.10 on).
  EXPECT_NE(k.choose(MdevCore::per_parent_lock).empty(), k.choose(MdevCore::global_list).empty());
}

// On a real host the loop driver's detach history and openers are not observable: the run says which of
// loop-block-script's invariants it could not check, rather than passing them.
TEST(Dom0Unchecked, LoopBlockScriptReportsItsKernelInvariantsAsNotChecked) {
  if (::geteuid() != 0 || ::access("/dev/loop-control", R_OK | W_OK) != 0)
    GTEST_SKIP() << "needs root and /dev/loop-control for real loop devices";
  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  const Scenario& scenario = registry.get("loop-block-script");
  Dom0Session session(test_host_config(dir, server.socket()));
  Dom0RunOptions o;
  o.mode = Dom0Mode::replay;
  o.token = ReplayToken{};
  const Dom0RunReport rep = run_on_dom0(scenario, *scenario.info().variant("fixed"), session, o, stacks);
  EXPECT_TRUE(session.clean_up().ok());
  ASSERT_FALSE(rep.skipped) << rep.skip_reason;
  ASSERT_EQ(rep.unchecked.size(), 2u);
  EXPECT_EQ(rep.unchecked[0].rfind("only a disk's own teardown detaches its loop device: ", 0), 0u) << rep.unchecked[0];
  EXPECT_EQ(rep.unchecked[1].rfind("no leaked loop device: ", 0), 0u) << rep.unchecked[1];
}

}  // namespace
}  // namespace xenrace::dom0
