// The Explorer runs one scenario variant many times under a strategy until an execution fails or the
// budget is spent; a failure is shrunk to the fewest explicit decisions (preemptions, injected faults,
// non-default data) and steps that still break the same check, and becomes a replay token.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/execution.hpp"
#include "runtime/scenario.hpp"
#include "runtime/schedule.hpp"

namespace xenrace {

// Builds the world of one execution (e.g. `ex.make<SimWorld>(ex)`), owned by that execution.
using WorldFactory = std::function<World&(Execution&)>;

struct ExploreOptions {
  StrategyOptions strategy;
  std::uint64_t iterations = 0;  // 0: the scenario's default budget
  bool shrink = true;
  std::uint64_t shrink_budget = 1000;  // replays the shrinker may spend
  Params params;                       // execution options, carried into the replay token
  // Called every `progress_every` executions (the CLI's progress line); may be empty. It only observes:
  // nothing it does feeds back into exploration.
  std::function<void(std::uint64_t done, std::uint64_t budget)> progress;
  std::uint64_t progress_every = 1000;  // at least 1
};

struct VariantReport {
  std::string scenario;
  std::string variant;
  Expect expect = Expect::pass;
  std::string strategy;
  std::uint64_t seed = 0;
  bool failed = false;               // the verdict: an execution broke a check
  std::uint64_t executions = 0;      // executions run (up to and including the first failure)
  std::uint64_t pruned = 0;          // dpor: executions abandoned as repeats (not in `executions`)
  std::uint64_t steps = 0;           // scheduling steps over those executions
  std::uint64_t trace_hash = 0;      // failing: the shrunk execution's; passing: over all executions
  std::string message;               // failing: the violated check and what went wrong
  std::optional<ReplayToken> replay; // failing: replays the shrunk execution
  // Passing: replays the execution with the most preemptions (the first such), so the interleaving that
  // pushed the fix hardest can be forced on a real host (`xenrace run --backend dom0 --replay`).
  std::optional<ReplayToken> busiest_pass;
  std::uint64_t first_failure_steps = 0;  // steps of the failing execution before shrinking
  std::uint64_t shrink_runs = 0;
  bool exhausted = false;            // an exhaustive strategy covered every schedule in its bound
  ExecutionResult failure;           // the shrunk failing execution, events kept

  bool met_expectation() const { return failed == (expect == Expect::fail); }
};

// One execution of `variant` under `strategy` (already begun). Pure function of its inputs.
ExecutionResult run_execution(const Scenario& scenario, std::string_view variant, const WorldFactory& world,
                              Strategy& strategy, StackPool& stacks, const ExecutionOptions& options);

VariantReport explore_variant(const Scenario& scenario, const VariantInfo& variant, const WorldFactory& world,
                              const ExploreOptions& options, StackPool& stacks);

// Re-runs exactly the execution a token describes, keeping its trace. Throws UsageError when the token
// belongs to another xenrace version or an unknown scenario or variant. When the schedule does not fit the
// program (a recorded decision that cannot be made where it is met, recorded decisions never reached, another
// number of decisions, or another step count or trace hash than the token recorded), sets *diverged and
// says why in *divergence ("" when it fit).
ExecutionResult replay_token(const ScenarioRegistry& registry, const ReplayToken& token, const WorldFactory& world,
                             StackPool& stacks, bool* diverged = nullptr, std::string* divergence = nullptr);

ExecutionOptions execution_options_for(const ScenarioInfo& info, const Params& params, bool keep_trace);

}  // namespace xenrace
