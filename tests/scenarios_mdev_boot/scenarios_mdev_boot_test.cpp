// Every variant of mdev-create-remove and xenstored-boot-order meets its expectation under the default
// budget, and a failure's replay token reproduces the same trace.
#include <gtest/gtest.h>

#include <string>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"

namespace xenrace {
namespace {

struct Case {
  std::string scenario;
  std::string variant;
};

class ScenarioVariant : public ::testing::TestWithParam<Case> {};

TEST_P(ScenarioVariant, MeetsItsExpectationAndReplays) {
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  const Scenario& s = registry.get(GetParam().scenario);
  const VariantInfo* v = s.info().variant(GetParam().variant);
  ASSERT_NE(v, nullptr);
  for (const char* strategy : {"pct", "random"}) {
    ExploreOptions options;
    options.strategy.name = strategy;
    VariantReport r = explore_variant(s, *v, world, options, stacks);
    EXPECT_TRUE(r.met_expectation()) << strategy << ": expected " << to_string(v->expect) << ", got "
                                     << (r.failed ? "fail: " + r.message : std::string("pass"));
    if (!r.failed) continue;
    ASSERT_TRUE(r.replay.has_value());
    ExecutionResult again = replay_token(registry, ReplayToken::decode(r.replay->encode()), world, stacks);
    EXPECT_TRUE(again.failed());
    EXPECT_EQ(again.check, r.failure.check);
    EXPECT_EQ(again.trace_hash, r.trace_hash) << strategy;
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  for (const char* name : {"mdev-create-remove", "xenstored-boot-order"})
    for (const VariantInfo& v : registry.get(name).info().variants) cases.push_back({name, v.name});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(MdevAndBoot, ScenarioVariant, ::testing::ValuesIn(all_cases()), [](const auto& info) {
  std::string n = info.param.scenario + "_" + info.param.variant;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
});

// The variants demonstrate what their summaries say: the check that breaks is the named one.
TEST(ScenarioChecks, EachBuggyVariantBreaksTheCheckItIsAbout) {
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  const std::pair<const char*, const char*> expected[][1] = {
      {{"old-core-two-parents", "one device per UUID"}},
      {{"old-core-create-gap", "remove of a visible device never says ENODEV"}},
      {{"old-core-remove-then-create", "one device per UUID"}},
      {{"new-core-lost-remove-file", "a live mdev can be removed through sysfs"}},
      {{"custom-modules-load", "xenstored never opens a missing node"}},
      {{"mount-only-ordering", "xenstored never opens a missing node"}},
      {{"requires-device-no-after", "xenstored never opens a missing node"}},
      {{"requires-device-untagged", "xenstored is running after boot"}},
      {{"standard-without-devtmpfs", "xenstored never opens a missing node"}},
  };
  for (const auto& [pair] : expected) {
    const std::string variant = pair.first;
    const Scenario& s = registry.get(variant.find("core") != std::string::npos ? "mdev-create-remove" : "xenstored-boot-order");
    VariantReport r = explore_variant(s, *s.info().variant(variant), world, ExploreOptions{}, stacks);
    ASSERT_TRUE(r.failed) << variant;
    EXPECT_EQ(r.failure.check, pair.second) << variant << ": " << r.message;
  }
}

}  // namespace
}  // namespace xenrace
