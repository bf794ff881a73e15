#include <algorithm>
#include <filesystem>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/fault_plan.hpp"
#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/selection.hpp"
#include "reports/report_dir.hpp"
#include "reports/trace_text.hpp"
#include "run/report_wire.hpp"
#include "run/workers.hpp"
#include "toolstack/xen_configure.hpp"
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
  std::optional<std::uint64_t> shrink_budget;
  bool verbose = false;
  bool quiet = false;
  bool no_fold = false;
  bool no_progress = false;
  std::uint64_t progress_interval = 10;
  std::vector<std::string> params;
  std::string hotplug_scripts;
  std::string libxl;
  std::string report_dir;
  std::string faults;
  std::optional<unsigned> max_faults;
  std::string jobs = "1";
  std::string shard;
  bool verify = false;
};

// The strategy --verify proves with: dpor when this build has it, else dfs.
std::string verify_strategy() { return is_exploring_strategy("dpor") ? "dpor" : "dfs"; }

}  // namespace

void print_variant(const Context& ctx, const VariantReport& r, std::size_t id_width, bool verbose, bool fold,
                   bool shrunk) {
  std::cout << verdict_line(r, id_width) << "\n";
  // What the scenario's inputs hold that the model leaves out: the verdict does not cover it, so say so.
  if (!r.not_modelled.empty())
    std::cout << fmt::format("  not modelled ({}): {}\n", r.not_modelled.size(), fmt::join(r.not_modelled, "; "));
  if (verbose) {
    std::cout << fmt::format("  {} seed {}{}{}: {} executions, {} steps\n", r.strategy, r.seed,
                             r.scope.empty() ? "" : ", " + r.scope,
                             r.sharded() ? fmt::format(", shard {}/{}", r.shard_index + 1, r.shard_count) : "",
                             r.executions, r.steps);
    if (r.failed) {
      std::cout << fmt::format("  violated: {}: {}\n", r.failure.check, r.message);
      std::cout << "  " << trace_header(r, shrunk) << "\n";
      std::cout << format_trace(r.failure, fold);
    }
  }
  if (r.failed) {
    // Fewer actors than explored: the replay token carries the smaller count, so the replay runs with it.
    if (!r.fewer.empty()) std::cout << "  shrunk to " << r.fewer << "\n";
    if (!r.also_fails.empty())
      std::cout << "  also fails with " << r.also_fails << ", not kept: more preemptions or steps\n";
    // The decisions that matter, in one line, so the short form says where the interleaving went wrong.
    if (const std::string race = reports::race_summary(r.failure); !race.empty()) std::cout << "  " << race << "\n";
    // A witness whose shrinking ran out of replays half-way may be far from minimal (a slow scenario's low
    // budget under a strategy that switches at most steps); with one preemption or none it cannot be far.
    // A budget of 0 (a scenario whose witnesses a few replays do not shrink): reported as found.
    if (const std::size_t p = r.failure.schedule.preemptions(); shrunk && r.shrink_cut_short && p > 1)
      std::cout << (r.shrink_budget == 0
                        ? fmt::format("  not shrunk (a shrink budget of 0 replays): {} preemptions; "
                                      "--shrink-budget N shrinks it\n",
                                      p)
                        : fmt::format("  shrinking stopped at its budget of {} replays with {} preemptions left; "
                                      "--shrink-budget N lets it go on\n",
                                      r.shrink_budget, p));
    std::cout << "  replay: " << replay_command(ctx, *r.replay) << "\n";
  }
}

Runner add_explore_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("explore", "Explore interleavings of scenario variants in the simulator");
  auto a = std::make_shared<ExploreArgs>();
  cmd->add_option("scenario", a->targets,
                  "Scenarios or variant ids as printed (pci-attach, pci-attach/buggy), globs ('pci-*', '*/buggy') "
                  "or comma lists of these (see 'xenrace list')");
  cmd->add_flag("--all", a->all, "Explore every scenario");
  cmd->add_option("--variant", a->variants, "Only these variants: names, globs ('fixed*') or comma lists (repeatable)");
  auto* strategy = cmd->add_option("--strategy", a->strategy.given.name,
                                   std::string(exploring_strategy_names()) +
                                       " (default: each scenario's own, see 'xenrace list --json')");
  cmd->add_option("--seed", a->strategy.given.seed, "Seed of the strategy")
      ->capture_default_str()
      ->transform(whole_number());
  cmd->add_option("--iterations,--budget", a->iterations,
                  fmt::format("Executions per variant (default: the scenario's budget; with --verify the scenario's "
                              "verify budget, else {})",
                              kDefaultVerifyBudget))
      ->transform(whole_number(1));
  auto* depth = cmd->add_option("--depth", a->strategy.given.pct_depth, "PCT bug depth d (default: the scenario's)")
      ->transform(whole_number(1, std::numeric_limits<unsigned>::max()));
  auto* preemptions =
      cmd->add_option("--preemptions", a->strategy.given.preemption_bound, "Preemption bound: dfs's (default: the scenario's), or dpor's (default: none)")
      ->transform(whole_number(0, std::numeric_limits<unsigned>::max()));
  cmd->add_flag("--no-state-cache{false}", a->strategy.given.state_cache,
                "dpor: explore the future of every state again, even one an earlier execution explored in full "
                "(to compare; the cache is sound and on by default)");
  cmd->add_flag("--verify", a->verify,
                "Try to prove each variant expected to pass: every schedule, by an exhaustive strategy (dpor when "
                "built, else dfs), within the budget; when unbounded dpor does not finish, the largest preemption "
                "bound it can within the budget again; exit 5 when one could not be verified");
  cmd->add_option("--jobs,-j", a->jobs,
                  "Worker processes, one variant each at a time; with fewer variants than N, each exhaustive "
                  "search of a variant expected to pass is split among them (0 or 'auto': every core); "
                  "verdicts, witnesses and tokens are the same as with 1")
      ->capture_default_str()
      ->type_name("N|auto");
  cmd->add_option("--shard", a->shard,
                  "Explore part K of N (e.g. 2/4) of every variant's search, for CI jobs that divide it; "
                  "'xenrace merge' combines the parts' results.json")
      ->type_name("K/N");
  cmd->add_option("--param", a->params, "KEY=VALUE execution option (repeatable)");
  cmd->add_option("--hotplug-scripts", a->hotplug_scripts,
                  "Run the scenarios that run Xen's real hotplug scripts (real-block-script) with the scripts in DIR "
                  "(laid out as Xen's tools/hotplug/Linux, or an installed /etc/xen/scripts); the same as "
                  "--param scripts=DIR")
      ->type_name("DIR");
  cmd->add_option("--libxl", a->libxl,
                  "Run the scenarios that run real libxl (real-libxl-disk) with the libxenlight.so.4.17 in DIR (a "
                  "build from a patched Xen tree) instead of the host's; the same as --param libxl=DIR")
      ->type_name("DIR");
  cmd->add_option("--faults", a->faults, "Enable these failure points, POINT[,POINT] or all (see 'xenrace faults')");
  cmd->add_option("--max-faults", a->max_faults, "Faults one execution may take (default 1)")
      ->transform(whole_number(0, std::numeric_limits<unsigned>::max()));
  cmd->add_flag("--no-shrink", a->no_shrink, "Report the first failing schedule as found");
  cmd->add_option("--shrink-budget", a->shrink_budget,
                  "Replays the shrinker may spend on a witness (default: the scenario's, for those whose executions "
                  "are slow, else 1000)")
      ->transform(whole_number(0));
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
    const unsigned jobs = parse_jobs(a->jobs);
    unsigned shard_index = 0, shard_count = 1;
    if (!a->shard.empty()) std::tie(shard_index, shard_count) = parse_shard(a->shard);
    if (shard_count > 1 && a->report_dir.empty())
      std::cerr << "xenrace: note: --shard without --report-dir writes no results.json for 'xenrace merge'\n";
    if (a->verify && a->strategy.name && !make_strategy(a->strategy.given)->exhaustive())
      throw UsageError(fmt::format("--verify needs a strategy that explores every schedule ({}), not '{}'; leave "
                                   "out --strategy to use {}",
                                   verify_strategy(), a->strategy.given.name, verify_strategy()));
    ExploreOptions base;
    base.iterations = a->iterations;
    base.shrink = !a->no_shrink;
    base.shrink_budget = a->shrink_budget;

    const std::vector<SelectedVariant> todo = select_variants(ctx.registry, a->targets, a->all, a->variants);
    std::vector<std::string> raw_params = a->params;
    if (!a->hotplug_scripts.empty()) {
      std::error_code ec;
      const std::filesystem::path dir = std::filesystem::absolute(a->hotplug_scripts, ec);
      // The scenario's own rule (an installed /etc/xen/scripts, or a source tree's tools/hotplug/Linux with
      // the .in files configure makes the rest of), checked here so a wrong directory is a usage error.
      const std::string missing = ec ? "readable directory" : missing_hotplug_scripts(dir);
      if (!missing.empty())
        throw UsageError(fmt::format("--hotplug-scripts {}: no {} there (give the directory of Xen's Linux hotplug "
                                     "scripts)", a->hotplug_scripts, missing));
      const auto scenarios = scenarios_of(todo);
      if (std::none_of(scenarios.begin(), scenarios.end(), [](const Scenario* s) { return s->info().param("scripts"); }))
        throw UsageError("--hotplug-scripts: none of the selected scenarios runs Xen's real hotplug scripts "
                         "(real-block-script does)");
      raw_params.push_back("scripts=" + dir.lexically_normal().string());
    }
    if (!a->libxl.empty()) {
      std::error_code ec;
      const std::filesystem::path dir = std::filesystem::absolute(a->libxl, ec);
      if (ec || access((dir / "libxenlight.so.4.17").c_str(), R_OK) != 0)
        throw UsageError(fmt::format("--libxl {}: no libxenlight.so.4.17 there (give the directory of a libxl 4.17 "
                                     "build, such as a Xen tree's tools/libs/light)", a->libxl));
      const auto scenarios = scenarios_of(todo);
      if (std::none_of(scenarios.begin(), scenarios.end(), [](const Scenario* s) { return s->info().param("libxl"); }))
        throw UsageError("--libxl: none of the selected scenarios runs real libxl (real-libxl-disk does)");
      raw_params.push_back("libxl=" + dir.lexically_normal().string());
    }
    base.params = parse_params(raw_params, scenarios_of(todo), ParamScope::simulator);
    add_fault_params(base.params, a->faults, a->max_faults);

    // Each variant's options, fixed before anything runs: the same in a worker as in this process.
    std::vector<ExploreOptions> plans;
    std::vector<bool> proving;
    for (const auto& [s, v] : todo) {
      ExploreOptions o = base;
      o.strategy = a->strategy.for_scenario(s->info());
      const bool prove = a->verify && v->expect == Expect::pass;
      if (prove) {
        if (!a->strategy.name) o.strategy.name = verify_strategy();
        if (!a->iterations) o.iterations = s->info().proof_budget();
        // Nothing chosen: the strongest proof the budget allows, unbounded or else the largest bound. Not for
        // shards, whose parts must all have one scope for merge to add them up.
        o.bounds_when_unfinished =
            !a->strategy.name && !a->strategy.preemptions && shard_count == 1 && o.strategy.name == "dpor";
        o.bounds_only = s->info().verify_by_bounds;
      }
      o.strategy.shard_index = shard_index;
      o.strategy.shard_count = shard_count;
      // Cores the variants leave idle go to splitting each one's search.
      o.split = !todo.empty() && todo.size() < jobs ? static_cast<unsigned>(jobs / todo.size()) : 1;
      plans.push_back(std::move(o));
      proving.push_back(prove);
    }

    // Checked before exploring, so a bad directory fails in a second, not after the whole budget.
    std::optional<reports::ReportDir> report_dir;
    if (!a->report_dir.empty()) report_dir.emplace(a->report_dir);
    std::vector<reports::ReportEntry> entries;

    // Wall time is for the progress line and the summary only; exploration never sees it.
    Progress progress(std::cerr, isatty(STDERR_FILENO) != 0, static_cast<double>(a->progress_interval));
    const bool in_process = jobs <= 1 || todo.size() <= 1;
    std::size_t id_width = 0;
    for (const auto& t : todo) id_width = std::max(id_width, t.id().size());

    // One variant, in this process or in a worker: its report and the wall time it took, as bytes.
    auto explore_one = [&](std::size_t i) -> std::string {
      const auto& [s, v] = todo[i];
      ExploreOptions opts = plans[i];
      if (!a->no_progress && in_process) {
        opts.progress_every = 100;
        progress.start(s->info().name + "/" + v->name);
        opts.progress = [&progress](std::uint64_t done, std::uint64_t budget) { progress.update(done, budget); };
      }
      const auto started = std::chrono::steady_clock::now();
      VariantReport r = explore_variant(*s, *v, ctx.sim_world, opts, ctx.stacks);
      r.verifying = proving[i];
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      if (in_process) progress.finish();
      WireWriter w;
      w.f64(took.count());
      w.report(r);
      return w.bytes();
    };

    const auto began = std::chrono::steady_clock::now();
    nlohmann::json out = nlohmann::json::array();
    Tally tally;
    auto take = [&](std::size_t, std::string bytes) {
      WireReader in(bytes);
      const double seconds = in.f64();
      const VariantReport r = in.report();
      if (report_dir)
        entries.push_back(reports::entry_from_exploration(r, report_json(r),
                                                          r.replay ? replay_command(ctx, *r.replay) : "", seconds));
      tally.add(r);
      if (!in_process) progress.finish();
      if (a->json)
        out.push_back(report_json(r));
      else if (!a->quiet || !r.met_expectation())
        print_variant(ctx, r, id_width, a->verbose, !a->no_fold, !a->no_shrink);
      std::cout << std::flush;
    };
    if (!in_process && !a->no_progress) progress.start(fmt::format("explore, {} workers", jobs), "variants");
    std::cout << std::flush;  // a worker is a fork: it must not inherit unwritten output
    run_in_workers(
        todo.size(), jobs, explore_one, take, [&](std::size_t i) { return todo[i].id(); },
        [&](std::size_t finished, std::size_t count) {
          if (!in_process && !a->no_progress) progress.update(finished, count);
        });
    progress.finish();
    if (a->json) std::cout << out.dump(2) << "\n";
    if (report_dir) {
      nlohmann::json selection = nlohmann::json::array();
      for (const auto& t : todo) selection.push_back(t.id());
      nlohmann::json params = nlohmann::json::array();
      for (const auto& [k, v] : base.params) params.push_back({k, v});
      auto given = [](bool set, auto value) { return set ? nlohmann::json(value) : nlohmann::json(nullptr); };
      nlohmann::json exploration = {
          {"strategy", given(a->strategy.name, a->strategy.given.name)},
          {"seed", a->strategy.given.seed},
          {"iterations", given(a->iterations != 0, a->iterations)},
          {"depth", given(a->strategy.depth, a->strategy.given.pct_depth)},
          {"preemptions", given(a->strategy.preemptions, a->strategy.given.preemption_bound)},
          {"verify", a->verify},
          {"shrink", !a->no_shrink},
          {"params", params},
          {"selection", selection},
          {"shard", {{"index", shard_index + 1}, {"count", shard_count}}},
      };
      report_dir->write(entries, {"explore", kVersion, exploration});
    }
    if (!a->json) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
      std::cout << summary_line(tally, took.count()) << "\n";
      if (report_dir)
        std::cout << "reports: " << a->report_dir << " (junit.xml, results.json, timeline.html, trace-*.json)\n";
    }
    return exit_code(tally);
  };
}

}  // namespace xenrace::cli
