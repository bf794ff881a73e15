// Real libxl 4.17 (Debian's libxenlight) as a process actor (issue 17): libxl_probe creates a libxl context and
// asks for a guest's domain info, on the fake libxenctrl (backends/sim/hypervisor/fake_xenctrl) against the
// simulated xenstored and the simulated domains. Its XenStore requests and its hypervisor calls are steps of the
// actor, so the trace is the same on every run. Skips where process actors are unsupported.
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/sim/hypervisor/process_hypervisor.hpp"
#include "process_test_support.hpp"
#include "backends/sim/sim_world.hpp"
#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "toolstack/libxl/real_libxl_fixture.hpp"

namespace xenrace {
namespace {

struct ProbeRun {
  ExecutionResult result;
  std::string trace;
};

// libxl_probe DOMID, with the guests `created` in the hypervisor and then those `destroyed` gone again;
// `hypervisor`: whether the program reaches it.
ProbeRun run_probe(const char* domid, const std::vector<DomId>& created, const std::vector<DomId>& destroyed = {},
                   bool hypervisor = true) {
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, testing::keep_trace());
  SimXenStore xs(ex);
  for (DomId g : created) xs.model().hypervisor_domain_created(g);
  for (DomId g : destroyed) xs.model().hypervisor_domain_state(g, DomainState::gone);
  SimHypervisor domains(ex, xs.model());
  ProcessHypervisor hv(xs.model(), domains);
  ProcessOptions p;
  p.env = {"PATH=/usr/bin:/bin", "LC_ALL=C", std::string("LD_LIBRARY_PATH=") + XENRACE_FAKE_XENCTRL_DIR};
  p.xenstore = &xs.for_processes();
  if (hypervisor) p.hypervisor = &hv;
  spawn_process(ex, "libxl", {XENRACE_LIBXL_PROBE, domid}, std::move(p));
  ProbeRun run;
  run.result = ex.run();
  run.trace = testing::trace_text(run.result);
  return run;
}

#define SKIP_WITHOUT_PROCESS_ACTORS()                                                \
  do {                                                                               \
    if (const std::string& why = process::process_actors_unsupported(); !why.empty()) \
      GTEST_SKIP() << "process actors are unsupported here: " << why;                \
  } while (0)

TEST(RealLibxl, CreatesItsContextAndSeesAGuestOnTheFakeLibxenctrl) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const ProbeRun run = run_probe("1", {1});
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  // libxl opened the simulated xenstored through libxenstore, and each request was a step.
  EXPECT_NE(run.trace.find("xs.connect p1 -> c1"), std::string::npos) << run.trace;
  // Its hypervisor calls were steps too, answered from the simulated domains: the domain info it asked for.
  EXPECT_NE(run.trace.find("hv.connect p1 -> h1"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("hv.getinfolist p1/h1 from 1 max 1 -> 1"), std::string::npos) << run.trace;
  EXPECT_EQ(run_probe("1", {1}).trace, run.trace);  // the same trace on every run
}

TEST(RealLibxl, AGuestTheFakeDoesNotKnowIsNotFound) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const ProbeRun run = run_probe("7", {1});
  ASSERT_TRUE(run.result.failed()) << run.trace;
  EXPECT_NE(run.result.message.find("p1 exited with status 1"), std::string::npos) << run.result.message;
  // The hypervisor was asked, and has no domain 7: the list from 7 up is empty.
  EXPECT_NE(run.trace.find("hv.getinfolist p1/h1 from 7 max 1 -> none"), std::string::npos) << run.trace;
}

TEST(RealLibxl, AGuestDestroyedBeforeLibxlAsksIsNotFound) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  // Created, and gone again before libxl asked: the hypervisor's answer follows the World's lifecycle.
  const ProbeRun run = run_probe("1", {1}, {1});
  ASSERT_TRUE(run.result.failed()) << run.trace;
  EXPECT_NE(run.trace.find("hv.getinfolist p1/h1 from 1 max 1 -> none"), std::string::npos) << run.trace;
}

TEST(RealLibxl, WithoutAHypervisorLibxlCannotCreateItsContext) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  // The fake library answers nothing itself: a program not given a hypervisor fails in xc_interface_open.
  const ProbeRun run = run_probe("1", {1}, {}, /*hypervisor=*/false);
  ASSERT_TRUE(run.result.failed()) << run.trace;
  EXPECT_EQ(run.trace.find("hv."), std::string::npos) << run.trace;
}

// libxl's timeouts run on the virtual clock: with no blkback, nothing moves the backend out of Initialising, and
// libxl's wait for it (LIBXL_INIT_TIMEOUT, 10 s) ends with its poll timing out at virtual 10 s, at once in real
// time, and the attach fails saying so.
TEST(RealLibxl, ABackendThatNeverAnswersTimesOutOnTheVirtualClock) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, testing::keep_trace());
  SimWorld& world = ex.make<SimWorld>(ex);
  std::optional<RealLibxlFixture> libxl;
  try {
    libxl.emplace(world, std::string(), std::string(), std::vector<DomId>{1}, "backend-timeout test");
  } catch (const ComponentUnavailable& e) {
    GTEST_SKIP() << e.what();
  }
  auto setup = world.xenstore().connect(0);
  setup->write(kNoTx, "/local/domain/0/domid", "0");
  setup->write(kNoTx, "/local/domain/0/name", "Domain-0");
  setup->write(kNoTx, "/local/domain/1/name", "guest-1");
  setup->write(kNoTx, "/local/domain/1/vm", "/vm/guest-1");
  std::ofstream(libxl->scripts().seen_dir() / "guest1.img") << std::string(4096, '\0');
  libxl->spawn(ex, "xl block-attach 1",
               {"block-attach", "1", libxl->disk_spec("xvda", std::string(HotplugScriptFixture::kSeenDir) + "/guest1.img")},
               world.xenstore_for_processes(), &world.loop_for_processes());
  const ExecutionResult r = ex.run();
  const std::string trace = testing::trace_text(r);
  ASSERT_TRUE(r.failed()) << trace;
  EXPECT_NE(trace.find("xl block-attach 1 t=0 proc.poll p1 2 fds 10s -> waiting"), std::string::npos) << trace;
  EXPECT_NE(trace.find("xl block-attach 1 t=10000000000 proc.poll_end p1 -> timed out"), std::string::npos) << trace;
  // libxl's own word for it, quoted from its log.
  EXPECT_NE(r.message.find("p1 exited with status 1: libxl: error: "), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("unable to add device with path /local/domain/0/backend/vbd/1/51712"), std::string::npos)
      << r.message;
}

}  // namespace
}  // namespace xenrace
