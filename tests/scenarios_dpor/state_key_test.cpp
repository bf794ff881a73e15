// A scenario's description of its state (docs/writing-a-scenario.md, section 7) is what dpor's state cache
// trusts to cut an execution off: two points with one key must have the same futures. Checked directly, in the
// whole tree of a bounded dfs: every pick is keyed, and each point collects where the executions through it
// end (scenario_outcomes.hpp). Two points with one key, and the same actor free to go on (what the next pick
// costs), must reach the same ends, the one with fewer preemptions left no more than the other. This is
// sharper than comparing dpor's ends with dfs's (scenario_footprints_test.cpp): there, a wrong key loses
// an end only if dpor happens to cut off the one path that leads to it.
#include <gtest/gtest.h>

#include <bitset>
#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/scenario.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "scenario_outcomes.hpp"

namespace xenrace {
namespace {

constexpr std::size_t kMaxEnds = 256;
using Ends = std::bitset<kMaxEnds>;

// A keyed point of the current execution: the decisions before it place it in the tree.
struct KeyedPoint {
  std::size_t decision;  // how many decisions (picks and values) came before it
  StateKey key;
  ActorId running;  // running_actor(): the one a pick other than it preempts
  std::uint32_t spent;
};

// Bounded dfs, with a key asked for at every pick (the scheduler then asks at forced ones too).
class KeyingDfs final : public Strategy {
 public:
  explicit KeyingDfs(unsigned bound) : dfs_(bound) {}
  std::string_view name() const override { return "keying dfs"; }
  bool observes_steps() const override { return true; }
  bool caches_states() const override { return true; }
  bool caches_states_at_picks() const override { return true; }
  bool has_more() const override { return dfs_.has_more(); }
  void begin_execution(std::uint64_t index) override {
    dfs_.begin_execution(index);
    decisions.clear();
    points.clear();
    spent_ = 0;
  }
  ActorId pick_actor(const PickContext& ctx) override {
    const ActorId chosen = dfs_.pick_actor(ctx);
    if (StateKey key; ctx.state_key(key))
      points.push_back(KeyedPoint{decisions.size(), key, running_actor(ctx), spent_});
    if (preempts(ctx, chosen)) ++spent_;
    decisions.push_back(chosen);
    return chosen;
  }
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override {
    const std::uint32_t v = dfs_.pick_value(n, kind);
    decisions.push_back((std::uint64_t{1} << 32) | v);
    return v;
  }
  void end_execution(std::uint64_t steps) override { dfs_.end_execution(steps); }

  std::vector<std::uint64_t> decisions;
  std::vector<KeyedPoint> points;

 private:
  DfsStrategy dfs_;
  std::uint32_t spent_ = 0;
};

struct Case {
  std::string scenario;
  std::string variant;
  Params params;
  unsigned bound;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.scenario << "/" << c.variant << " bound " << c.bound; }

struct SameKey {
  StateKey key;
  ActorId running;
  bool operator==(const SameKey&) const = default;
};
struct SameKeyHash {
  std::size_t operator()(const SameKey& k) const { return StateKeyHash{}(k.key) ^ k.running; }
};
// A finished point: the ends below it, and the decisions that lead to it (to name it in a failure).
struct Finished {
  std::uint32_t spent;
  Ends ends;
  std::vector<std::uint64_t> path;
};

std::string describe_path(const std::vector<std::uint64_t>& path) {
  std::string out;
  for (std::uint64_t d : path) out += (d >> 32) ? fmt::format(" v{}", d & 0xffffffffu) : fmt::format(" {}", d);
  return out;
}

class StateKeys : public ::testing::TestWithParam<Case> {};

TEST_P(StateKeys, PointsWithOneKeyEndAlike) {
  const Case& c = GetParam();
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  const Scenario& s = registry.get(c.scenario);
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  const ExecutionOptions options = execution_options_for(s.info(), c.params, true);
  KeyingDfs strategy(c.bound);

  std::unordered_map<std::string, std::size_t> end_ids;
  std::vector<std::string> end_names;
  // The keyed points of the current path, in dfs order: a point is finished when the search leaves it.
  struct Open {
    KeyedPoint point;
    Ends ends;
    std::vector<std::uint64_t> path;
  };
  std::vector<Open> path;
  std::vector<std::uint64_t> previous;
  std::unordered_map<SameKey, std::vector<Finished>, SameKeyHash> finished;
  auto finish = [&](Open& o) {
    std::vector<Finished>& same = finished[SameKey{o.point.key, o.point.running}];
    for (const Finished& f : same)
      if (f.spent == o.point.spent && f.ends == o.ends) return;
    same.push_back(Finished{o.point.spent, o.ends, std::move(o.path)});
  };
  std::uint64_t executions = 0;
  std::uint64_t keyed = 0;
  for (; strategy.has_more(); ++executions) {
    ASSERT_LT(executions, 300'000u) << "the bounded tree is too large for this check";
    strategy.begin_execution(executions);
    const ExecutionResult r = run_execution(s, c.variant, world, strategy, stacks, options);
    strategy.end_execution(r.steps);
    const auto [it, fresh] = end_ids.try_emplace(where_it_ends(r), end_names.size());
    if (fresh) end_names.push_back(it->first);
    ASSERT_LT(it->second, kMaxEnds);
    // The points of the previous execution placed after its first decision this one changed are finished.
    std::size_t shared = 0;
    const std::vector<std::uint64_t>& now = strategy.decisions;
    while (shared < previous.size() && shared < now.size() && previous[shared] == now[shared]) ++shared;
    while (!path.empty() && path.back().point.decision > shared) {
      finish(path.back());
      path.pop_back();
    }
    for (const KeyedPoint& p : strategy.points)
      if (path.empty() || p.decision > path.back().point.decision) {
        path.push_back(Open{p, {}, std::vector<std::uint64_t>(now.begin(), now.begin() + p.decision)});
        ++keyed;
      }
    for (Open& o : path) o.ends.set(it->second);
    previous = now;
  }
  while (!path.empty()) {
    finish(path.back());
    path.pop_back();
  }
  EXPECT_GE(end_names.size(), 2u);  // something to tell apart
  for (const auto& [key, same] : finished) {
    for (const Finished& more : same)
      for (const Finished& fewer : same) {
        if (fewer.spent < more.spent) continue;  // fewer preemptions left: no more ends
        const Ends extra = fewer.ends & ~more.ends;
        if (extra.none()) continue;
        std::string ends;
        for (std::size_t e = 0; e < kMaxEnds; ++e)
          if (extra[e]) ends += end_names[e];
        ADD_FAILURE() << "two points with one key end differently:\n  at" << describe_path(more.path) << "\n  and at"
                      << describe_path(fewer.path) << " (with fewer preemptions left), which alone can end:\n"
                      << ends;
        return;
      }
  }
  RecordProperty("executions", static_cast<int>(executions));
  RecordProperty("keyed_points", static_cast<int>(keyed));
  RecordProperty("keys", static_cast<int>(finished.size()));
  EXPECT_LT(finished.size(), keyed);  // some points share a key: something to check
}

INSTANTIATE_TEST_SUITE_P(
    DescribedScenarios, StateKeys,
    ::testing::Values(Case{"loop-block-script", "buggy", {{"adds", "1"}}, 1},
                      Case{"loop-block-script", "fixed", {{"adds", "1"}}, 0},
                      Case{"loop-block-script", "fixed-killed", {{"adds", "1"}}, 0},
                      Case{"pci-attach", "fixed", {}, 1},
                      Case{"pci-attach", "buggy-backend-wait-only", {}, 0},
                      Case{"pci-attach", "fixed-existing-backend", {}, 0}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.scenario + "_" + info.param.variant + "_bound" + std::to_string(info.param.bound);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

}  // namespace
}  // namespace xenrace
