// What the process-actor tests share: executions that keep their trace, and the trace as text to compare
// byte for byte (step, actor, virtual time, operation, arguments, result).
#pragma once
#include <functional>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"
#include "runtime/execution.hpp"
#include "runtime/scenario.hpp"
#include "runtime/strategies/pct_strategy.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "world/world.hpp"

namespace xenrace::testing {

inline bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

inline ExecutionOptions keep_trace() {
  ExecutionOptions o;
  o.keep_trace = true;
  return o;
}

inline std::string trace_text(const ExecutionResult& r) {
  std::string out;
  for (const auto& e : r.events)
    out += fmt::format("{} {} t={} {} {} -> {}\n", e.step, e.actor < r.actors.size() ? r.actors[e.actor] : "harness",
                       e.time, e.op, e.args, e.result);
  return out;
}

// The trace without virtual time: what a real-script scenario's tests compare and search.
inline std::string steps_text(const ExecutionResult& r) {
  std::string out;
  for (const auto& e : r.events)
    out += fmt::format("{} {} {} {} -> {}\n", e.step, e.actor < r.actors.size() ? r.actors[e.actor] : "harness", e.op,
                       e.args, e.result);
  return out;
}

// One built-in scenario run execution by execution on the simulator, as explore runs it. `skip` says why
// it cannot run here (its build threw ComponentUnavailable for `probe_variant`), for GTEST_SKIP.
struct ScenarioRunner {
  ScenarioRegistry registry;
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  std::string scenario;
  std::string skip;

  ScenarioRunner(std::string name, const char* probe_variant) : scenario(std::move(name)) {
    register_builtin_scenarios(registry);
    RandomStrategy probe(1);
    probe.begin_execution(0);
    try {
      run(probe, probe_variant);
    } catch (const ComponentUnavailable& e) {
      skip = e.what();
    }
  }
  ExecutionResult run(Strategy& strategy, const char* variant, const Params& params = {}) {
    const Scenario& s = registry.get(scenario);
    return run_execution(s, variant, world, strategy, stacks, execution_options_for(s.info(), params, true));
  }
};

// The first of `budget` pct executions (depth 3, as the real-script scenarios default to; seed 1 unless given)
// of `variant` that fails and that `wanted` accepts; nullopt when none does.
inline std::optional<ExecutionResult> first_pct_failure(ScenarioRunner& runner, const char* variant, int budget,
                                                        const std::function<bool(const ExecutionResult&)>& wanted,
                                                        const Params& params = {}, std::uint64_t seed = 1) {
  PctStrategy strategy(seed, 3);
  for (int i = 0; i < budget; ++i) {
    strategy.begin_execution(static_cast<std::uint64_t>(i));
    ExecutionResult r = runner.run(strategy, variant, params);
    strategy.end_execution(r.steps);
    if (r.failed() && wanted(r)) return r;
  }
  return std::nullopt;
}

// Replays `r`'s decisions: "" when the replay followed them and gave the same trace, else what differed.
inline std::string replay_difference(ScenarioRunner& runner, const ExecutionResult& r, const char* variant,
                                     const Params& params = {}) {
  ReplayStrategy replay(r.schedule);
  replay.begin_execution(0);
  const ExecutionResult again = runner.run(replay, variant, params);
  if (!replay.divergence().empty()) return "the replay diverged: " + replay.divergence();
  if (steps_text(again) != steps_text(r))
    return "the replay gave another trace:\n" + steps_text(again) + "\ninstead of:\n" + steps_text(r);
  return {};
}

}  // namespace xenrace::testing
