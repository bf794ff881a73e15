// A scenario whose failure needs an injected fault: exploration finds it only with the fault enabled, the
// replay token reproduces it (same trace hash, the fault in the trace), and without faults it passes.
#include <gtest/gtest.h>

#include <algorithm>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"

namespace xenrace {
namespace {

struct Fixture : ::testing::Test {
  ScenarioRegistry registry;
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  Fixture() { register_builtin_scenarios(registry); }

  VariantReport explore(std::string_view variant, Params params, std::uint64_t iterations = 500) {
    const Scenario& s = registry.get("block-script-killed");
    ExploreOptions o;
    o.strategy.name = "random";
    o.strategy.seed = 7;
    o.iterations = iterations;
    o.params = std::move(params);
    return explore_variant(s, *s.info().variant(variant), world, o, stacks);
  }
};

bool has_event(const ExecutionResult& r, std::string_view op) {
  return std::any_of(r.events.begin(), r.events.end(), [&](const TraceEvent& e) { return e.op == op; });
}

TEST_F(Fixture, BuggyScriptLeaksALoopDeviceOnlyWhenKilled_FoundAndReplayed) {
  VariantReport r = explore("buggy", {});  // the scenario makes the script killable by default
  ASSERT_TRUE(r.failed) << "exploring with actor/kill must find the leak";
  EXPECT_EQ(r.failure.check, "no loop device left bound to the image");
  EXPECT_TRUE(has_event(r.failure, "fault.actor/kill")) << "the shrunk failure still needs the kill";
  ASSERT_TRUE(r.replay.has_value());
  std::size_t fault_decisions = 0;
  for (const auto& d : r.replay->schedule.decisions) fault_decisions += d.kind == ChoiceKind::fault;
  EXPECT_EQ(fault_decisions, 1u) << "shrunk to the one kill that matters";

  const ReplayToken token = ReplayToken::decode(r.replay->encode());
  bool diverged = false;
  ExecutionResult again = replay_token(registry, token, world, stacks, &diverged);
  EXPECT_FALSE(diverged);
  EXPECT_TRUE(again.failed());
  EXPECT_EQ(again.check, r.failure.check);
  EXPECT_EQ(again.trace_hash, r.trace_hash);
  EXPECT_TRUE(has_event(again, "fault.actor/kill"));
}

TEST_F(Fixture, ExplicitFaultsFlagFindsItToo) {
  VariantReport r = explore("buggy", {{"faults", "actor/kill"}});
  ASSERT_TRUE(r.failed);
  ASSERT_TRUE(r.replay.has_value());
  EXPECT_EQ(r.replay->params, (Params{{"faults", "actor/kill"}})) << "the token carries the fault points";
  ExecutionResult again = replay_token(registry, *r.replay, world, stacks);
  EXPECT_EQ(again.trace_hash, r.trace_hash);
}

TEST_F(Fixture, WithFaultsDisabledTheBuggyScriptPasses) {
  VariantReport r = explore("buggy", {{"faults", "none"}}, 200);
  EXPECT_FALSE(r.failed) << r.message;
}

TEST_F(Fixture, FixedRemoveFindsTheDeviceByFileUnderEveryKill) {
  // dfs enumerates the kill at every operation of the script (and the schedules around it).
  const Scenario& s = registry.get("block-script-killed");
  ExploreOptions o;
  o.strategy.name = "dfs";
  o.strategy.preemption_bound = 1;
  o.iterations = 5000;
  VariantReport r = explore_variant(s, *s.info().variant("fixed"), world, o, stacks);
  EXPECT_FALSE(r.failed) << r.message;
  VariantReport buggy = explore_variant(s, *s.info().variant("buggy"), world, o, stacks);
  EXPECT_TRUE(buggy.failed) << "the same search finds the buggy variant's leak";
}

}  // namespace
}  // namespace xenrace
