// blkback-minor-reuse on this machine: a schedule the simulator found is replayed step for step (the
// turnstile) on real loop devices and real libxenstore against the project's XenStore server, with the
// simulated blkback driver as a driven actor, and gives the simulator's
// verdict. Needs root and /dev/loop-control; skips with the reason otherwise. On a Xen dom0 the simulated
// driver is used as well (the host's xen-blkback never sees the run's subtree).
//
// Every loop device and file a run creates is its own and is undone at the end of each execution, also
// when an assertion fails; each test checks afterwards that no loop device is still bound to its files.
#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "run/dom0_run.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/host_kernel.hpp"
#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"

namespace xenrace::dom0 {
namespace {

constexpr const char* kScenario = "blkback-minor-reuse";

std::string why_not_here() {
  if (::geteuid() != 0) return "needs root for /dev/loop-control";
  if (::access("/dev/loop-control", R_OK | W_OK) != 0) return "no /dev/loop-control (loop driver absent)";
  return {};
}

// Host loop devices still bound to a file below `dir` (sysfs only; opens nothing).
std::vector<std::string> bound_below(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir("/sys/block")) {
    while (dirent* e = ::readdir(d)) {
      int index = -1;
      if (!parse_loop_path(std::string("/dev/") + e->d_name, index)) continue;
      std::string file;
      if (loop_backing_file(index, file) == 0 && file.compare(0, dir.size(), dir) == 0)
        out.push_back(std::string(e->d_name) + " -> " + file);
    }
    ::closedir(d);
  }
  return out;
}

// Numbers become "#": a run of digits (and hex digits after them) anywhere, e.g. "loop7" -> "loop#", and a
// whole word of hex digits even when it starts with a letter, since diskseq nodes are hex: "a3" -> "#".
std::string blank_numbers(const std::string& s) {
  static const std::regex hex_word("(^|[^0-9A-Za-z])[0-9a-f]+(?=[^0-9A-Za-z]|$)");
  static const std::regex digits("[0-9][0-9a-f]*");
  return std::regex_replace(std::regex_replace(s, hex_word, "$1#"), digits, "#");
}

// A trace as a sequence of "actor op -> result", with numbers blanked: diskseq values are the host's global
// counter on dom0 and a small per-boot counter in the simulator; everything else must match exactly.
// `upto_put`: stop after blkback's first blkdev.put (its refusal of a reused minor) — see FixedVariant.
std::vector<std::string> shape(const ExecutionResult& r, bool upto_put = false) {
  std::vector<std::string> out;
  for (const auto& e : r.events) {
    const std::string who = e.actor == kNoActor ? "harness" : r.actors.at(e.actor);
    out.push_back(who + " " + e.op + " -> " + blank_numbers(e.result));
    if (upto_put && e.op == "blkdev.put") break;
  }
  return out;
}

bool has_event(const ExecutionResult& r, const std::string& op, const std::string& result) {
  return std::any_of(r.events.begin(), r.events.end(),
                     [&](const TraceEvent& e) { return e.op == op && e.result == result; });
}

class Dom0BlkbackReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = why_not_here(); !why.empty()) GTEST_SKIP() << why;
    server_ = std::make_unique<ServedXenstore>(dir_.path());
    if (!server_->unavailable().empty()) GTEST_SKIP() << server_->unavailable();
    register_builtin_scenarios(registry_);
  }
  void TearDown() override {
    if (!server_) return;
    EXPECT_EQ(bound_below(dir_.path()), std::vector<std::string>{}) << "loop devices left bound to the test's files";
  }

  Dom0Config config() const { return test_host_config(dir_, server_->socket()); }

  // Replays `token` on this host; the session's ledger is walked at the end, as `xenrace run` does.
  Dom0RunReport replay_on_host(const VariantInfo& variant, const ReplayToken& token) {
    Dom0Session session(config());
    Dom0RunOptions o;
    o.mode = Dom0Mode::replay;
    o.token = token;
    o.params = token.params;
    Dom0RunReport rep = run_on_dom0(registry_.get(kScenario), variant, session, o, stacks_);
    const CleanupReport c = session.clean_up();
    EXPECT_TRUE(c.ok()) << format_cleanup(c);
    return rep;
  }

  // What a dom0 replay must say about itself: what was real, what was simulated, and that it kept step.
  // `whole_trace`: the host's trace has the simulator's shape to the end; otherwise up to blkback's refusal.
  void expect_honest_report(const Dom0RunReport& rep, const ExecutionResult& sim, bool whole_trace) const {
    EXPECT_FALSE(rep.diverged) << "the host left the recorded schedule";
    if (whole_trace) {
      EXPECT_EQ(rep.enforced_steps, sim.steps);
    } else {
      EXPECT_GE(rep.enforced_steps, sim.steps);
    }
    ASSERT_EQ(rep.simulated_components.size(), 1u);
    EXPECT_NE(rep.simulated_components[0].find("xen-blkback driver"), std::string::npos);
    ASSERT_EQ(rep.real_components.size(), 2u);
    EXPECT_NE(rep.real_components[0].find("loop devices"), std::string::npos);
    EXPECT_NE(rep.real_components[1].find("libxenstore against " + server_->socket()), std::string::npos);
    EXPECT_TRUE(std::count(rep.driven_actors.begin(), rep.driven_actors.end(), "blkback vbd/1/51712"))
        << "the simulated blkback must be a driven actor";
    EXPECT_EQ(shape(rep.base.failure, !whole_trace), shape(sim, !whole_trace))
        << "the host's trace must have the simulator's shape";
  }

  TempDir dir_;
  std::unique_ptr<ServedXenstore> server_;
  ScenarioRegistry registry_;
  StackPool stacks_;
  WorldFactory sim_world_ = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
};

// Failing variants: the simulator's shrunk token, replayed on real loop devices, breaks the same check
// with the same message (diskseq numbers aside) after the same steps.
class FailingVariant : public Dom0BlkbackReplay, public ::testing::WithParamInterface<const char*> {};

TEST_P(FailingVariant, TheSimulatorsTokenGivesTheSameVerdictOnRealLoopDevices) {
  const Scenario& s = registry_.get(kScenario);
  const VariantInfo* v = s.info().variant(GetParam());
  ASSERT_NE(v, nullptr);
  ExploreOptions eo;
  eo.strategy.name = "pct";
  const VariantReport found = explore_variant(s, *v, sim_world_, eo, stacks_);
  ASSERT_TRUE(found.failed) << "the simulator found no failure to replay";
  const ReplayToken token = ReplayToken::decode(found.replay->encode());  // as printed, as the CLI takes it
  const ExecutionResult sim = replay_token(registry_, token, sim_world_, stacks_);
  ASSERT_TRUE(sim.failed());

  const Dom0RunReport rep = replay_on_host(*v, token);
  ASSERT_FALSE(rep.skipped) << rep.skip_reason;
  EXPECT_TRUE(rep.base.failed) << "passed on the host where the simulator failed";
  EXPECT_TRUE(rep.base.met_expectation());
  EXPECT_EQ(rep.base.failure.check, sim.check);
  EXPECT_EQ(blank_numbers(rep.base.message), blank_numbers(sim.message));
  expect_honest_report(rep, sim, true);
}

INSTANTIATE_TEST_SUITE_P(BlkbackMinorReuse, FailingVariant, ::testing::Values("buggy", "diskseq-after-physical-device"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Fixed variants: a schedule in which the minor *is* reused before blkback opens it (the simulator's
// blkback refuses it: "incorrect sequence number", ENODEV) is replayed on the host; the real kernel's
// diskseq bump on reattach (b90ecc0379eb) makes the driven blkback refuse it too, and the variant passes.
// The default schedule passes as well.
// The traces agree up to blkback's refusal (blkdev.put). After it they differ in one known way: blkback's
// watch on physical-device fired at registration and again at the script's write. The simulator's store
// still holds both undelivered and drops the duplicate ("dropping duplicate watch", StoreOptions::
// coalesce_events); over the socket the server has already sent both to libxenstore, so on the host blkback
// handles physical-device twice and refuses the same reused device a second time. The verdict is the same.
class FixedVariant : public Dom0BlkbackReplay, public ::testing::WithParamInterface<const char*> {};

TEST_P(FixedVariant, PassesOnTheHostEvenWhereTheMinorIsReused) {
  const Scenario& s = registry_.get(kScenario);
  const VariantInfo* v = s.info().variant(GetParam());
  ASSERT_NE(v, nullptr);
  // A simulator execution in which blkback caught the reuse.
  auto strategy = make_strategy(StrategyOptions{"random", 7, 3, 2});
  const ExecutionOptions keep = execution_options_for(s.info(), {}, true);
  std::optional<ExecutionResult> racy;
  for (std::uint64_t i = 0; i < 2000 && !racy; ++i) {
    strategy->begin_execution(i);
    ExecutionResult r = run_execution(s, v->name, sim_world_, *strategy, stacks_, keep);
    strategy->end_execution(r.steps);
    ASSERT_FALSE(r.failed()) << r.message;
    if (has_event(r, "blkback.warn", "ENODEV")) racy = std::move(r);
  }
  ASSERT_TRUE(racy.has_value()) << "no simulated execution reused the minor before blkback opened it";

  ReplayToken token;
  token.scenario = kScenario;
  token.variant = v->name;
  token.strategy = "random";
  token.seed = 7;
  token.schedule = racy->schedule;
  const Dom0RunReport rep = replay_on_host(*v, token);
  ASSERT_FALSE(rep.skipped) << rep.skip_reason;
  EXPECT_FALSE(rep.base.failed) << rep.base.message;
  EXPECT_TRUE(rep.base.met_expectation());
  EXPECT_TRUE(has_event(rep.base.failure, "blkback.warn", "ENODEV"))
      << "on the host the reused minor must be refused by its diskseq as well";
  expect_honest_report(rep, *racy, false);

  const Dom0RunReport plain = replay_on_host(*v, ReplayToken{});  // the default, non-preemptive schedule
  ASSERT_FALSE(plain.skipped) << plain.skip_reason;
  EXPECT_FALSE(plain.base.failed) << plain.base.message;
}

INSTANTIATE_TEST_SUITE_P(BlkbackMinorReuse, FixedVariant, ::testing::Values("fixed", "diskseq-in-physical-device"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// A variant that models an older kernel is the simulator's alone: on the host it is skipped with the
// reason, and a skip is not a pass.
TEST_F(Dom0BlkbackReplay, TheOldKernelVariantIsSkippedOnTheHost) {
  const VariantInfo* v = registry_.get(kScenario).info().variant("old-kernel");
  ASSERT_NE(v, nullptr);
  const Dom0RunReport rep = replay_on_host(*v, ReplayToken{});
  EXPECT_TRUE(rep.skipped);
  EXPECT_NE(rep.skip_reason.find("b90ecc0379eb"), std::string::npos) << rep.skip_reason;
  EXPECT_EQ(rep.base.executions, 0u);
}

// The Linux 6.1 variants claim the host's loop driver behaves as 6.1's: on another kernel (this 6.18 build
// host) they are skipped with the host's release and the model named; on a 6.1-6.10 host replay still
// cannot split the one LOOP_CLR_FD system call the race is inside, so replay skips and free mode runs them.
TEST_F(Dom0BlkbackReplay, TheLinux61VariantsNameTheHostKernelWhenSkipped) {
  struct utsname u;
  ASSERT_EQ(::uname(&u), 0);
  const std::string release = u.release;
  const bool host_has_the_window = host_cannot_run(LoopKernel::v6_1, release).empty();
  for (const char* name : {"fixed-on-linux-6.1", "diskseq-in-physical-device-on-linux-6.1"}) {
    const VariantInfo* v = registry_.get(kScenario).info().variant(name);
    ASSERT_NE(v, nullptr) << name;
    const Dom0RunReport rep = replay_on_host(*v, ReplayToken{});
    EXPECT_TRUE(rep.skipped) << name;
    EXPECT_EQ(rep.base.executions, 0u);
    EXPECT_NE(rep.skip_reason.find(release), std::string::npos) << rep.skip_reason;
    if (host_has_the_window) {
      EXPECT_NE(rep.skip_reason.find("free mode"), std::string::npos) << rep.skip_reason;
    } else {
      EXPECT_NE(rep.skip_reason.find("Linux 6.1"), std::string::npos) << rep.skip_reason;
    }
  }
}

}  // namespace
}  // namespace xenrace::dom0
