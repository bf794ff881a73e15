#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "faults/fault_plan.hpp"
#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "reports/report_dir.hpp"
#include "xenrace/version.hpp"

namespace xenrace::cli {
namespace {

struct ExploreArgs {
  std::string scenario;
  std::vector<std::string> variants;
  bool all = false;
  StrategyChoice strategy;
  std::uint64_t iterations = 0;
  bool json = false;
  bool no_shrink = false;
  std::vector<std::string> params;
  std::string report_dir;
  std::string faults;
  std::optional<unsigned> max_faults;
};

void print_human(const Context& ctx, const VariantReport& r) {
  const char* verdict = r.failed ? "FAIL" : "pass";
  const char* met = r.met_expectation() ? "as expected" : "NOT AS EXPECTED";
  std::cout << fmt::format("{}/{}: {} ({}; expected {}) after {} executions, {} steps [{} seed {}]{}\n", r.scenario,
                           r.variant, verdict, met, to_string(r.expect), r.executions, r.steps, r.strategy, r.seed,
                           r.exhausted ? " (every schedule in the bound explored)" : "");
  if (!r.failed) return;
  std::cout << fmt::format("  violated: {}: {}\n", r.failure.check, r.message);
  std::cout << fmt::format("  shortest trace found ({} steps, {} preemptions; first failing run had {} steps):\n",
                           r.failure.steps, r.failure.schedule.preemptions(), r.first_failure_steps);
  std::cout << format_trace(r.failure);
  std::cout << "  replay: " << replay_command(ctx, *r.replay) << "\n";
}

}  // namespace

Runner add_explore_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("explore", "Explore interleavings of scenario variants in the simulator");
  auto a = std::make_shared<ExploreArgs>();
  cmd->add_option("scenario", a->scenario, "Scenario name (see 'xenrace list')");
  cmd->add_flag("--all", a->all, "Explore every scenario");
  cmd->add_option("--variant", a->variants, "Only these variants (repeatable)");
  auto* strategy = cmd->add_option("--strategy", a->strategy.given.name,
                                   "random | pct | dfs (default: each scenario's own, see 'xenrace list --json')");
  cmd->add_option("--seed", a->strategy.given.seed, "Seed of the strategy")
      ->capture_default_str()
      ->transform(whole_number());
  cmd->add_option("--iterations", a->iterations, "Executions per variant (default: the scenario's budget)")
      ->transform(whole_number(1));
  auto* depth = cmd->add_option("--depth", a->strategy.given.pct_depth, "PCT bug depth d (default: the scenario's)")
      ->transform(whole_number(1, std::numeric_limits<unsigned>::max()));
  auto* preemptions =
      cmd->add_option("--preemptions", a->strategy.given.preemption_bound, "dfs preemption bound (default: the scenario's)")
      ->transform(whole_number(0, std::numeric_limits<unsigned>::max()));
  cmd->add_option("--param", a->params, "KEY=VALUE execution option (repeatable)");
  cmd->add_option("--faults", a->faults, "Enable these failure points, POINT[,POINT] or all (see 'xenrace faults')");
  cmd->add_option("--max-faults", a->max_faults, "Faults one execution may take (default 1)")
      ->transform(whole_number(0, std::numeric_limits<unsigned>::max()));
  cmd->add_flag("--no-shrink", a->no_shrink, "Report the first failing schedule as found");
  cmd->add_flag("--json", a->json, "Print a JSON array, one object per variant");
  cmd->add_option("--report-dir", a->report_dir,
                  "Write junit.xml, results.json, timeline.html and Chrome traces into this directory");
  return [&ctx, a, strategy, depth, preemptions] {
    if (a->all == !a->scenario.empty())
      throw UsageError("explore needs exactly one of SCENARIO or --all");
    a->strategy.name = strategy->count() > 0;
    a->strategy.depth = depth->count() > 0;
    a->strategy.preemptions = preemptions->count() > 0;
    if (a->strategy.name && !is_exploring_strategy(a->strategy.given.name))
      make_strategy(a->strategy.given);  // throws the usage error
    ExploreOptions opts;
    opts.iterations = a->iterations;
    opts.shrink = !a->no_shrink;

    std::vector<std::pair<const Scenario*, const VariantInfo*>> todo;
    std::vector<const Scenario*> scenarios;
    if (a->all)
      for (const auto& s : ctx.registry.all()) scenarios.push_back(s.get());
    else
      scenarios.push_back(&ctx.registry.get(a->scenario));
    opts.params = parse_params(a->params, scenarios, ParamScope::simulator);
    add_fault_params(opts.params, a->faults, a->max_faults);
    for (const auto& v : a->variants) {
      bool known = false;
      for (const auto* s : scenarios) known |= s->info().variant(v) != nullptr;
      if (!known) throw UsageError("unknown variant '" + v + "'" + (a->all ? "" : " of scenario '" + a->scenario + "'"));
    }
    for (const auto* s : scenarios)
      for (const auto& v : s->info().variants)
        if (a->variants.empty() || std::find(a->variants.begin(), a->variants.end(), v.name) != a->variants.end())
          todo.emplace_back(s, &v);

    // Checked before exploring, so a bad directory fails in a second, not after the whole budget.
    std::optional<reports::ReportDir> report_dir;
    if (!a->report_dir.empty()) report_dir.emplace(a->report_dir);
    std::vector<reports::ReportEntry> entries;

    const bool tty = isatty(STDERR_FILENO);
    nlohmann::json out = nlohmann::json::array();
    bool all_met = true;
    for (auto [s, v] : todo) {
      opts.strategy = a->strategy.for_scenario(s->info());
      if (tty)
        opts.progress = [s, v](std::uint64_t done, std::uint64_t budget) {
          std::cerr << fmt::format("\r  {}/{}: {}/{} executions", s->info().name, v->name, done, budget) << std::flush;
        };
      const auto started = std::chrono::steady_clock::now();
      VariantReport r = explore_variant(*s, *v, ctx.sim_world, opts, ctx.stacks);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      if (report_dir)
        entries.push_back(reports::entry_from_exploration(r, report_json(r),
                                                          r.replay ? replay_command(ctx, *r.replay) : "",
                                                          took.count()));
      if (tty && r.executions >= 1000) std::cerr << "\r\033[K" << std::flush;
      all_met &= r.met_expectation();
      if (a->json)
        out.push_back(report_json(r));
      else
        print_human(ctx, r);
    }
    if (a->json) std::cout << out.dump(2) << "\n";
    if (report_dir) report_dir->write(entries, {"explore", kVersion});
    return all_met ? 0 : 1;
  };
}

}  // namespace xenrace::cli
