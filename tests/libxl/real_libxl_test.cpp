// Real libxl 4.17 (Debian's libxenlight) as a process actor (issue 17): libxl_probe creates a libxl context and
// asks for a guest's domain info, on the fake libxenctrl (backends/sim/hypervisor/fake_xenctrl) against the
// simulated xenstored. Its XenStore requests are steps of the actor, so the trace is the same on every run.
// Skips where process actors are unsupported.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {
namespace {

struct ProbeRun {
  ExecutionResult result;
  std::string trace;
};

ProbeRun run_probe(const char* domid, const char* domains) {
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  ExecutionOptions o;
  o.keep_trace = true;
  Execution ex(strategy, stacks, o);
  SimXenStore xs(ex);
  ProcessOptions p;
  p.env = {"PATH=/usr/bin:/bin", "LC_ALL=C", std::string("LD_LIBRARY_PATH=") + XENRACE_FAKE_XENCTRL_DIR,
           std::string("XENRACE_FAKE_DOMAINS=") + domains};
  p.xenstore = &xs.for_processes();
  spawn_process(ex, "libxl", {XENRACE_LIBXL_PROBE, domid}, std::move(p));
  ProbeRun run;
  run.result = ex.run();
  for (const auto& e : run.result.events) run.trace += fmt::format("{} {} {} -> {}\n", e.step, e.op, e.args, e.result);
  return run;
}

#define SKIP_WITHOUT_PROCESS_ACTORS()                                                \
  do {                                                                               \
    if (const std::string& why = process::process_actors_unsupported(); !why.empty()) \
      GTEST_SKIP() << "process actors are unsupported here: " << why;                \
  } while (0)

TEST(RealLibxl, CreatesItsContextAndSeesAGuestOnTheFakeLibxenctrl) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const ProbeRun run = run_probe("1", "1");
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  // libxl opened the simulated xenstored through libxenstore, and each request was a step.
  EXPECT_NE(run.trace.find("xs.connect p1 -> c1"), std::string::npos) << run.trace;
  EXPECT_EQ(run_probe("1", "1").trace, run.trace);  // the same trace on every run
}

TEST(RealLibxl, AGuestTheFakeDoesNotKnowIsNotFound) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const ProbeRun run = run_probe("7", "1");
  ASSERT_TRUE(run.result.failed()) << run.trace;
  EXPECT_NE(run.result.message.find("p1 exited with status 1"), std::string::npos) << run.result.message;
}

}  // namespace
}  // namespace xenrace
