#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <tuple>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "test_scenarios.hpp"
#include "xenrace/version.hpp"

namespace xenrace {
namespace {

struct Builtins {
  ScenarioRegistry registry;
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  Builtins() { register_builtin_scenarios(registry); }
};

VariantReport explore(Builtins& b, const std::string& scenario, const std::string& variant, ExploreOptions o = {}) {
  const Scenario& s = b.registry.get(scenario);
  return explore_variant(s, *s.info().variant(variant), b.world, o, b.stacks);
}

TEST(Explorer, DemoBuggyFailsWithAShrunkReplayableToken) {
  Builtins b;
  VariantReport r = explore(b, "demo-counter", "buggy");
  ASSERT_TRUE(r.failed);
  EXPECT_TRUE(r.met_expectation());
  ASSERT_TRUE(r.replay.has_value());
  EXPECT_EQ(r.failure.check, "no lost update");
  EXPECT_EQ(r.failure.schedule.preemptions(), 1u);  // the minimal interleaving has one preemption
  ExecutionResult again = replay_token(b.registry, ReplayToken::decode(r.replay->encode()), b.world, b.stacks);
  EXPECT_TRUE(again.failed());
  EXPECT_EQ(again.trace_hash, r.trace_hash);
}

TEST(Explorer, DemoFixedPassesEveryScheduleUnderDfs) {
  Builtins b;
  ExploreOptions o;
  o.strategy.name = "dfs";
  o.strategy.preemption_bound = 10;
  o.iterations = 100000;
  VariantReport r = explore(b, "demo-counter", "fixed", o);
  EXPECT_FALSE(r.failed) << r.message;
  EXPECT_TRUE(r.exhausted);
}

// A passing variant offers the interleaving that pushed it hardest: the most preempted execution, whose
// token replays to a pass with exactly that many preemptions, and no fewer than any other execution had.
TEST(Explorer, PassingVariantCarriesItsBusiestExecution) {
  Builtins b;
  ExploreOptions o;
  o.strategy.name = "random";
  o.strategy.seed = 99;
  o.iterations = 300;
  VariantReport r = explore(b, "demo-counter", "fixed", o);
  ASSERT_FALSE(r.failed) << r.message;
  EXPECT_FALSE(r.replay.has_value());
  ASSERT_TRUE(r.busiest_pass.has_value());
  const std::size_t most = r.busiest_pass->schedule.preemptions();
  EXPECT_GT(most, 0u) << "300 random executions of two clients never preempted";
  ExecutionResult again = replay_token(b.registry, ReplayToken::decode(r.busiest_pass->encode()), b.world, b.stacks);
  EXPECT_FALSE(again.failed()) << again.message;
  EXPECT_EQ(again.schedule.preemptions(), most);
  // No execution of the same exploration had more.
  const Scenario& s = b.registry.get("demo-counter");
  auto strategy = make_strategy(o.strategy);
  const ExecutionOptions ex = execution_options_for(s.info(), {}, false);
  for (std::uint64_t i = 0; i < o.iterations; ++i) {
    strategy->begin_execution(i);
    ExecutionResult e = run_execution(s, "fixed", b.world, *strategy, b.stacks, ex);
    strategy->end_execution(e.steps);
    EXPECT_LE(e.schedule.preemptions(), most) << "execution " << i;
  }
}

TEST(Explorer, SameSeedSameHashOverManyRuns) {
  Builtins b;
  for (const char* strategy : {"random", "pct"}) {
    ExploreOptions o;
    o.strategy.name = strategy;
    o.strategy.seed = 1234;
    o.iterations = 200;
    const std::uint64_t first = explore(b, "demo-counter", "fixed", o).trace_hash;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(explore(b, "demo-counter", "fixed", o).trace_hash, first) << strategy;
  }
}

TEST(Explorer, TokenFromAnotherVersionIsRefused) {
  Builtins b;
  ReplayToken t;
  t.version = "0.0.0-other";
  t.scenario = "demo-counter";
  t.variant = "buggy";
  EXPECT_THROW(replay_token(b.registry, t, b.world, b.stacks), UsageError);
  t.version = kVersion;
  t.scenario = "no-such-scenario";
  EXPECT_THROW(replay_token(b.registry, t, b.world, b.stacks), UsageError);
  t.scenario = "demo-counter";
  t.variant = "no-such-variant";
  EXPECT_THROW(replay_token(b.registry, t, b.world, b.stacks), UsageError);
}

TEST(Explorer, ReplayOfItsOwnTokenFits) {
  Builtins b;
  VariantReport r = explore(b, "demo-counter", "buggy");
  ASSERT_TRUE(r.replay.has_value() && r.replay->recorded.has_value());
  EXPECT_EQ(r.replay->recorded->steps, r.failure.steps);
  bool diverged = true;
  std::string why = "unset";
  replay_token(b.registry, ReplayToken::decode(r.replay->encode()), b.world, b.stacks, &diverged, &why);
  EXPECT_FALSE(diverged);
  EXPECT_EQ(why, "");
}

// The same decisions relabelled as another variant: the token's fingerprint is not reproduced.
TEST(Explorer, RelabelledTokenIsReportedAsNotFitting) {
  Builtins b;
  for (const char* scenario : {"demo-counter", "pci-attach"}) {
    const ScenarioInfo& info = b.registry.get(scenario).info();
    const VariantInfo& buggy = info.variants.front();
    VariantReport r = explore(b, scenario, buggy.name);
    ASSERT_TRUE(r.failed) << scenario;
    for (const VariantInfo& other : info.variants) {
      if (other.name == buggy.name) continue;
      ReplayToken t = ReplayToken::decode(r.replay->encode());
      t.variant = other.name;
      bool diverged = false;
      std::string why;
      replay_token(b.registry, ReplayToken::decode(t.encode()), b.world, b.stacks, &diverged, &why);
      EXPECT_TRUE(diverged) << scenario << "/" << other.name;
      EXPECT_NE(why.find("does not fit " + std::string(scenario) + "/" + other.name), std::string::npos) << why;
    }
  }
}

// Recorded decisions dropped from the end: the replay is not the recorded execution, with or without the
// fingerprint (a format-1 token has none: the decision count and the unreached decisions tell).
TEST(Explorer, TruncatedDecisionListIsReported) {
  Builtins b;
  VariantReport r = explore(b, "pci-attach", "buggy");
  ASSERT_TRUE(r.failed);
  ASSERT_FALSE(r.replay->schedule.decisions.empty());
  for (bool fingerprint : {true, false}) {
    ReplayToken t = *r.replay;
    t.schedule.decisions.pop_back();
    if (!fingerprint) t.recorded.reset();
    bool diverged = false;
    std::string why;
    replay_token(b.registry, ReplayToken::decode(t.encode()), b.world, b.stacks, &diverged, &why);
    EXPECT_TRUE(diverged) << "fingerprint " << fingerprint;
    EXPECT_FALSE(why.empty());
  }
}

// Decisions recorded past the end of the execution are never reached: reported, not ignored.
TEST(Explorer, DecisionsLeftOverAtTheEndAreReported) {
  Builtins b;
  VariantReport r = explore(b, "demo-counter", "buggy");
  ASSERT_TRUE(r.failed);
  ReplayToken t = *r.replay;
  t.recorded.reset();
  t.schedule.total += 10;
  t.schedule.decisions.push_back({t.schedule.total - 1, ChoiceKind::actor, 0});
  bool diverged = false;
  std::string why;
  replay_token(b.registry, t, b.world, b.stacks, &diverged, &why);
  EXPECT_TRUE(diverged);
  EXPECT_NE(why.find("never reached"), std::string::npos) << why;
}

TEST(Explorer, ShrinkingRemovesIrrelevantPreemptions) {
  // Ten noisy actors and one racing pair: whatever random found, the shrunk schedule needs one preemption.
  testing::LambdaScenario scenario("noisy", [](Execution& ex, std::string_view) {
    testing::spawn_steppers(ex, 6, 3, nullptr);
    auto& value = ex.make<int>(0);
    for (const char* n : {"r1", "r2"})
      ex.spawn(n, [&ex, &value] {
        ex.before_visible();
        int v = value;
        ex.before_visible();
        value = v + 1;
      });
    ex.at_end("lost update", [&value]() -> std::string { return value == 2 ? "" : "lost"; });
  });
  StackPool stacks;
  ExploreOptions o;
  o.strategy.name = "random";
  o.iterations = 1000;
  VariantReport r = explore_variant(scenario, scenario.info().variants[0], testing::empty_world(), o, stacks);
  ASSERT_TRUE(r.failed);
  EXPECT_LE(r.failure.schedule.decisions.size(), 2u);
  EXPECT_LE(r.failure.steps, r.first_failure_steps);
}

// Any execution of any seed, once recorded, replays to the same trace hash.
RC_GTEST_PROP(ExplorerProperty, AnyScheduleReplaysToTheSameHash, (std::uint32_t seed, bool pct)) {
  Builtins b;
  const Scenario& s = b.registry.get("demo-counter");
  for (const char* variant : {"buggy", "fixed"}) {
    StrategyOptions so{pct ? "pct" : "random", seed, 3, 2};
    auto strategy = make_strategy(so);
    strategy->begin_execution(seed % 17);
    ExecutionOptions eo = execution_options_for(s.info(), {}, false);
    ExecutionResult first = run_execution(s, variant, b.world, *strategy, b.stacks, eo);
    ReplayToken t;
    t.version = kVersion;
    t.scenario = "demo-counter";
    t.variant = variant;
    t.schedule = first.schedule;
    bool diverged = true;
    ExecutionResult again = replay_token(b.registry, ReplayToken::decode(t.encode()), b.world, b.stacks, &diverged);
    RC_ASSERT(!diverged);
    RC_ASSERT(again.trace_hash == first.trace_hash);
    RC_ASSERT(again.failed() == first.failed());
  }
}

}  // namespace
}  // namespace xenrace

namespace xenrace {
namespace {

// One definition of a preemption: a pick that switches away from an actor that could have gone on. A
// non-default pick made when the running actor blocked preempts nobody.
TEST(Preemption, ASwitchAfterTheRunningActorBlockedIsNone) {
  testing::LambdaScenario s("blockers", [](Execution& ex, std::string_view) {
    auto& q = ex.make<WaitQueue>();
    auto& go = ex.make<bool>(false);
    ex.spawn("a", [&ex, &q, &go] {
      while (!go) ex.sched().wait(q, "go");
    });
    ex.spawn("b", [&ex] { ex.before_visible(); });
    ex.spawn("c", [&ex, &q, &go] {
      ex.before_visible();
      go = true;
      ex.sched().notify_all(q);
    });
  }, Expect::pass);
  StackPool stacks;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    // dfs at bound 0 explores every schedule without a preemption: each must count none.
    auto dfs = make_strategy(StrategyOptions{"dfs", 0, 3, 0});
    for (std::uint64_t i = 0; dfs->has_more() && i < 100; ++i) {
      dfs->begin_execution(i);
      ExecutionResult r = run_execution(s, "v", testing::empty_world(), *dfs, stacks, ExecutionOptions{});
      dfs->end_execution(r.steps);
      EXPECT_EQ(r.schedule.preemptions(), 0u) << "execution " << i << " of the preemption-free tree";
    }
  }
}

// The shrinker keeps a candidate only when it has fewer preemptions, or as many and fewer steps: the witness
// is never worse than the first failure it started from.
TEST(Shrinker, AWitnessIsNeverWorseThanTheFirstFailure) {
  Builtins b;
  const std::pair<const char*, const char*> cases[] = {{"demo-counter", "buggy"},
                                                       {"blkback-minor-reuse", "buggy"},
                                                       {"mdev-create-remove", "old-core-create-gap"},
                                                       {"loop-block-script", "buggy"}};
  for (const auto& [scenario, variant] : cases) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      ExploreOptions o;
      o.strategy.name = "random";
      o.strategy.seed = seed;
      o.shrink = false;
      const VariantReport first = explore(b, scenario, variant, o);
      o.shrink = true;
      const VariantReport shrunk = explore(b, scenario, variant, o);
      ASSERT_TRUE(first.failed && shrunk.failed) << scenario << "/" << variant << " seed " << seed;
      const auto key = [](const VariantReport& r) {
        return std::make_pair(r.failure.schedule.preemptions(), r.failure.steps);
      };
      EXPECT_LE(key(shrunk), key(first)) << scenario << "/" << variant << " seed " << seed << ": shrunk to "
                                         << shrunk.failure.schedule.preemptions() << " preemptions, "
                                         << shrunk.failure.steps << " steps from "
                                         << first.failure.schedule.preemptions() << ", " << first.failure.steps;
    }
  }
}

// dfs's bound and the reports count the same thing: a witness found at bound B has at most B preemptions.
TEST(Preemption, ADfsWitnessStaysWithinItsBound) {
  Builtins b;
  for (unsigned bound : {1u, 2u}) {
    ExploreOptions o;
    o.strategy.name = "dfs";
    o.strategy.preemption_bound = bound;
    o.iterations = 20000;
    o.shrink = false;
    const VariantReport r = explore(b, "demo-counter", "buggy", o);
    ASSERT_TRUE(r.failed);
    EXPECT_LE(r.failure.schedule.preemptions(), bound);
  }
}

// Unbounded dpor within `iterations`, falling back to bounds when asked (explore --verify with nothing chosen).
ExploreOptions dpor_options(std::uint64_t iterations, bool bounds_when_unfinished = false) {
  ExploreOptions o;
  o.strategy.name = "dpor";
  o.iterations = iterations;
  o.bounds_when_unfinished = bounds_when_unfinished;
  return o;
}

// What the fallback should claim: bounds 0, 1, 2, ... searched one after the other in `budget` executions
// together, up to the first that does not finish or the budget's end; the largest that finished, and its report.
struct BoundsInBudget {
  unsigned largest = 0;
  VariantReport report;
};
BoundsInBudget bounds_in_budget(Builtins& b, const char* scenario, const char* variant, std::uint64_t budget) {
  BoundsInBudget out;
  std::uint64_t left = budget;
  for (unsigned bound = 0; left > 0; ++bound) {
    ExploreOptions bo = dpor_options(left);
    bo.strategy.bound_dpor = true;
    bo.strategy.preemption_bound = bound;
    VariantReport r = explore(b, scenario, variant, bo);
    EXPECT_FALSE(r.failed) << r.message;
    if (r.failed || !r.exhausted) break;
    left -= r.executions + r.pruned;
    out.largest = bound;
    out.report = std::move(r);
  }
  return out;
}

// --verify with nothing chosen: when unbounded dpor does not finish, the largest bound that does is the claim,
// searched in the same budget again. Compared with the separate searches it is made of, not with figures.
TEST(VerifyBounds, AnUnfinishedUnboundedSearchIsFollowedByTheLargestBoundThatFinishes) {
  Builtins b;
  ExploreOptions o = dpor_options(2000);
  const VariantReport unbounded = explore(b, "pci-attach", "fixed", o);
  ASSERT_FALSE(unbounded.exhausted) << "pci-attach/fixed finished unbounded in 2000: pick a harder variant";

  const auto [largest, expected] = bounds_in_budget(b, "pci-attach", "fixed", o.iterations);

  o.bounds_when_unfinished = true;
  const VariantReport r = explore(b, "pci-attach", "fixed", o);
  EXPECT_FALSE(r.failed) << r.message;
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.scope, "bound " + std::to_string(largest));
  EXPECT_EQ(r.executions, expected.executions);
  EXPECT_EQ(r.trace_hash, expected.trace_hash);
  EXPECT_EQ(r.unbounded_unfinished_after, unbounded.executions + unbounded.pruned);  // its whole budget
  EXPECT_EQ(shown(r), std::string("verified"));
  EXPECT_NE(shown_text(r).find("; the unbounded search did not finish in "), std::string::npos) << shown_text(r);
}

// A bug that the unbounded search does not reach within the budget but a bounded one does is the verdict, with
// its witness: the bounds are searched in order and stop at a failure.
TEST(VerifyBounds, AFailureFoundAtABoundIsTheVerdict) {
  Builtins b;
  ExploreOptions o = dpor_options(150);
  o.shrink = false;
  const VariantReport unbounded = explore(b, "pci-attach", "buggy-backend-wait-only", o);
  ASSERT_FALSE(unbounded.failed) << "the unbounded search found it within 150: pick a smaller budget";
  ASSERT_FALSE(unbounded.exhausted);
  o.bounds_when_unfinished = true;
  const VariantReport r = explore(b, "pci-attach", "buggy-backend-wait-only", o);
  ASSERT_TRUE(r.failed);
  ASSERT_TRUE(r.replay.has_value());
  EXPECT_NE(r.scope, "unbounded");
  EXPECT_LE(r.failure.schedule.preemptions(), std::stoul(r.scope.substr(std::string("bound ").size())));
  ExecutionResult again = replay_token(b.registry, ReplayToken::decode(r.replay->encode()), b.world, b.stacks);
  EXPECT_TRUE(again.failed());
}

// A scenario that says its unbounded search cannot finish (ScenarioInfo::verify_by_bounds) gives the whole budget
// to the bounds: the same claim as the bounds' own searches in that budget, with no unbounded search before it,
// even for a variant whose unbounded search would have finished.
TEST(VerifyBounds, BoundsOnlyGiveTheWholeBudgetToTheBounds) {
  Builtins b;
  for (const auto& [scenario, variant, budget] :
       {std::tuple{"pci-attach", "fixed", 3000}, std::tuple{"demo-counter", "fixed", 1000}}) {
    ExploreOptions o = dpor_options(budget, true);
    o.bounds_only = true;
    const auto [largest, expected] = bounds_in_budget(b, scenario, variant, o.iterations);
    const VariantReport r = explore(b, scenario, variant, o);
    EXPECT_TRUE(r.exhausted) << scenario;
    EXPECT_EQ(r.scope, "bound " + std::to_string(largest)) << scenario;
    EXPECT_EQ(r.executions, expected.executions) << scenario;
    EXPECT_EQ(r.trace_hash, expected.trace_hash) << scenario;
    EXPECT_EQ(r.unbounded_unfinished_after, 0u) << scenario;
    EXPECT_EQ(shown_text(r).find("unbounded"), std::string::npos) << shown_text(r);
  }
  // Not even bound 0 finishes: that search is the verdict, and it says so.
  ExploreOptions tiny = dpor_options(5, true);
  tiny.bounds_only = true;
  const VariantReport r = explore(b, "pci-attach", "fixed", tiny);
  EXPECT_FALSE(r.exhausted);
  EXPECT_EQ(r.scope, "bound 0");
  EXPECT_EQ(r.executions + r.pruned, 5u);  // the budget counts runs cut off at explored states too
}

// Nothing changes for a search that finishes unbounded, or that was not asked to fall back.
TEST(VerifyBounds, AFinishedOrUnaskedSearchIsLeftAsItIs) {
  Builtins b;
  ExploreOptions o = dpor_options(1000, true);
  const VariantReport finished = explore(b, "demo-counter", "fixed", o);
  EXPECT_TRUE(finished.exhausted);
  EXPECT_EQ(finished.scope, "unbounded");
  EXPECT_EQ(finished.unbounded_unfinished_after, 0u);
  o.iterations = 50;
  o.bounds_when_unfinished = false;
  const VariantReport unasked = explore(b, "pci-attach", "fixed", o);
  EXPECT_FALSE(unasked.exhausted);
  EXPECT_EQ(unasked.scope, "unbounded");
  EXPECT_EQ(unasked.unbounded_unfinished_after, 0u);
}

}  // namespace
}  // namespace xenrace
