#include "run/explorer.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "run/equivalent_order.hpp"
#include "run/report_wire.hpp"
#include "run/shard_merge.hpp"
#include "run/shared_budget.hpp"
#include "run/workers.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "world/world.hpp"
#include "xenrace/version.hpp"

namespace xenrace {
namespace {
// How many smaller values of a count the explorer tries below the one explored (the lowest first).
constexpr std::int64_t kCountsTried = 8;
}  // namespace

ExecutionOptions execution_options_for(const ScenarioInfo& info, const Params& params, bool keep_trace) {
  ExecutionOptions o;
  o.max_steps = info.max_steps;
  o.keep_trace = keep_trace;
  o.params = params;
  return o;
}

ExecutionResult run_execution(const Scenario& scenario, std::string_view variant, const WorldFactory& world,
                              Strategy& strategy, StackPool& stacks, const ExecutionOptions& options) {
  Execution ex(strategy, stacks, options);
  World& w = world(ex);
  scenario.build(ex, w, variant);
  return ex.run();
}

namespace {

ExecutionResult replay_schedule(const Scenario& scenario, std::string_view variant, const WorldFactory& world,
                                StackPool& stacks, const ExecutionOptions& options, Schedule schedule,
                                std::string* divergence = nullptr) {
  ReplayStrategy strategy(std::move(schedule));
  strategy.begin_execution(0);
  ExecutionResult r = run_execution(scenario, variant, world, strategy, stacks, options);
  if (divergence) *divergence = r.stopped ? strategy.divergence_so_far() : strategy.divergence();
  return r;
}

// Smaller is better: fewer preemptions (Schedule::preemptions), then fewer steps, then fewer explicit
// decisions (faults, generated data, picks that preempt nobody). The shrinker keeps a candidate only when it
// is simpler, so a witness is never worse than the first failure found.
bool simpler(const ExecutionResult& a, const ExecutionResult& b) {
  if (a.schedule.preemptions() != b.schedule.preemptions())
    return a.schedule.preemptions() < b.schedule.preemptions();
  if (a.steps != b.steps) return a.steps < b.steps;
  return a.schedule.decisions.size() < b.schedule.decisions.size();
}

// Replays the shrinker may spend on a witness unless told otherwise (ExploreOptions::shrink_budget).
constexpr std::uint64_t kDefaultShrinkBudget = 1000;

// Delta debugging over explicit decisions: drop chunks (halving their size), keep any candidate that
// still breaks the same check and is simpler. Each candidate is one replay.
ExecutionResult delta_debug(const Scenario& scenario, std::string_view variant, const WorldFactory& world,
                            StackPool& stacks, const ExecutionOptions& options, ExecutionResult best,
                            std::uint64_t budget, std::uint64_t& runs, bool& cut_short) {
  auto attempt = [&](Schedule candidate) -> bool {
    if (runs >= budget) return false;
    ++runs;
    ExecutionResult r = replay_schedule(scenario, variant, world, stacks, options, std::move(candidate));
    if (r.same_failure(best) && simpler(r, best)) {
      best = std::move(r);
      return true;
    }
    return false;
  };
  // The recorded schedule may contain decisions after the failure: the failing run's own record is exact.
  for (std::size_t chunk = std::max<std::size_t>(1, best.schedule.decisions.size() / 2); chunk >= 1;) {
    bool progressed = false;
    for (std::size_t start = 0; start < best.schedule.decisions.size() && runs < budget;) {
      Schedule candidate = best.schedule;
      auto& d = candidate.decisions;
      const std::size_t end = std::min(d.size(), start + chunk);
      d.erase(d.begin() + static_cast<std::ptrdiff_t>(start), d.begin() + static_cast<std::ptrdiff_t>(end));
      if (attempt(std::move(candidate)))
        progressed = true;  // same start: the next chunk slid into place
      else
        start += chunk;
    }
    if (runs >= budget) {
      // The deletions did not finish: the witness may be far from minimal (unless nothing was left to delete).
      cut_short = !best.schedule.decisions.empty();
      break;
    }
    if (!progressed) {
      if (chunk == 1) break;
      chunk /= 2;
    }
  }
  // A different value at one decision can replace several others (one preemption where the strategy
  // happened to use two): keep decision i with each other value, and drop all the rest, or all later ones.
  auto swap_pass = [&]() -> bool {
    std::uint32_t max_value = 1;
    for (const auto& d : best.schedule.decisions) max_value = std::max(max_value, d.value + 1);
    for (std::size_t i = 0; i < best.schedule.decisions.size() && runs < budget; ++i) {
      for (std::uint32_t v = 0; v <= max_value && runs < budget; ++v) {
        if (v == best.schedule.decisions[i].value) continue;
        Decision keep = best.schedule.decisions[i];
        keep.value = v;
        Schedule only = best.schedule;
        only.decisions = {keep};
        if (attempt(std::move(only))) return true;
        Schedule prefix = best.schedule;
        prefix.decisions.resize(i + 1);
        prefix.decisions[i].value = v;
        if (prefix.decisions.size() < best.schedule.decisions.size() && attempt(std::move(prefix))) return true;
      }
    }
    return false;
  };
  while (best.schedule.decisions.size() > 1 && swap_pass()) {
  }
  // Deletion works on positions, so a lone decision at the right place can stay out of its reach.
  // When more than one remains, try every schedule of exactly one explicit decision: (index, value).
  if (best.schedule.decisions.size() > 1) {
    std::uint32_t values = 2;
    for (const auto& d : best.schedule.decisions) values = std::max(values, d.value + 2);
    const std::uint32_t total = best.schedule.total;
    for (std::uint32_t index = 0; index < total && best.schedule.decisions.size() > 1 && runs < budget; ++index) {
      for (std::uint32_t v = 0; v < values && runs < budget; ++v) {
        for (ChoiceKind kind : {ChoiceKind::actor, ChoiceKind::fault, ChoiceKind::data}) {
          if (kind != ChoiceKind::actor && v == 0) continue;
          Schedule one;
          one.total = index + 1;
          one.decisions = {Decision{index, kind, v}};
          if (attempt(std::move(one))) break;
        }
      }
    }
  }
  // Then try smaller values for what remains (an earlier actor, a smaller generated value).
  for (std::size_t i = 0; i < best.schedule.decisions.size() && runs < budget; ++i) {
    for (std::uint32_t v = 0; v < best.schedule.decisions[i].value && runs < budget; ++v) {
      Schedule candidate = best.schedule;
      candidate.decisions[i].value = v;
      if (attempt(std::move(candidate))) break;
    }
  }
  return best;
}

// Delta debugging, then the same trace in an order with fewer switches (run/equivalent_order.hpp), and
// again while that order is simpler: deleting decisions reaches witnesses whose remaining switches order steps
// that commute, and reordering reaches ones that deleting would not. So the witness is one whose equivalent
// order is no simpler, unless the budget ran out.
ExecutionResult shrink(const Scenario& scenario, std::string_view variant, const WorldFactory& world,
                       StackPool& stacks, const ExecutionOptions& options, ExecutionResult best,
                       std::uint64_t budget, std::uint64_t& runs, bool& cut_short) {
  best = delta_debug(scenario, variant, world, stacks, options, std::move(best), budget, runs, cut_short);
  while (budget >= runs + 2) {
    auto r = run_in_equivalent_order(scenario, variant, world, stacks, options, best, runs);
    if (!r || !r->same_failure(best) || !simpler(*r, best)) break;
    best = delta_debug(scenario, variant, world, stacks, options, std::move(*r), budget, runs, cut_short);
  }
  return best;
}

// The value `params` gives an integer parameter (the first entry wins, as Execution::param reads it), else its
// default.
std::int64_t integer_value(const ParamInfo& p, const Params& params) {
  for (const auto& [key, value] : params)
    if (key == p.name) return std::stoll(value);
  return std::stoll(p.default_value);
}

Params with_value(Params params, const std::string& name, std::int64_t value) {
  for (auto& [key, text] : params)
    if (key == name) {
      text = std::to_string(value);
      return params;
    }
  params.emplace_back(name, std::to_string(value));
  return params;
}

// Before a search that starts at execution `first`: a strategy whose executions depend on the first few (pct's
// step bound) runs those below `first`, uncounted, so that executions from `first` on are the unsharded ones.
void learn_first_executions(Strategy& strategy, std::uint64_t first, const Scenario& scenario, std::string_view variant,
                            const WorldFactory& world, StackPool& stacks, const ExecutionOptions& exopts) {
  for (std::uint64_t i = 0; i < std::min(first, strategy.learns_from_first()); ++i) {
    strategy.begin_execution(i);
    const ExecutionResult r = run_execution(scenario, variant, world, strategy, stacks, exopts);
    strategy.end_execution(r.steps);
  }
}

// The search again, as `strategy_options` describes it over execution indices [first, first + budget), run
// with `exopts`: the first execution that breaks the same check as `like`, or nullopt. `runs` counts them.
std::optional<ExecutionResult> search_again(const Scenario& scenario, std::string_view variant,
                                            const WorldFactory& world, StackPool& stacks,
                                            const StrategyOptions& strategy_options, std::uint64_t first,
                                            std::uint64_t budget, const ExecutionOptions& exopts,
                                            const ExecutionResult& like, std::uint64_t& runs) {
  auto strategy = make_strategy(strategy_options);
  learn_first_executions(*strategy, first, scenario, variant, world, stacks, exopts);
  for (std::uint64_t n = 0; n < budget && strategy->has_more(); ++n) {
    strategy->begin_execution(first + n);
    ExecutionResult r = run_execution(scenario, variant, world, *strategy, stacks, exopts);
    strategy->end_execution(r.steps);
    ++runs;
    if (!strategy->execution_in_shard() || r.pruned) continue;
    if (r.failed() && r.same_failure(like)) return r;
  }
  return std::nullopt;
}

}  // namespace

std::uint64_t spread_hash(std::uint64_t h) {
  // splitmix64's finalizer: every input bit moves about half the output bits.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

bool busier_pass(std::size_t preemptions, const ExecutionFingerprint& run, std::size_t than_preemptions,
                 const ExecutionFingerprint& than) {
  if (preemptions != than_preemptions) return preemptions > than_preemptions;
  if (run.steps != than.steps) return run.steps < than.steps;
  return run.trace_hash < than.trace_hash;
}

bool busier_pass(const ReplayToken& a, const ReplayToken& than) {
  return busier_pass(a.schedule.preemptions(), a.recorded.value_or(ExecutionFingerprint{}),
                     than.schedule.preemptions(), than.recorded.value_or(ExecutionFingerprint{}));
}

namespace {

// The executions a search may spend: --iterations, else the scenario's budget.
std::uint64_t whole_budget(const ScenarioInfo& info, const ExploreOptions& options) {
  return options.iterations ? options.iterations : info.default_iterations;
}

// The execution indices [first, last) that part `index` of `count` runs: a sampling strategy's parts are
// ranges of the budget; an enumerating one's each search a share of the tree and may spend the whole budget.
std::pair<std::uint64_t, std::uint64_t> part_range(bool exhaustive, std::uint64_t whole, unsigned index,
                                                   unsigned count) {
  return exhaustive ? std::pair<std::uint64_t, std::uint64_t>{0, whole} : shard_range(whole, index, count);
}

VariantReport explore_one_search(const Scenario& scenario, const VariantInfo& variant, const WorldFactory& world,
                                 const ExploreOptions& options, StackPool& stacks) {
  const ScenarioInfo& info = scenario.info();
  VariantReport rep;
  rep.scenario = info.name;
  rep.variant = variant.name;
  rep.expect = variant.expect;
  rep.strategy = options.strategy.name;
  rep.seed = options.strategy.seed;
  auto strategy = make_strategy(options.strategy);
  rep.exhaustive = strategy->exhaustive();
  rep.scope = strategy->scope();
  rep.shard_index = options.strategy.shard_index;
  rep.shard_count = options.strategy.shard_count ? options.strategy.shard_count : 1;
  // A sampling strategy's execution i depends only on (seed, i), and pct's on its first executions too, which
  // a shard starting later runs first (learn_first_executions): a shard runs its own range of indices. An
  // enumerating one splits its tree (DfsStrategy).
  const auto [first, last] = part_range(rep.exhaustive, whole_budget(info, options), rep.shard_index, rep.shard_count);
  rep.first_index = first;
  rep.budget = last - first;
  const std::uint64_t budget = rep.budget;
  const ExecutionOptions exopts = execution_options_for(info, options.params, false);

  auto token_for = [&](const Schedule& schedule, std::uint64_t steps, std::uint64_t trace_hash,
                       const Params& params) {
    ReplayToken t;
    t.version = kVersion;
    t.scenario = info.name;
    t.variant = variant.name;
    t.strategy = options.strategy.name;
    t.seed = options.strategy.seed;
    t.params = params;
    t.schedule = schedule;
    t.recorded = ExecutionFingerprint{steps, trace_hash};
    return t;
  };

  std::uint64_t combined = 0;
  Schedule busiest;  // copied only when an execution beats it: rarely, and never inside a step
  std::size_t busiest_preemptions = 0;
  ExecutionFingerprint busiest_recorded;
  SharedBudget* const shared = options.shared_budget;
  try {
    if (budget > 0) learn_first_executions(*strategy, first, scenario, variant.name, world, stacks, exopts);
  } catch (const ComponentUnavailable& e) {
    rep.skipped = e.what();
    return rep;
  }
  for (std::uint64_t n = 0; n < budget; ++n) {
    if (!strategy->has_more()) {
      rep.exhausted = true;
      break;
    }
    if (shared && !shared->take(options.budget_part)) break;  // the parts spent the budget, or one failed
    strategy->begin_execution(first + n);
    ExecutionResult r;
    try {
      r = run_execution(scenario, variant.name, world, *strategy, stacks, exopts);
    } catch (const ComponentUnavailable& e) {
      rep.skipped = e.what();  // the scenario cannot be built here: it says why, and nothing ran
      return rep;
    }
    strategy->end_execution(r.steps);
    if (options.progress && (n + 1) % options.progress_every == 0)
      options.progress(shared ? shared->given() : n + 1, budget);
    if (!strategy->execution_in_shard()) {  // it only found where the tree splits: another shard's
      if (shared) shared->give_back(options.budget_part);
      continue;
    }
    if (r.pruned) {  // dpor abandoned it: a repeat of an explored trace, no verdict
      ++rep.pruned;
      continue;
    }
    ++rep.executions;
    rep.steps += r.steps;
    if (rep.executions == 1) rep.not_modelled = r.not_modelled;
    combined += spread_hash(r.trace_hash);
    if (!r.failed()) {
      const std::size_t p = r.schedule.preemptions();
      if (const ExecutionFingerprint f{r.steps, r.trace_hash};
          rep.executions == 1 || busier_pass(p, f, busiest_preemptions, busiest_recorded)) {
        busiest = r.schedule;
        busiest_preemptions = p;
        busiest_recorded = f;
      }
      continue;
    }

    rep.failed = true;
    if (shared) {
      // A worker of a split search: the others stop, and the search runs again in one process for the
      // witness, so nothing here is shrunk.
      shared->stop();
      rep.message = r.message;
      return rep;
    }
    rep.first_failure_steps = r.steps;
    const std::uint64_t found_after = n + 1;
    // A scenario whose executions are slow (real programs) may lower the budget (ScenarioInfo::shrink_budget).
    const std::uint64_t shrink_budget = options.shrink_budget ? *options.shrink_budget
                                        : info.shrink_budget  ? std::min(*info.shrink_budget, kDefaultShrinkBudget)
                                                              : kDefaultShrinkBudget;
    if (options.shrink) rep.shrink_budget = shrink_budget;
    bool cut_short = false;
    ExecutionResult best = options.shrink ? shrink(scenario, variant.name, world, stacks, exopts, std::move(r),
                                                   shrink_budget, rep.shrink_runs, cut_short)
                                          : std::move(r);
    Params params = options.params;
    if (options.shrink && options.fewer_actors) {
      // Then the fewest actors and operations: an integer parameter with a lower bound is a count (clients,
      // attaches, guests). From its minimum up to the value explored, search again, bounded, and shrink the
      // first failure of the same check. Its witness is taken only when it is no worse in preemptions, then
      // steps, so the result is never worse than the first failure's; otherwise the report says the smaller
      // count fails too, and the next count is tried.
      const std::uint64_t again = std::min(budget, std::max<std::uint64_t>(100, 10 * found_after));
      for (const ParamInfo& p : info.params) {
        if (p.kind != ParamKind::integer || p.min == std::numeric_limits<std::int64_t>::min()) continue;
        const std::int64_t explored = integer_value(p, params);
        for (std::int64_t count = std::max(p.min, explored - kCountsTried); count < explored; ++count) {
          Params smaller = with_value(params, p.name, count);
          const ExecutionOptions smaller_opts = execution_options_for(info, smaller, false);
          auto found = search_again(scenario, variant.name, world, stacks, options.strategy, first, again,
                                    smaller_opts, best, rep.count_runs);
          if (!found) continue;
          bool candidate_cut_short = false;
          ExecutionResult candidate = shrink(scenario, variant.name, world, stacks, smaller_opts,
                                             std::move(*found), shrink_budget, rep.shrink_runs, candidate_cut_short);
          const std::string what = fmt::format("{}={}", p.name, count);
          if (std::pair(candidate.schedule.preemptions(), candidate.steps) <=
              std::pair(best.schedule.preemptions(), best.steps)) {
            rep.fewer += (rep.fewer.empty() ? "" : ", ") + fmt::format("{} (explored with {})", what, explored);
            best = std::move(candidate);
            cut_short = candidate_cut_short;
            params = std::move(smaller);
            break;  // the smallest count whose witness is no worse
          }
          // Worse: a larger count may still have one that is not (three attaches can fail without a
          // preemption where two need one).
          rep.also_fails += (rep.also_fails.empty() ? "" : ", ") +
                            fmt::format("{} ({} preemptions, {} steps)", what, candidate.schedule.preemptions(),
                                        candidate.steps);
        }
      }
    }
    // Re-run the final schedule with its trace kept: this is exactly what `xenrace replay` will show.
    ExecutionOptions keep = execution_options_for(info, params, true);
    rep.failure = replay_schedule(scenario, variant.name, world, stacks, keep, best.schedule);
    rep.trace_hash = rep.failure.trace_hash;
    rep.message = rep.failure.message;
    rep.shrink_cut_short = cut_short;
    rep.replay = token_for(rep.failure.schedule, rep.failure.steps, rep.failure.trace_hash, params);
    return rep;
  }
  if (!strategy->has_more()) rep.exhausted = true;
  rep.trace_hash = combined;
  if (rep.executions > 0)
    rep.busiest_pass = token_for(busiest, busiest_recorded.steps, busiest_recorded.trace_hash, options.params);
  return rep;
}

// One search, split over `options.split` forked workers when it is the search of a variant expected to pass
// (see ExploreOptions::split). Shard K of N (--shard) splits again into K + jN of N * split for j < split:
// both strategies that enumerate take a split's options by position modulo the shard count, so these parts
// are exactly shard K's. A sampling strategy's parts are ranges of execution indices, each execution the same
// as in one process (pct's too: learn_first_executions), so their merge is one process's report.
VariantReport explore_search(const Scenario& scenario, const VariantInfo& variant, const WorldFactory& world,
                             const ExploreOptions& options, StackPool& stacks) {
  const unsigned outer_count = std::max(1u, options.strategy.shard_count);
  const unsigned parts = std::min(options.split, std::numeric_limits<unsigned>::max() / outer_count);
  if (parts <= 1 || variant.expect != Expect::pass)
    return explore_one_search(scenario, variant, world, options, stacks);
  const unsigned outer_index = options.strategy.shard_index;
  // Sampling parts are the contiguous ranges K*split + j of N*split, which together are range K of N.
  const bool sampling = !make_strategy(options.strategy)->exhaustive();
  const auto [first, last] = part_range(!sampling, whole_budget(scenario.info(), options), outer_index, outer_count);
  SharedBudget budget(last - first, parts);
  std::vector<VariantReport> reports(parts);
  run_in_workers(
      parts, parts,
      [&](std::size_t j) {
        ExploreOptions o = options;
        o.split = 1;
        o.shared_budget = &budget;
        o.budget_part = static_cast<unsigned>(j);
        o.strategy.shard_index = sampling ? outer_index * parts + static_cast<unsigned>(j)
                                          : outer_index + static_cast<unsigned>(j) * outer_count;
        o.strategy.shard_count = outer_count * parts;
        if (j != 0) o.progress = {};  // one worker draws the shared count
        const VariantReport part = explore_one_search(scenario, variant, world, o, stacks);
        budget.finished(o.budget_part);
        WireWriter w;
        w.report(part);
        return w.bytes();
      },
      [&](std::size_t j, std::string bytes) {
        WireReader in(bytes);
        reports[j] = in.report();
      },
      [&](std::size_t j) {
        return fmt::format("{}/{} (part {} of {})", scenario.info().name, variant.name, j + 1, parts);
      });
  for (const VariantReport& r : reports)
    if (r.failed) {
      ExploreOptions alone = options;
      alone.split = 1;
      return explore_one_search(scenario, variant, world, alone, stacks);
    }
  VariantReport merged = merge_shards(reports);
  merged.shard_index = outer_index;
  merged.shard_count = outer_count;
  merged.budget = budget.total();  // the parts shared it
  // A worker drew the progress line; drawn once more here, the caller's own Progress knows to clear it.
  if (options.progress) options.progress(budget.given(), budget.total());
  return merged;
}

}  // namespace

VariantReport explore_variant(const Scenario& scenario, const VariantInfo& variant, const WorldFactory& world,
                              const ExploreOptions& options, StackPool& stacks) {
  const bool bounds_only = options.bounds_when_unfinished && options.bounds_only;
  std::optional<VariantReport> unbounded;
  if (!bounds_only) {
    unbounded = explore_search(scenario, variant, world, options, stacks);
    const bool unfinished = unbounded->exhaustive && !unbounded->exhausted && !unbounded->failed &&
                            unbounded->skipped.empty() && unbounded->scope == "unbounded";
    if (!options.bounds_when_unfinished || !unfinished) return std::move(*unbounded);
  }

  // Iterative context bounding: every bound's search is complete for its bound when it ends, and a larger
  // bound's covers the smaller one's schedules, so the largest that finished is the claim. A failure found
  // at any bound is the verdict.
  ExploreOptions bounded = options;
  bounded.bounds_when_unfinished = false;
  bounded.strategy.bound_dpor = true;
  // Bounds only: at least one execution, so that bound 0's search runs and says how far it got.
  std::uint64_t left =
      unbounded ? unbounded->budget : std::max<std::uint64_t>(1, whole_budget(scenario.info(), options));
  std::optional<VariantReport> proved;
  for (unsigned bound = 0; left > 0; ++bound) {
    bounded.strategy.preemption_bound = bound;
    bounded.iterations = left;
    VariantReport r = explore_search(scenario, variant, world, bounded, stacks);
    // What the unbounded search spent of the budget: its executions and its runs cut off (dpor's sleep sets
    // and state cache), which with the state cache can be nearly all of it.
    r.unbounded_unfinished_after = unbounded ? unbounded->executions + unbounded->pruned : 0;
    const std::uint64_t spent = r.executions + r.pruned;
    left -= std::min(left, spent);
    // A failure, not even bound 0 finished, or the variant cannot run here: this search says so.
    if (r.failed || !r.exhausted || !r.skipped.empty()) {
      if (r.failed || !proved) return r;
      break;
    }
    proved = std::move(r);
    if (spent == 0) break;  // nothing ran (cannot happen for a variant that ran unbounded): no progress
  }
  // No proof: the unbounded search left a budget of nothing (bounds only always searches bound 0).
  return proved ? std::move(*proved) : std::move(*unbounded);
}

std::pair<std::uint64_t, std::uint64_t> shard_range(std::uint64_t budget, unsigned index, unsigned count) {
  if (count <= 1) return {0, budget};
  auto at = [&](unsigned k) {
    return static_cast<std::uint64_t>(static_cast<unsigned __int128>(budget) * k / count);
  };
  return {at(index), at(index + 1)};
}

const char* shown(const VariantReport& r) {
  if (!r.skipped.empty()) return "skipped";
  if (r.failed) return "failed";
  if (r.exhaustive && r.exhausted) return r.sharded() ? "shard-complete" : "verified";
  return "sampled";
}

namespace {
std::string count_executions(std::uint64_t n, const char* adjective = "") {
  return fmt::format("{} {}execution{}", n, adjective, n == 1 ? "" : "s");
}

// Runs: executions and runs cut off, all of which take from the budget.
std::string count_runs(std::uint64_t n) { return fmt::format("{} run{}", n, n == 1 ? "" : "s"); }

// An exhaustive search's work: its executions, and the runs dpor cut off (at a state explored before, or where
// every runnable actor slept), which took from the budget too and are most of a cached search.
std::string count_search(const VariantReport& r) {
  if (r.pruned == 0) return count_executions(r.executions);
  return fmt::format("{} and {} cut off", count_executions(r.executions), count_runs(r.pruned));
}
}  // namespace

std::string shown_text(const VariantReport& r) {
  const std::string shard = r.sharded() ? fmt::format("shard {}/{}", r.shard_index + 1, r.shard_count) : "";
  if (!r.skipped.empty()) return "skipped: " + r.skipped;
  if (r.failed)
    return fmt::format("failed after {} ({}, seed {}{}{})", count_executions(r.executions), r.strategy, r.seed,
                       shard.empty() ? "" : ", ", shard);
  if (r.exhaustive && r.exhausted) {
    if (r.sharded())
      return fmt::format("every schedule of {} explored ({}, {}), {}; merge all {} shards for the verdict", shard,
                         r.scope, r.strategy, count_search(r), r.shard_count);
    const std::string unbounded =
        r.unbounded_unfinished_after
            ? fmt::format("; the unbounded search did not finish in {}", count_runs(r.unbounded_unfinished_after))
            : "";
    return fmt::format("verified: every schedule explored ({}, {}), {}{}", r.scope, r.strategy, count_search(r),
                       unbounded);
  }
  if (r.exhaustive) {
    if (r.verifying && r.unbounded_unfinished_after)
      return fmt::format("not verified within budget: {} unbounded, then {} at {}, search unfinished ({})",
                         count_runs(r.unbounded_unfinished_after), count_search(r), r.scope,
                         r.strategy);
    if (r.verifying)
      return fmt::format("not verified within budget: {}, search unfinished ({}, {}{}{})", count_search(r), r.scope,
                         r.strategy, shard.empty() ? "" : ", ", shard);
    return fmt::format("no failure in {} of an unfinished {} search ({}{}{}){}", count_executions(r.executions),
                       r.strategy, r.scope, shard.empty() ? "" : ", ", shard,
                       r.pruned ? fmt::format("; {} cut off", count_runs(r.pruned)) : "");
  }
  return fmt::format("no failure in {} ({}, seed {}{}{})", count_executions(r.executions, "sampled "), r.strategy,
                     r.seed, shard.empty() ? "" : ", ", shard);
}

ExecutionResult replay_token(const ScenarioRegistry& registry, const ReplayToken& token, const WorldFactory& world,
                             StackPool& stacks, bool* diverged, std::string* divergence,
                             std::function<bool(const Trace&)> keep_going) {
  if (token.version != kVersion)
    throw UsageError(fmt::format("replay token was made by xenrace {}, this is xenrace {}: re-run the exploration "
                                 "with this version to get a new token",
                                 token.version, kVersion));
  const Scenario* scenario = registry.find(token.scenario);
  if (!scenario)
    throw UsageError("replay token names unknown scenario '" + token.scenario +
                     "' (a scenario built into a library replays with that library: --load LIB.so)");
  if (!scenario->info().variant(token.variant))
    throw UsageError("replay token names unknown variant '" + token.variant + "' of scenario '" + token.scenario + "'");
  ExecutionOptions o = execution_options_for(scenario->info(), token.params, true);
  o.keep_going = std::move(keep_going);
  std::string why;
  ExecutionResult r = replay_schedule(*scenario, token.variant, world, stacks, o, token.schedule, &why);
  const ExecutionFingerprint got{r.steps, r.trace_hash};
  if (why.empty() && !r.stopped && token.recorded && *token.recorded != got)
    why = fmt::format("the token's execution took {} steps (trace_hash {}), this replay took {} (trace_hash {})",
                      token.recorded->steps, format_hash(token.recorded->trace_hash), got.steps,
                      format_hash(got.trace_hash));
  if (!why.empty())
    why = fmt::format("the schedule does not fit {}/{}: {}; the token was made against another variant or another "
                      "version of the scenario",
                      token.scenario, token.variant, why);
  if (diverged) *diverged = !why.empty();
  if (divergence) *divergence = std::move(why);
  return r;
}

}  // namespace xenrace
