// The Explorer runs one scenario variant many times under a strategy until an execution fails or the
// budget is spent; a failure is shrunk to the fewest explicit decisions (preemptions, injected faults,
// non-default data) and steps that still break the same check, then to the fewest actors where a count
// parameter allows it, and becomes a replay token.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/execution.hpp"
#include "runtime/scenario.hpp"
#include "runtime/schedule.hpp"

namespace xenrace {

class SharedBudget;  // run/shared_budget.hpp

// Builds the world of one execution (e.g. `ex.make<SimWorld>(ex)`), owned by that execution.
using WorldFactory = std::function<World&(Execution&)>;

struct ExploreOptions {
  StrategyOptions strategy;
  std::uint64_t iterations = 0;  // 0: the scenario's default budget
  bool shrink = true;
  // Replays the shrinker may spend per witness (explore --shrink-budget). None: the scenario's own when its
  // executions are slow (ScenarioInfo::shrink_budget), else 1000.
  std::optional<std::uint64_t> shrink_budget;
  // With shrink: also try smaller counts (integer parameters with a minimum) for a witness with fewer actors.
  bool fewer_actors = true;
  Params params;                       // execution options, carried into the replay token
  // Called every `progress_every` executions (the CLI's progress line); may be empty. It only observes:
  // nothing it does feeds back into exploration.
  std::function<void(std::uint64_t done, std::uint64_t budget)> progress;
  std::uint64_t progress_every = 1000;  // at least 1
  // explore --verify with neither a strategy nor a bound given: when the unbounded dpor search does not finish
  // in the budget, prove what it can instead, bound 0, 1, 2, ... (iterative context bounding), each bound's
  // search afresh, together in the same budget again. The report is the largest bound that finished.
  bool bounds_when_unfinished = false;
  // With bounds_when_unfinished: no unbounded search first; the bounds get the whole budget
  // (ScenarioInfo::verify_by_bounds).
  bool bounds_only = false;
  // explore --jobs N on one variant: the search of a variant expected to pass runs as `split` shards at once,
  // one forked worker each, spending the budget together (SharedBudget), merged into one report: parts of
  // the tree for dfs and dpor, ranges of execution indices for random and pct. A failure found so is searched
  // for again in one process, so its witness and token are what `split` 1 gives. 1: one process.
  unsigned split = 1;
  // Set for the workers of a split search only: the budget they share, and which of its parts this one is.
  SharedBudget* shared_budget = nullptr;
  unsigned budget_part = 0;
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
  // Failing: the shrunk execution's. Passing: over all executions, as the sum of each one's hash spread
  // (spread_hash), so it does not depend on their order and the shards of a search add up to it.
  std::uint64_t trace_hash = 0;
  std::string message;               // failing: the violated check and what went wrong
  std::optional<ReplayToken> replay; // failing: replays the shrunk execution
  // Passing: replays the busiest execution (busier_pass: the most preemptions), so the interleaving that
  // pushed the fix hardest can be forced on a real host (`xenrace run --backend dom0 --replay`).
  std::optional<ReplayToken> busiest_pass;
  std::uint64_t first_failure_steps = 0;  // steps of the failing execution before shrinking
  std::uint64_t shrink_runs = 0;
  std::uint64_t shrink_budget = 0;  // replays the shrinker was allowed
  // The budget ran out before the shrinker's deletions finished: the witness may be far from minimal. (The
  // later passes try every single decision, and may spend any budget on a witness that is already minimal.)
  bool shrink_cut_short = false;
  // Failing, shrunk: the counts (integer parameters with a minimum) the witness was lowered to, "attaches=2
  // (explored with 4)"; the replay token carries them. "" when it runs with the counts explored.
  std::string fewer;
  // Smaller counts that broke the same check but whose witness was not simpler (more preemptions or steps),
  // so the witness stayed: "attaches=2 (2 preemptions, 80 steps)". "" when none.
  std::string also_fails;
  std::uint64_t count_runs = 0;  // executions spent searching at smaller counts
  bool exhausted = false;            // an exhaustive strategy covered every schedule in its scope (shard)
  ExecutionResult failure;           // the shrunk failing execution, events kept
  // What the search was, for the verdict's wording and for merging shards.
  std::uint64_t budget = 0;          // executions it was allowed (a sampling shard: its range's length)
  bool exhaustive = false;           // the strategy enumerates (dfs, dpor): exhausted means covered
  std::string scope;                 // what an exhaustive strategy covers: "bound 2", "unbounded"
  unsigned shard_index = 0;          // --shard K/N: K-1
  unsigned shard_count = 1;          //             N (1: not sharded)
  std::uint64_t first_index = 0;     // a sampling shard: the execution index it began at
  bool verifying = false;            // explore --verify: this run set out to prove the variant
  // The unbounded search that did not finish before the bounded ones (bounds_when_unfinished): its
  // executions. 0: there was none. `executions`, `scope` and the rest are then the last bounded search's.
  std::uint64_t unbounded_unfinished_after = 0;
  // Not empty: the variant cannot run here (a component this host or backend lacks: World's
  // ComponentUnavailable), and why. It is neither passed nor failed, and meets no expectation.
  std::string skipped;
  // What the scenario's inputs hold that its model does not apply (ExecutionResult::not_modelled), as the
  // first execution said it: the verdict says nothing about these.
  std::vector<std::string> not_modelled;

  bool met_expectation() const { return skipped.empty() && failed == (expect == Expect::fail); }
  bool sharded() const { return shard_count > 1; }
};

// What a report shows, in one word for scripts: "skipped" (it could not run here); "failed"; "verified" (an exhaustive strategy covered its
// whole scope, unsharded); "shard-complete" (it covered this shard's whole part; merging every shard can
// verify); "sampled" (anything else: a sampling strategy, or an enumeration that ran out of budget).
const char* shown(const VariantReport& r);
// The same for people, for a passing variant: "no failure in 500 sampled executions (pct, seed 1)",
// "verified: every schedule explored (bound 2, dfs), 24 executions", "no failure in 1000 executions of an
// unfinished dfs search (bound 2)", with --verify "not verified within budget: 1000 executions, search
// unfinished (bound 2, dfs)", and the shard when there is one. dpor adds the runs it cut off (at a state
// explored before, or where every runnable actor slept): "..., 8 executions and 67526 runs cut off".
std::string shown_text(const VariantReport& r);

// Which of two passing executions a report names as its busiest: more preemptions, then fewer steps, then
// the lower trace hash. It orders the executions themselves, not when they ran, so the shards of a search
// name the one the whole search would.
bool busier_pass(std::size_t preemptions, const ExecutionFingerprint& run, std::size_t than_preemptions,
                 const ExecutionFingerprint& than);
bool busier_pass(const ReplayToken& a, const ReplayToken& than);

// One execution's trace hash as it enters a passing report's sum: spread over all 64 bits, so that a sum
// of many stays as good a fingerprint as a chained hash.
std::uint64_t spread_hash(std::uint64_t trace_hash);

// Which executions shard `index` (0-based) of `count` runs of a sampling strategy's budget: the contiguous
// range [first, last) of execution indices, the shards' ranges partitioning [0, budget) in order.
std::pair<std::uint64_t, std::uint64_t> shard_range(std::uint64_t budget, unsigned index, unsigned count);

// One execution of `variant` under `strategy` (already begun). Pure function of its inputs.
ExecutionResult run_execution(const Scenario& scenario, std::string_view variant, const WorldFactory& world,
                              Strategy& strategy, StackPool& stacks, const ExecutionOptions& options);

VariantReport explore_variant(const Scenario& scenario, const VariantInfo& variant, const WorldFactory& world,
                              const ExploreOptions& options, StackPool& stacks);

// Re-runs exactly the execution a token describes, keeping its trace. Throws UsageError when the token
// belongs to another xenrace version or an unknown scenario or variant. When the schedule does not fit the
// program (a recorded decision that cannot be made where it is met, recorded decisions never reached, another
// number of decisions, or another step count or trace hash than the token recorded), sets *diverged and
// says why in *divergence ("" when it fit). `keep_going`, when given, sees the trace after every step and
// may stop the replay there (ExecutionOptions::keep_going); a replay stopped so is checked for fit only up
// to where it stopped.
ExecutionResult replay_token(const ScenarioRegistry& registry, const ReplayToken& token, const WorldFactory& world,
                             StackPool& stacks, bool* diverged = nullptr, std::string* divergence = nullptr,
                             std::function<bool(const Trace&)> keep_going = {});

ExecutionOptions execution_options_for(const ScenarioInfo& info, const Params& params, bool keep_trace);

}  // namespace xenrace
