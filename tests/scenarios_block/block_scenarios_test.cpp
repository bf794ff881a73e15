// Every variant of the block-path scenarios meets its expectation under the default budget, and a failing
// variant's replay token reproduces the same execution (same trace hash).
#include <gtest/gtest.h>

#include "fakes/sim_world.hpp"
#include "harness/explorer.hpp"
#include "harness/scenario.hpp"

namespace xenrace {
namespace {

struct Builtins {
  ScenarioRegistry registry;
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  Builtins() { register_builtin_scenarios(registry); }
};

struct Case {
  const char* scenario;
  const char* variant;
};

class BlockScenario : public ::testing::TestWithParam<Case> {};

TEST_P(BlockScenario, MeetsItsExpectationAndReplays) {
  Builtins b;
  const Scenario& s = b.registry.get(GetParam().scenario);
  const VariantInfo* v = s.info().variant(GetParam().variant);
  ASSERT_NE(v, nullptr);
  for (const char* strategy : {"pct", "random"}) {
    ExploreOptions o;
    o.strategy.name = strategy;
    VariantReport r = explore_variant(s, *v, b.world, o, b.stacks);
    EXPECT_TRUE(r.met_expectation()) << strategy << ": expected " << to_string(v->expect) << ", "
                                     << (r.failed ? "failed: " + r.message : "passed") << " after " << r.executions
                                     << " executions";
    if (!r.failed) continue;
    ASSERT_TRUE(r.replay.has_value());
    ExecutionResult again = replay_token(b.registry, ReplayToken::decode(r.replay->encode()), b.world, b.stacks);
    EXPECT_TRUE(again.failed());
    EXPECT_EQ(again.check, r.failure.check);
    EXPECT_EQ(again.trace_hash, r.trace_hash) << "the replay token must reproduce the shrunk execution";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, BlockScenario,
    ::testing::Values(Case{"blkback-minor-reuse", "buggy"}, Case{"blkback-minor-reuse", "fixed"},
                      Case{"blkback-minor-reuse", "diskseq-after-physical-device"},
                      Case{"blkback-minor-reuse", "diskseq-in-physical-device"}, Case{"blkback-minor-reuse", "old-kernel"},
                      Case{"loop-block-script", "buggy"}, Case{"loop-block-script", "fixed"},
                      Case{"loop-block-script", "fixed-killed"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = std::string(info.param.scenario) + "_" + info.param.variant;
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

// Every variant's description names its expectation honestly: the registry lists exactly these variants.
TEST(BlockScenarios, RegisteredWithTheirVariants) {
  Builtins b;
  EXPECT_EQ(b.registry.get("blkback-minor-reuse").info().variants.size(), 5u);
  EXPECT_EQ(b.registry.get("loop-block-script").info().variants.size(), 3u);
}

}  // namespace
}  // namespace xenrace
