// Every variant of every scenario, on this host: the simulator explores it, and the execution it reports (the
// shrunk failure, or for a passing variant its busiest execution) is forced step for step on the host's real
// libxenstore (against the project's server) and real loop devices. The host must give the simulator's
// verdict, and a failure the same violated check. A variant that needs what this host lacks (mdev, a whole
// boot, another kernel, root for loop devices) is skipped with the dom0 backend's own reason.
//
// This is what ci/xen-vm.d/nightly-steps/40-scenarios-dom0.sh does inside the Xen VM against the real
// xenstored, as a test that runs on every CI machine.
#include <algorithm>
#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "run/dom0_run.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"

namespace xenrace::dom0 {
namespace {

struct Case {
  std::string scenario;
  std::string variant;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.scenario << "/" << c.variant; }

std::vector<Case> every_variant() {
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  std::vector<Case> out;
  for (const auto& s : registry.all())
    for (const VariantInfo& v : s->info().variants) out.push_back({s->info().name, v.name});
  return out;
}

class EveryVariantOnDom0 : public ::testing::TestWithParam<Case> {};

TEST_P(EveryVariantOnDom0, HostReplayGivesTheSimulatorsVerdict) {
  const Case& c = GetParam();
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  const Scenario& scenario = registry.get(c.scenario);
  const VariantInfo& variant = *scenario.info().variant(c.variant);
  const auto& tags = scenario.info().tags;
  if (std::find(tags.begin(), tags.end(), "process") != tags.end())
    GTEST_SKIP() << "its actors are real programs (process actors), whose XenStore requests the dom0 backend does "
                    "not schedule yet (World::xenstore_for_processes)";

  WorldFactory sim = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  ExploreOptions eo;
  eo.strategy.name = "pct";
  eo.strategy.seed = 1;
  const VariantReport found = explore_variant(scenario, variant, sim, eo, stacks);
  ASSERT_EQ(found.failed, variant.expect == Expect::fail) << "the simulator itself disagrees with the variant";
  const std::optional<ReplayToken>& token = found.failed ? found.replay : found.busiest_pass;
  ASSERT_TRUE(token.has_value());

  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  Dom0Session session(test_host_config(dir, server.socket()));
  Dom0RunOptions o;
  o.mode = Dom0Mode::replay;
  o.token = *token;
  o.params = token->params;
  const Dom0RunReport rep = run_on_dom0(scenario, variant, session, o, stacks);
  const CleanupReport cleanup = session.clean_up();
  EXPECT_TRUE(cleanup.ok()) << format_cleanup(cleanup);
  if (rep.skipped) GTEST_SKIP() << "dom0 backend: " << rep.skip_reason;

  EXPECT_EQ(rep.base.failed, found.failed)
      << (found.failed ? "the simulator failed (" + found.message + ") but the host passed"
                       : "the simulator passed but the host failed: " + rep.base.message);
  if (found.failed && rep.base.failed) {
    EXPECT_EQ(rep.base.failure.check, found.failure.check) << rep.base.message;
  }
  EXPECT_TRUE(rep.base.met_expectation());
  EXPECT_GT(rep.enforced_steps, 0u);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EveryVariantOnDom0, ::testing::ValuesIn(every_variant()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n = info.param.scenario + "__" + info.param.variant;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';  // gtest names: [A-Za-z0-9_]
                           return n;
                         });

}  // namespace
}  // namespace xenrace::dom0

namespace xenrace::dom0 {
namespace {

// Free mode runs the actors (several simulated blkback drivers among them) as OS threads against the real
// parts: under the sanitizer build this is where a data race on the dom0 backend's own state shows up (a
// vector grown inside an I/O window once corrupted the heap). The fixed variant must also stay a pass.
TEST(FreeModeOnDom0, LoopScenarioWithThreeBlkbackActorsKeepsItsVerdicts) {
  if (::geteuid() != 0 || ::access("/dev/loop-control", R_OK | W_OK) != 0)
    GTEST_SKIP() << "needs root and /dev/loop-control for real loop devices";
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  const Scenario& scenario = registry.get("loop-block-script");
  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  const Dom0Config config = test_host_config(dir, server.socket());
  for (const char* v : {"buggy", "fixed"}) {
    Dom0Session session(config);
    Dom0RunOptions o;
    o.mode = Dom0Mode::free;
    o.runs = 40;
    const Dom0RunReport rep = run_on_dom0(scenario, *scenario.info().variant(v), session, o, stacks);
    const CleanupReport cleanup = session.clean_up();
    EXPECT_TRUE(cleanup.ok()) << format_cleanup(cleanup);
    ASSERT_FALSE(rep.skipped) << rep.skip_reason;
    EXPECT_EQ(rep.base.executions, 40u) << v;
    if (std::string(v) == "fixed") {
      EXPECT_EQ(rep.failures, 0u) << rep.base.message;
    }
  }
}

}  // namespace
}  // namespace xenrace::dom0
