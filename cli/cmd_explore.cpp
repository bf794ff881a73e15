#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "faults/fault_plan.hpp"
#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/selection.hpp"
#include "reports/report_dir.hpp"
#include "xenrace/version.hpp"

namespace xenrace::cli {
namespace {

struct ExploreArgs {
  std::vector<std::string> targets;
  std::vector<std::string> variants;
  bool all = false;
  StrategyChoice strategy;
  std::uint64_t iterations = 0;
  bool json = false;
  bool no_shrink = false;
  bool verbose = false;
  bool quiet = false;
  bool no_fold = false;
  bool no_progress = false;
  std::uint64_t progress_interval = 10;
  std::vector<std::string> params;
  std::string report_dir;
  std::string faults;
  std::optional<unsigned> max_faults;
};

// One line per variant (and the replay command of a failure); with --verbose, the details and the trace.
void print_human(const Context& ctx, const ExploreArgs& a, const VariantReport& r, std::size_t id_width) {
  std::cout << verdict_line(r, id_width) << "\n";
  if (a.verbose) {
    std::cout << fmt::format("  {} seed {}: {} executions, {} steps{}\n", r.strategy, r.seed, r.executions, r.steps,
                             r.exhausted ? ", every schedule in the bound explored" : "");
    if (r.failed) {
      std::cout << fmt::format("  violated: {}: {}\n", r.failure.check, r.message);
      std::cout << "  " << trace_header(r, !a.no_shrink) << "\n";
      std::cout << format_trace(r.failure, !a.no_fold);
    }
  }
  if (r.failed) std::cout << "  replay: " << replay_command(ctx, *r.replay) << "\n";
}

}  // namespace

Runner add_explore_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("explore", "Explore interleavings of scenario variants in the simulator");
  auto a = std::make_shared<ExploreArgs>();
  cmd->add_option("scenario", a->targets,
                  "Scenarios or variant ids as printed (pci-attach, pci-attach/buggy), globs ('pci-*', '*/buggy') "
                  "or comma lists of these (see 'xenrace list')");
  cmd->add_flag("--all", a->all, "Explore every scenario");
  cmd->add_option("--variant", a->variants, "Only these variants: names, globs ('fixed*') or comma lists (repeatable)");
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
  auto* verbose = cmd->add_flag("-v,--verbose", a->verbose, "Also print each variant's strategy, and a failure's trace");
  cmd->add_flag("-q,--quiet", a->quiet, "Print only the summary and the variants that did not meet their expectation")
      ->excludes(verbose);
  cmd->add_flag("--no-fold", a->no_fold, "With --verbose, print every event of a trace (no …×N for repeats)");
  cmd->add_flag("--no-progress", a->no_progress, "No progress line on stderr");
  cmd->add_option("--progress-interval", a->progress_interval,
                  "Seconds between progress lines when stderr is not a terminal (0: every 100 executions)")
      ->capture_default_str()
      ->transform(whole_number());
  cmd->add_option("--report-dir", a->report_dir,
                  "Write junit.xml, results.json, timeline.html and Chrome traces into this directory");
  return [&ctx, a, strategy, depth, preemptions] {
    if (a->all == !a->targets.empty())
      throw UsageError("explore needs exactly one of SCENARIO or --all (SCENARIO may be several ids or globs)");
    a->strategy.name = strategy->count() > 0;
    a->strategy.depth = depth->count() > 0;
    a->strategy.preemptions = preemptions->count() > 0;
    if (a->strategy.name && !is_exploring_strategy(a->strategy.given.name))
      make_strategy(a->strategy.given);  // throws the usage error
    ExploreOptions opts;
    opts.iterations = a->iterations;
    opts.shrink = !a->no_shrink;

    const std::vector<SelectedVariant> todo = select_variants(ctx.registry, a->targets, a->all, a->variants);
    opts.params = parse_params(a->params, scenarios_of(todo), ParamScope::simulator);
    add_fault_params(opts.params, a->faults, a->max_faults);

    // Checked before exploring, so a bad directory fails in a second, not after the whole budget.
    std::optional<reports::ReportDir> report_dir;
    if (!a->report_dir.empty()) report_dir.emplace(a->report_dir);
    std::vector<reports::ReportEntry> entries;

    // Wall time is for the progress line and the summary only; exploration never sees it.
    Progress progress(std::cerr, isatty(STDERR_FILENO) != 0, static_cast<double>(a->progress_interval));
    if (!a->no_progress) opts.progress_every = 100;
    std::size_t id_width = 0;
    for (const auto& t : todo) id_width = std::max(id_width, t.id().size());

    const auto began = std::chrono::steady_clock::now();
    nlohmann::json out = nlohmann::json::array();
    Tally tally;
    for (const auto& [s, v] : todo) {
      opts.strategy = a->strategy.for_scenario(s->info());
      if (!a->no_progress) {
        progress.start(s->info().name + "/" + v->name);
        opts.progress = [&progress](std::uint64_t done, std::uint64_t budget) { progress.update(done, budget); };
      }
      const auto started = std::chrono::steady_clock::now();
      VariantReport r = explore_variant(*s, *v, ctx.sim_world, opts, ctx.stacks);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      progress.finish();
      if (report_dir)
        entries.push_back(reports::entry_from_exploration(r, report_json(r),
                                                          r.replay ? replay_command(ctx, *r.replay) : "",
                                                          took.count()));
      tally.add(r);
      if (a->json)
        out.push_back(report_json(r));
      else if (!a->quiet || !r.met_expectation())
        print_human(ctx, *a, r, id_width);
      std::cout << std::flush;
    }
    if (a->json) std::cout << out.dump(2) << "\n";
    if (report_dir) report_dir->write(entries, {"explore", kVersion});
    if (!a->json) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
      std::cout << summary_line(tally, took.count()) << "\n";
      if (report_dir)
        std::cout << "reports: " << a->report_dir << " (junit.xml, results.json, timeline.html, trace-*.json)\n";
    }
    return tally.not_met() == 0 ? 0 : 1;
  };
}

}  // namespace xenrace::cli
