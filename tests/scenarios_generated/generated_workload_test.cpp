// generated-workload: both variants meet their expectation under the default budget and strategy, a
// failure's replay token reproduces its trace, shrinking leaves a minimal operation sequence, and
// hand-written workloads (schedules whose only decisions are the workload's data choices) run every kind
// of operation, pass in the fixed variant and break the named invariants in the buggy one.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"
#include "xenrace/version.hpp"

namespace xenrace {
namespace {

// Slot values of the workload (scenarios/generated_workload.cpp kOps, 0 = no operation).
constexpr std::uint32_t kAttachD0 = 1, kAttachD1 = 2, kDetachD0 = 3, kDetachD1 = 4, kCreateM0OnA = 5,
                        kCreateM0OnB = 6, kRemoveM0 = 9;
constexpr std::uint32_t kSlotsPerGuest = 3, kGuests = 3;

class GeneratedWorkload : public ::testing::Test {
 protected:
  GeneratedWorkload() { register_builtin_scenarios(registry_); }
  const Scenario& scenario() const { return registry_.get("generated-workload"); }
  const VariantInfo& variant(const char* name) const { return *scenario().info().variant(name); }

  // Replays a workload given as slot values, three per guest, then whether udisksd runs (0 or 1, twice);
  // every actor pick is the default one (no preemption).
  ExecutionResult run_workload(const char* variant, const std::vector<std::uint32_t>& slots) {
    ReplayToken t;
    t.version = kVersion;
    t.scenario = "generated-workload";
    t.variant = variant;
    t.strategy = "pct";
    t.seed = 1;
    for (std::uint32_t i = 0; i < slots.size(); ++i)
      if (slots[i]) t.schedule.decisions.push_back({i, ChoiceKind::data, slots[i]});
    t.schedule.total = static_cast<std::uint32_t>(slots.size());
    return replay_token(registry_, t, world_, stacks_);
  }

  static std::vector<std::string> results_of(const ExecutionResult& r, const std::string& op) {
    std::vector<std::string> out;
    for (const TraceEvent& e : r.events)
      if (e.op == op) out.push_back(e.args + " -> " + e.result);
    return out;
  }
  static std::size_t count(const ExecutionResult& r, const std::string& op) { return results_of(r, op).size(); }

  ScenarioRegistry registry_;
  StackPool stacks_;
  WorldFactory world_ = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
};

TEST_F(GeneratedWorkload, VariantsMeetTheirExpectationAndReplay) {
  for (const char* name : {"buggy", "fixed"}) {
    const VariantInfo& v = variant(name);
    VariantReport r = explore_variant(scenario(), v, world_, ExploreOptions{}, stacks_);
    EXPECT_TRUE(r.met_expectation()) << name << ": expected " << to_string(v.expect) << ", got "
                                     << (r.failed ? "fail: " + r.message : std::string("pass"));
    if (!r.failed) {
      EXPECT_EQ(r.executions, scenario().info().default_iterations) << name;
      continue;
    }
    ASSERT_TRUE(r.replay.has_value());
    ExecutionResult again = replay_token(registry_, ReplayToken::decode(r.replay->encode()), world_, stacks_);
    EXPECT_TRUE(again.failed());
    EXPECT_EQ(again.check, r.failure.check);
    EXPECT_EQ(again.trace_hash, r.trace_hash) << name;
    EXPECT_EQ(results_of(again, "workload.op"), results_of(r.failure, "workload.op"));
  }
}

TEST_F(GeneratedWorkload, ShrinkingLeavesAMinimalOperationSequence) {
  ExploreOptions unshrunk;
  unshrunk.shrink = false;
  VariantReport first = explore_variant(scenario(), variant("buggy"), world_, unshrunk, stacks_);
  VariantReport shrunk = explore_variant(scenario(), variant("buggy"), world_, ExploreOptions{}, stacks_);
  ASSERT_TRUE(first.failed);
  ASSERT_TRUE(shrunk.failed);
  EXPECT_EQ(first.failure.check, shrunk.failure.check);
  const std::size_t before = count(first.failure, "workload.op");
  const std::size_t after = count(shrunk.failure, "workload.op");
  // Every invariant needs at least one operation; none of them needs more than two (two guests racing).
  EXPECT_GE(after, 1u);
  EXPECT_LE(after, 2u) << testing::PrintToString(results_of(shrunk.failure, "workload.op"));
  EXPECT_TRUE(after < before || before <= 2) << before << " operations shrunk to " << after;
  EXPECT_LE(shrunk.failure.schedule.preemptions(), first.failure.schedule.preemptions());
  EXPECT_LE(shrunk.failure.steps, first.failure.steps);
}

TEST_F(GeneratedWorkload, EveryOperationKindRunsAndTheFixedPathsPass) {
  const std::vector<std::uint32_t> slots = {
      kAttachD0,    kDetachD0, kAttachD1,  // guest 1
      kCreateM0OnA, kRemoveM0, kAttachD0,  // guest 2
      kCreateM0OnB, kDetachD1, kAttachD1,  // guest 3: m0 and d1 are guest 1's or 2's when it runs
      1,            0,                     // udisksd once
  };
  ExecutionResult r = run_workload("fixed", slots);
  EXPECT_FALSE(r.failed()) << r.check << ": " << r.message;
  const auto done = results_of(r, "workload.done");
  ASSERT_EQ(done.size(), 9u) << testing::PrintToString(done);
  EXPECT_EQ(count(r, "workload.op"), 10u);
  // Guests run concurrently, so whichever takes a disk first keeps it: here (the default, non-preemptive
  // schedule) guest 3 gets d1 before guest 1 asks for it. Every kind of operation ran and did its job.
  const std::vector<std::string> expected = {
      "guest 1: attach disk d0 -> OK /local/domain/0/backend/vbd/1/51712",
      "guest 1: attach disk d1 -> refused: /images/d1.img is already in use by /dev/loop1",
      "guest 1: detach disk d0 -> OK",
      "guest 2: attach disk d0 -> OK /local/domain/0/backend/vbd/2/51712",
      "guest 2: create mdev m0 on GPU A -> OK",
      "guest 2: remove mdev m0 -> OK",
      "guest 3: attach disk d1 -> OK /local/domain/0/backend/vbd/3/51712",
      "guest 3: create mdev m0 on GPU B -> OK",
      "guest 3: detach disk d1 -> no such disk (nothing to do)",
  };
  auto sorted = done;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, expected);
}

TEST_F(GeneratedWorkload, FixedRefusesADiskAnotherGuestHolds) {
  std::vector<std::uint32_t> slots(kGuests * kSlotsPerGuest + 2, 0);
  slots[0] = kAttachD0;
  slots[kSlotsPerGuest] = kAttachD0;
  ExecutionResult r = run_workload("fixed", slots);
  EXPECT_FALSE(r.failed()) << r.message;
  const auto done = results_of(r, "workload.done");
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[1], "guest 2: attach disk d0 -> refused: /images/d0.img is already in use by /dev/loop0");
}

TEST_F(GeneratedWorkload, BuggyGivesOneDiskToTwoGuests) {
  std::vector<std::uint32_t> slots(kGuests * kSlotsPerGuest + 2, 0);
  slots[0] = kAttachD0;
  slots[kSlotsPerGuest] = kAttachD0;
  ExecutionResult r = run_workload("buggy", slots);
  ASSERT_TRUE(r.failed());
  EXPECT_EQ(r.check, "no device given to two guests");
  EXPECT_NE(r.message.find("/images/d0.img is given to guest 1"), std::string::npos) << r.message;
}

TEST_F(GeneratedWorkload, BuggyCreatesOneMdevOnTwoParents) {
  std::vector<std::uint32_t> slots(kGuests * kSlotsPerGuest + 2, 0);
  slots[0] = kCreateM0OnA;
  slots[2 * kSlotsPerGuest] = kCreateM0OnB;
  EXPECT_EQ(run_workload("buggy", slots).check, "no mdev UUID live twice");
  EXPECT_FALSE(run_workload("fixed", slots).failed());
}

// A fixed workload under schedules a real strategy explores: the first `values.size()` data choices
// (the workload slots) take the given values, every actor pick is the inner strategy's.
class FixedWorkload final : public Strategy {
 public:
  FixedWorkload(std::unique_ptr<Strategy> inner, std::vector<std::uint32_t> values)
      : inner_(std::move(inner)), values_(std::move(values)) {}
  std::string_view name() const override { return inner_->name(); }
  void begin_execution(std::uint64_t index) override {
    next_ = 0;
    inner_->begin_execution(index);
  }
  ActorId pick_actor(const PickContext& ctx) override { return inner_->pick_actor(ctx); }
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override {
    if (kind == ChoiceKind::data && next_ < values_.size()) return values_[next_++];
    return inner_->pick_value(n, kind);
  }
  void end_execution(std::uint64_t steps) override { inner_->end_execution(steps); }

 private:
  std::unique_ptr<Strategy> inner_;
  std::vector<std::uint32_t> values_;
  std::size_t next_ = 0;
};

// The first failure of `variant` with this workload within `budget` random schedules, if any.
std::optional<ExecutionResult> explore_workload(const Scenario& s, const char* variant, const WorldFactory& world,
                                                StackPool& stacks, const std::vector<std::uint32_t>& slots,
                                                std::uint64_t budget) {
  StrategyOptions random;
  random.name = "random";
  FixedWorkload strategy(make_strategy(random), slots);
  const ExecutionOptions options = execution_options_for(s.info(), {}, false);
  for (std::uint64_t i = 0; i < budget; ++i) {
    strategy.begin_execution(i);
    ExecutionResult r = run_execution(s, variant, world, strategy, stacks, options);
    strategy.end_execution(r.steps);
    if (r.failed()) return r;
  }
  return std::nullopt;
}

// The shell script's race with a non-Xen loop user needs an interleaving, not just a workload: udisksd's
// `losetup -d` by a remembered index frees the guest's freshly bound loop device before blkback opens it.
TEST_F(GeneratedWorkload, BuggyLoopRaceNeedsAnInterleavingAndFixedSurvivesIt) {
  std::vector<std::uint32_t> slots(kGuests * kSlotsPerGuest + 2, 0);
  slots[0] = kAttachD0;
  slots[kGuests * kSlotsPerGuest] = 1;  // udisksd runs once
  // Without preemption nothing goes wrong.
  EXPECT_FALSE(run_workload("buggy", slots).failed());
  auto found = explore_workload(scenario(), "buggy", world_, stacks_, slots, 2000);
  ASSERT_TRUE(found.has_value()) << "2000 random schedules of the buggy paths found no failure";
  EXPECT_GE(found->schedule.preemptions(), 1u);
  EXPECT_TRUE(found->check == "each guest is given the file it asked for" ||
              found->check == "no leaked loop device or backend, every state Connected or Closed")
      << found->check << ": " << found->message;
  auto fixed = explore_workload(scenario(), "fixed", world_, stacks_, slots, 2000);
  EXPECT_FALSE(fixed.has_value()) << fixed->check << ": " << fixed->message;
}

}  // namespace
}  // namespace xenrace
