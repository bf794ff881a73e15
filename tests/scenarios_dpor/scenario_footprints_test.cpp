// The simulated devices' footprints (loop, mdev, pciback, udev and systemd; XenStore has its own test) are
// what dpor trusts to skip interleavings, so they must name every dependency. Checked on whole seed
// scenarios small enough to enumerate: every interleaving (dfs without a bound) and dpor must reach the
// same set of outcomes, an outcome being what each actor saw (its operations and their results, in its
// order) in a passing execution, and the violated check and its message in a failing one.
// Mazurkiewicz-equivalent executions give every actor the same view, so dpor, which runs one execution
// per equivalence class, reaches each outcome; a footprint that missed a dependency would lose one.
// Not here: xenstored-boot-order/custom-modules-load, where udevd's slow-worker sleep makes a timeout step
// whose moment (when every actor is blocked) differs between interleavings dpor treats as equivalent, so
// dpor misses outcomes (docs/architecture.md, "virtual-time timeouts").
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/dpor_strategy.hpp"
#include "scenario_outcomes.hpp"

namespace xenrace {
namespace {

struct Case {
  std::string scenario;
  std::string variant;
  Params params;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.scenario << "/" << c.variant; }

// Handles that only name a resource (a loop fd, a transaction id) are numbered in the order they were
// handed out, which differs between equivalent executions: they are compared without their numbers.
std::string without_handle_numbers(const std::string& text) {
  static const std::regex handle(R"(\b(fd|t)[0-9]+\b)");
  return std::regex_replace(text, handle, "$1#");
}

// A failure stops the execution at the step that broke the check, so what each actor saw by then depends
// on the linearisation; a failure is compared by what it broke.
std::string outcome_of(const ExecutionResult& r) {
  if (r.failed()) return verdict_of(r);
  std::vector<std::string> per_actor(r.actors.size() + 1);
  for (const TraceEvent& e : r.events) {
    if (e.actor >= r.actors.size()) continue;  // setup and invariants
    per_actor[e.actor] += without_handle_numbers(fmt::format("{} {} -> {}\n", e.op, e.args, e.result));
  }
  std::string out = "passed\n";
  for (std::size_t a = 0; a < r.actors.size(); ++a) out += fmt::format("[{}]\n{}", r.actors[a], per_actor[a]);
  return out;
}

struct Outcomes {
  std::set<std::string> seen;
  std::uint64_t executions = 0;
  std::uint64_t shortest = UINT64_MAX;  // steps
  std::uint64_t longest = 0;
};

// max_steps: the scenario's step limit, or another one.
Outcomes enumerate(const Case& c, Strategy& strategy, std::uint64_t limit,
                   std::string (*outcome)(const ExecutionResult&) = outcome_of, std::uint64_t max_steps = 0) {
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  const Scenario& s = registry.get(c.scenario);
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  ExecutionOptions options = execution_options_for(s.info(), c.params, true);
  if (max_steps != 0) options.max_steps = max_steps;
  Outcomes out;
  for (std::uint64_t i = 0; strategy.has_more() && i < limit; ++i) {
    strategy.begin_execution(i);
    ExecutionResult r = run_execution(s, c.variant, world, strategy, stacks, options);
    strategy.end_execution(r.steps);
    if (r.pruned || !strategy.execution_in_shard()) continue;  // a shard's probe is not one of its executions
    ++out.executions;
    out.shortest = std::min(out.shortest, r.steps);
    out.longest = std::max(out.longest, r.steps);
    out.seen.insert(outcome(r));
  }
  EXPECT_FALSE(strategy.has_more()) << "the search did not finish within " << limit << " executions";
  return out;
}

// dpor reaches every outcome the reference search reaches, and nothing else.
void expect_same_outcomes(const Outcomes& all, const Outcomes& reduced) {
  for (const std::string& o : all.seen) EXPECT_TRUE(reduced.seen.count(o)) << "dpor never reached:\n" << o;
  for (const std::string& o : reduced.seen) EXPECT_TRUE(all.seen.count(o)) << "dpor reached an impossible:\n" << o;
}

class ScenarioFootprints : public ::testing::TestWithParam<Case> {};

TEST_P(ScenarioFootprints, DporReachesEveryOutcomeOfEveryInterleaving) {
  const Case& c = GetParam();
  DfsStrategy every_interleaving(1u << 30);
  DporStrategy dpor;
  const Outcomes all = enumerate(c, every_interleaving, 200'000);
  const Outcomes reduced = enumerate(c, dpor, 200'000);
  expect_same_outcomes(all, reduced);
  RecordProperty("interleavings", static_cast<int>(all.executions));
  RecordProperty("dpor_executions", static_cast<int>(reduced.executions));
  EXPECT_LE(reduced.executions, all.executions);
}

// With a preemption bound: dpor with the bound reaches what dfs with the bound reaches, in no more executions.
// Bounded dpor keeps a sleeper only where moving its step back costs no preemption (DporStrategy::may_sleep);
// whole scenarios, with their daemons' blocking and waking, check that rule beyond the random programs.
struct BoundedCase {
  Case c;
  unsigned bound;
};
void PrintTo(const BoundedCase& b, std::ostream* os) { *os << b.c.scenario << "/" << b.c.variant << " bound " << b.bound; }

class BoundedScenarioFootprints : public ::testing::TestWithParam<BoundedCase> {};
class BoundedScenarioStates : public ::testing::TestWithParam<BoundedCase> {};

TEST_P(BoundedScenarioFootprints, BoundedDporReachesEveryOutcomeOfBoundedDfs) {
  const BoundedCase& b = GetParam();
  DfsStrategy dfs(b.bound);
  DporStrategy dpor(0, 1, b.bound);
  const Outcomes all = enumerate(b.c, dfs, 200'000);
  const Outcomes reduced = enumerate(b.c, dpor, 200'000);
  expect_same_outcomes(all, reduced);
  RecordProperty("bounded_dfs_executions", static_cast<int>(all.executions));
  RecordProperty("dpor_executions", static_cast<int>(reduced.executions));
  EXPECT_LE(reduced.executions, all.executions);
}

// pci-attach's waits and pciback read some states with read_one_of (world/xenstore.hpp): dpor treats two
// executions as equivalent when such a read saw two values it does not name, so what the actors saw may
// differ between them, and only the verdicts are compared. The variant whose failure needs a wait to see
// Connected at the right moment, at bound 1.
TEST(PciAttachVerdicts, BoundedDporReachesEveryVerdictOfBoundedDfs) {
  const Case c{"pci-attach", "buggy-backend-wait-only", {}};
  DfsStrategy dfs(1);
  DporStrategy dpor(0, 1, 1u);
  const Outcomes all = enumerate(c, dfs, 200'000, verdict_of);
  const Outcomes reduced = enumerate(c, dpor, 200'000, verdict_of);
  EXPECT_GE(all.seen.size(), 2u);  // passes and a failure: something to lose
  expect_same_outcomes(all, reduced);
  EXPECT_LE(reduced.executions, all.executions);
}

// Bounded dpor with the state cache ends where bounded dfs ends.
TEST_P(BoundedScenarioStates, BoundedDporWithTheCacheEndsWhereBoundedDfsEnds) {
  const BoundedCase& b = GetParam();
  DfsStrategy dfs(b.bound);
  DporStrategy dpor(0, 1, b.bound);
  const Outcomes all = enumerate(b.c, dfs, 400'000, where_it_ends);
  const Outcomes reduced = enumerate(b.c, dpor, 400'000, where_it_ends);
  EXPECT_GT(dpor.cache_hits(), 0u);
  EXPECT_GE(all.seen.size(), 2u);  // something to lose
  expect_same_outcomes(all, reduced);
  RecordProperty("bounded_dfs_executions", static_cast<int>(all.executions));
  RecordProperty("dpor_executions", static_cast<int>(reduced.executions));
}

// Split over shards, each keeps a cache of its own, below the split. loop-block-script/fixed-killed splits at a
// choice made while the scenario is built (where its add is killed), before the first step: every point is
// below it, and each shard must still cut executions off, and the shards together end where dfs ends.
TEST(ShardedScenarioStates, ShardsSplitBeforeTheFirstStepKeepTheirCaches) {
  const Case c{"loop-block-script", "fixed-killed", {{"adds", "1"}}};
  DfsStrategy dfs(0);
  const Outcomes all = enumerate(c, dfs, 400'000, where_it_ends);
  Outcomes together;
  for (unsigned shard = 0; shard < 2; ++shard) {
    DporStrategy part(shard, 2, 0u);
    const Outcomes mine = enumerate(c, part, 400'000, where_it_ends);
    EXPECT_GT(part.cache_hits(), 0u) << "shard " << shard << " kept no cache";
    together.seen.insert(mine.seen.begin(), mine.seen.end());
    together.executions += mine.executions;
  }
  EXPECT_GE(all.seen.size(), 2u);
  expect_same_outcomes(all, together);
  EXPECT_LT(together.executions, all.executions);
}

// A future the cache cut off is the same from another step only while every execution of it fits the step limit
// from both. With each limit between the shortest and the longest execution, some executions run into it and some
// pass, and dpor with the cache must reach both: a path that reaches a state in more steps than the path that
// explored its future may run into the limit where that one did not, and one that reaches it in fewer may pass
// where that one ran into it.
TEST(StepLimitedStates, ACachedFutureIsReusedOnlyWhereItFitsTheStepLimit) {
  const Case c{"loop-block-script", "fixed", {{"adds", "1"}}};
  DfsStrategy unlimited(0);
  const Outcomes every = enumerate(c, unlimited, 400'000, where_it_ends);
  ASSERT_LT(every.shortest, every.longest);
  for (std::uint64_t limit = every.shortest; limit < every.longest; ++limit) {
    SCOPED_TRACE(fmt::format("step limit {}", limit));
    DfsStrategy dfs(0);
    DporStrategy dpor(0, 1, 0u);
    const Outcomes all = enumerate(c, dfs, 400'000, verdict_of, limit);
    const Outcomes reduced = enumerate(c, dpor, 400'000, verdict_of, limit);
    EXPECT_GT(dpor.cache_hits(), 0u);
    EXPECT_EQ(all.seen.size(), 2u);  // passed, and the step limit
    expect_same_outcomes(all, reduced);
  }
}

INSTANTIATE_TEST_SUITE_P(
    DescribedScenarios, BoundedScenarioStates,
    ::testing::Values(BoundedCase{{"pci-attach", "fixed", {}}, 1},
                      BoundedCase{{"pci-attach", "buggy-backend-wait-only", {}}, 1},
                      BoundedCase{{"pci-attach", "fixed-existing-backend", {}}, 1},
                      BoundedCase{{"loop-block-script", "fixed", {{"adds", "1"}}}, 1},
                      BoundedCase{{"loop-block-script", "buggy", {{"adds", "1"}}}, 0},
                      BoundedCase{{"loop-block-script", "buggy", {{"adds", "1"}}}, 1},
                      BoundedCase{{"loop-block-script", "fixed-killed", {{"adds", "1"}}}, 0}),
    [](const ::testing::TestParamInfo<BoundedCase>& info) {
      std::string name =
          info.param.c.scenario + "_" + info.param.c.variant + "_bound" + std::to_string(info.param.bound);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

INSTANTIATE_TEST_SUITE_P(
    SeedScenarios, BoundedScenarioFootprints,
    ::testing::Values(BoundedCase{{"demo-counter", "fixed", {}}, 1}, BoundedCase{{"demo-counter", "buggy", {}}, 0},
                      BoundedCase{{"block-script-killed", "fixed", {}}, 2},
                      BoundedCase{{"mdev-create-remove", "new-core-create-gap", {}}, 2},
                      BoundedCase{{"mdev-create-remove", "old-core-create-gap", {}}, 2},
                      BoundedCase{{"xenstored-boot-order", "standard", {}}, 1},
                      BoundedCase{{"blkback-minor-reuse", "fixed", {}}, 2},
                      BoundedCase{{"blkback-minor-reuse", "buggy", {}}, 1}),
    [](const ::testing::TestParamInfo<BoundedCase>& info) {
      std::string name = info.param.c.scenario + "_" + info.param.c.variant + "_bound" + std::to_string(info.param.bound);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

INSTANTIATE_TEST_SUITE_P(
    SeedScenarios, ScenarioFootprints,
    ::testing::Values(Case{"demo-counter", "fixed", {}}, Case{"demo-counter", "buggy", {}},
                      Case{"block-script-killed", "fixed", {}}, Case{"block-script-killed", "buggy", {}},
                      Case{"mdev-create-remove", "new-core-two-parents", {}},
                      Case{"mdev-create-remove", "old-core-two-parents", {}},
                      Case{"mdev-create-remove", "old-core-create-gap", {}},
                      Case{"xenstored-boot-order", "standard", {}}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.scenario + "_" + info.param.variant;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

}  // namespace
}  // namespace xenrace
