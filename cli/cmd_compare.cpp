// `xenrace compare --backend dom0`: for every variant (or the ones named), the simulator's verdict next to
// the real host's. The simulator explores the variant; the execution it reports (the shrunk failure, or for a
// passing variant its most preempted execution, `busiest_pass`) is replayed step for step on the host, and
// the variant also runs free N times for the natural reproduction rate. This is the table the nightly real-Xen
// run publishes (ci/xen-vm.d/nightly-steps/40-scenarios-dom0.sh).
//
// With --report-dir DIR: DIR/compare.json (the rows), the run ledgers, DIR/<scenario>.<variant>.replay.trace.json
// for every execution replayed on the host, and two report sets in the format of `explore --report-dir`
// (junit.xml, results.json, timeline.html, Chrome traces): DIR/simulator/ for the simulator's explorations and
// DIR/host/ for the host's replays, so a failure's swimlanes on the host sit next to the simulator's.
//
// Exit codes: 0 every variant the host could run gave the simulator's verdict on replay (skips are listed, not
// failures), 1 a replay disagreed or cleanup left something behind, 2 bad usage.

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "run/dom0_run.hpp"
#include "backends/dom0/interrupt_guard.hpp"
#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "cli/dom0_options.hpp"
#include "cli/selection.hpp"
#include "reports/report_dir.hpp"
#include "xenrace/version.hpp"

namespace xenrace::cli {
namespace {

struct CompareArgs {
  std::vector<std::string> scenarios;
  std::string backend;
  std::vector<std::string> variants;
  std::uint64_t runs = 100;
  std::uint64_t seed = 1;
  StrategyChoice strategy;  // explore's: the scenario's own unless given
  bool json = false;
  std::string report_dir;
  Dom0Options host;
};

struct Row {
  VariantReport sim;
  double sim_seconds = 0;
  std::string token;  // what was replayed
  dom0::Dom0RunReport replay;
  dom0::Dom0RunReport free;
  bool cleanup_ok = true;
  double seconds = 0;  // wall time on the host (replay + free), for the nightly figures
  std::string run_id;

  bool skipped() const { return replay.skipped; }
  bool agrees() const { return !skipped() && replay.base.failed == sim.failed; }
  // The host broke, by itself, a variant the simulator passes: the model misses something of this host.
  bool free_contradicts() const { return !free.skipped && !sim.failed && free.failures > 0; }
};

std::string verdict_of(const dom0::Dom0RunReport& r) {
  if (r.skipped) return "skipped";
  return r.base.failed ? "fail" : "pass";
}

nlohmann::json row_json(const Row& r) {
  nlohmann::json j;
  j["scenario"] = r.sim.scenario;
  j["variant"] = r.sim.variant;
  j["expect"] = to_string(r.sim.expect);
  j["sim_verdict"] = r.sim.failed ? "fail" : "pass";
  j["sim_check"] = r.sim.failed ? r.sim.failure.check : "";
  j["sim_executions"] = r.sim.executions;
  j["replayed"] = r.token;
  j["replay_verdict"] = verdict_of(r.replay);
  j["replay_check"] = r.replay.base.failed ? r.replay.base.failure.check : "";
  j["replay_agrees"] = r.skipped() ? nlohmann::json(nullptr) : nlohmann::json(r.agrees());
  j["replay_diverged"] = r.replay.diverged;
  j["replay_enforced_steps"] = r.replay.enforced_steps;
  j["free_runs"] = r.free.skipped ? 0 : r.free.base.executions;
  j["free_failures"] = r.free.failures;
  j["free_inconclusive"] = r.free.inconclusive;
  j["free_contradicts_sim"] = r.free_contradicts();
  j["free_check"] = r.free.base.failed ? r.free.base.failure.check : "";
  j["free_message"] = r.free.base.failed ? r.free.base.message : "";  // an observed driver (--blkback real) never acted
  j["free_reproduced_in"] = r.free.reproduced_in ? nlohmann::json(r.free.reproduced_in) : nlohmann::json(nullptr);
  j["skip_reason"] = r.replay.skip_reason;
  j["real_components"] = r.replay.real_components;
  j["simulated_components"] = r.replay.simulated_components;
  j["observed_components"] = r.replay.observed_components;
  j["unchecked"] = r.replay.unchecked;
  j["cleanup_ok"] = r.cleanup_ok;
  j["seconds"] = std::round(r.seconds * 1000) / 1000;
  j["run_id"] = r.run_id;
  return j;
}

void print_table(const std::vector<Row>& rows) {
  std::cout << fmt::format("{:<22} {:<40} {:<6} {:<6} {:<9} {:>11} {:>8}\n", "scenario", "variant", "expect", "sim",
                           "dom0", "free fails", "seconds");
  for (const Row& r : rows) {
    const std::string free =
        r.free.skipped ? "-" : fmt::format("{}/{}", r.free.failures, r.free.base.executions);
    std::cout << fmt::format("{:<22} {:<40} {:<6} {:<6} {:<9} {:>11} {:>8.2f}{}\n", r.sim.scenario, r.sim.variant,
                             to_string(r.sim.expect), r.sim.failed ? "fail" : "pass", verdict_of(r.replay), free,
                             r.seconds,
                             r.skipped()            ? "  (" + r.replay.skip_reason + ")"
                             : !r.agrees()           ? "  DISAGREES with the simulator"
                             : r.free_contradicts() ? "  free runs broke it (the simulator passes it): " + r.free.base.message
                                                     : "");
  }
  std::size_t ran = 0, agree = 0, skipped = 0;
  for (const Row& r : rows) {
    skipped += r.skipped();
    ran += !r.skipped();
    agree += r.agrees();
  }
  std::cout << fmt::format("{} variant(s): {} replayed on the host, {} agree with the simulator, {} skipped\n",
                           rows.size(), ran, agree, skipped);
}

}  // namespace

Runner add_compare_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "compare", "On a real host: every variant's simulator verdict next to its replay and free runs there");
  auto a = std::make_shared<CompareArgs>();
  cmd->add_option("scenario", a->scenarios, "Scenarios, variant ids, globs or comma lists, as for explore (default: all)");
  cmd->add_option("--backend", a->backend, "Where to run: dom0")->required();
  cmd->add_option("--variant", a->variants, "Only these variants: names, globs or comma lists (repeatable)");
  cmd->add_option("--runs", a->runs, "Free-running executions per variant (0: none)")
      ->capture_default_str()
      ->transform(whole_number());
  cmd->add_option("--seed", a->seed, "Seed of the simulator's exploration and of the free runs")
      ->capture_default_str()
      ->transform(whole_number());
  auto* strategy = cmd->add_option("--strategy", a->strategy.given.name,
                                   "Simulator strategy: random | pct | dfs (default: the scenario's own)");
  cmd->add_flag("--json", a->json, "Print the rows as JSON");
  cmd->add_option("--report-dir", a->report_dir, "Write compare.json, ledgers and replay traces here");
  a->host.add_to(*cmd);
  return [&ctx, a, strategy]() -> int {
    if (a->backend != "dom0") throw UsageError("unknown backend '" + a->backend + "' (compare knows: dom0)");
    a->strategy.name = strategy->count() > 0;
    if (a->strategy.name && !is_exploring_strategy(a->strategy.given.name))
      make_strategy(a->strategy.given);  // throws the usage error
    const std::vector<SelectedVariant> todo = select_variants(ctx.registry, a->scenarios, a->scenarios.empty(), a->variants);
    const dom0::Dom0Config config = a->host.load();
    dom0::require_test_host(config);
    // Checked before any host is touched: a bad directory is a usage error, not a lost run.
    std::optional<reports::ReportDir> sim_reports, host_reports;
    if (!a->report_dir.empty()) {
      const reports::ReportDir top(a->report_dir);
      sim_reports.emplace(top.path() / "simulator");
      host_reports.emplace(top.path() / "host");
    }
    std::vector<reports::ReportEntry> sim_entries, host_entries;

    std::vector<Row> rows;
    for (const auto& [s, variant] : todo) {
      {
        const VariantInfo& v = *variant;
        Row row;
        ExploreOptions eo;
        eo.strategy = a->strategy.for_scenario(s->info());
        eo.strategy.seed = a->seed;
        const auto explored = std::chrono::steady_clock::now();
        row.sim = explore_variant(*s, v, ctx.sim_world, eo, ctx.stacks);
        row.sim_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - explored).count();
        const std::optional<ReplayToken>& token = row.sim.failed ? row.sim.replay : row.sim.busiest_pass;
        row.token = token ? token->encode() : "";

        dom0::Dom0Session session(config, a->report_dir);
        // One guard per variant's session: it ends before the session, so a signal never meets a dead one.
        const dom0::InterruptGuard guard = dom0::undo_ledger_on_interrupt(session);
        row.run_id = session.run_id();
        std::cerr << fmt::format("xenrace: {}/{} on dom0 (run {})\n", s->info().name, v.name, session.run_id());
        const auto t0 = std::chrono::steady_clock::now();  // a real host's figure, not the simulator's
        dom0::Dom0RunOptions ro;
        ro.mode = dom0::Dom0Mode::replay;
        ro.token = token;
        if (token) ro.params = token->params;
        row.replay = run_on_dom0(*s, v, session, ro, ctx.stacks);
        // Free runs even when replay was skipped: a race inside one system call (v6.1's loop teardown) cannot be
        // forced, only met. A variant the host cannot run at all is skipped again at once.
        if (a->runs > 0) {
          dom0::Dom0RunOptions fo;
          fo.mode = dom0::Dom0Mode::free;
          fo.runs = a->runs;
          fo.seed = a->seed;
          if (token) fo.params = token->params;
          row.free = run_on_dom0(*s, v, session, fo, ctx.stacks);
        } else {
          row.free.skipped = true;
        }
        row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const dom0::CleanupReport cleanup = session.clean_up();
        row.cleanup_ok = cleanup.ok();
        if (!cleanup.ok()) std::cerr << dom0::format_cleanup(cleanup);
        if (!a->report_dir.empty() && row.replay.base.executions) {
          std::ofstream(fmt::format("{}/{}.{}.replay.trace.json", a->report_dir, s->info().name, v.name))
              << trace_json(row.replay.base.failure).dump(2) << "\n";
        }
        if (sim_reports) {
          sim_entries.push_back(reports::entry_from_exploration(
              row.sim, report_json(row.sim), row.sim.replay ? replay_command(ctx, *row.sim.replay) : "",
              row.sim_seconds));
          if (token && !row.skipped())
            host_entries.push_back(reports::entry_from_replay(
                *token, v.expect, row.replay.base.failure, row_json(row),
                fmt::format("{} run {} --backend dom0 --replay {}{}", ctx.argv0, s->info().name, row.token,
                            a->host.arguments()),
                row.seconds));
        }
        rows.push_back(std::move(row));
      }
    }

    nlohmann::json all = nlohmann::json::array();
    for (const Row& r : rows) all.push_back(row_json(r));
    if (!a->report_dir.empty()) std::ofstream(a->report_dir + "/compare.json") << all.dump(2) << "\n";
    if (sim_reports) {
      sim_reports->write(sim_entries, {"compare (simulator)", kVersion});
      host_reports->write(host_entries, {"compare (host replay)", kVersion});
    }
    if (a->json)
      std::cout << all.dump(2) << "\n";
    else
      print_table(rows);
    bool ok = true;
    for (const Row& r : rows) ok &= r.cleanup_ok && (r.skipped() || r.agrees());
    return ok ? 0 : 1;
  };
}

}  // namespace xenrace::cli
