// Every variant of the block-path scenarios meets its expectation under the default budget, and a failing
// variant's replay token reproduces the same execution (same trace hash).
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"

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
                      Case{"blkback-minor-reuse", "fixed-on-linux-6.1"},
                      Case{"blkback-minor-reuse", "diskseq-in-physical-device-on-linux-6.1"},
                      Case{"loop-block-script", "buggy"}, Case{"loop-block-script", "fixed"},
                      Case{"loop-block-script", "fixed-killed"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = std::string(info.param.scenario) + "_" + info.param.variant;
      for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';  // gtest names: [A-Za-z0-9_]
      return name;
    });

// Every variant's description names its expectation honestly: the registry lists exactly these variants.
TEST(BlockScenarios, RegisteredWithTheirVariants) {
  Builtins b;
  EXPECT_EQ(b.registry.get("blkback-minor-reuse").info().variants.size(), 7u);
  EXPECT_EQ(b.registry.get("loop-block-script").info().variants.size(), 3u);
}

// The fixed scripts pass on the v6.11 loop driver and fail on 6.1's: the shrunk failure is blkback's open
// inside `losetup -d`'s teardown (Lo_rundown, old diskseq), and its token replays to the same events.
class OnLinux61 : public ::testing::TestWithParam<const char*> {};

std::string line(const TraceEvent& e) { return e.op + " " + e.args + " -> " + e.result; }

TEST_P(OnLinux61, TheDiskseqCheckPassesInsideTheTeardown) {
  Builtins b;
  const Scenario& s = b.registry.get("blkback-minor-reuse");
  const std::string fixed = GetParam();
  ExploreOptions o;
  const VariantReport on_611 = explore_variant(s, *s.info().variant(fixed), b.world, o, b.stacks);
  EXPECT_FALSE(on_611.failed) << on_611.message;

  const VariantReport on_61 = explore_variant(s, *s.info().variant(fixed + "-on-linux-6.1"), b.world, o, b.stacks);
  ASSERT_TRUE(on_61.failed);
  EXPECT_EQ(on_61.failure.check, "blkback exports the image the block script set up");
  ASSERT_TRUE(on_61.replay.has_value());
  const ExecutionResult first = replay_token(b.registry, ReplayToken::decode(on_61.replay->encode()), b.world, b.stacks);
  const ExecutionResult second = replay_token(b.registry, ReplayToken::decode(on_61.replay->encode()), b.world, b.stacks);
  std::vector<std::string> a, c;
  for (const TraceEvent& e : first.events) a.push_back(line(e));
  for (const TraceEvent& e : second.events) c.push_back(line(e));
  EXPECT_EQ(a, c);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.trace_hash, on_61.trace_hash);

  // The open lands between the two steps of LOOP_CLR_FD and reads the diskseq the script wrote.
  std::size_t rundown = a.size(), open = a.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].rfind("loop.clr_fd loop0", 0) == 0 && a[i].find("-> Lo_rundown") != std::string::npos) rundown = i;
    if (a[i].rfind("blkdev.get_by_dev 7:0 -> OK (being torn down, diskseq 2)", 0) == 0) open = i;
  }
  ASSERT_LT(rundown, a.size()) << "no Lo_rundown step in the shrunk trace";
  ASSERT_LT(open, a.size()) << "blkback did not open 7:0 inside the teardown";
  EXPECT_LT(rundown, open);
  for (std::size_t i = rundown; i < open; ++i) EXPECT_EQ(a[i].rfind("loop.clr_fd.teardown", 0), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BlkbackMinorReuse, OnLinux61, ::testing::Values("fixed", "diskseq-in-physical-device"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';  // gtest names: [A-Za-z0-9_]
                           return n;
                         });

}  // namespace
}  // namespace xenrace
