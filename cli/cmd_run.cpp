// `xenrace run SCENARIO --backend dom0`: the same scenario on a real host (backends/dom0/), replaying a token
// step for step or running free to measure the natural reproduction rate. Exit codes: 0 the verdict met
// the variant's expectation, 1 it did not, 2 bad usage, 4 skipped (the host lacks a component).

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "run/dom0_run.hpp"
#include "backends/dom0/interrupt_guard.hpp"
#include "cli/cli.hpp"
#include "cli/dom0_options.hpp"
#include "cli/options.hpp"
#include "reports/report_dir.hpp"

namespace xenrace::cli {
namespace {

constexpr int kExitSkipped = 4;

struct RunArgs {
  std::string scenario;
  std::string backend;
  std::string variant;
  std::string mode;
  std::string replay;
  std::uint64_t runs = 0;
  std::uint64_t seed = 1;
  bool json = false;
  std::string report_dir;
  Dom0Options host;
  std::vector<std::string> params;
};

nlohmann::json run_json(const dom0::Dom0RunReport& r, const dom0::Dom0Session& session,
                        const dom0::CleanupReport& cleanup) {
  nlohmann::json j = report_json(r.base);
  j["backend"] = "dom0";
  j["mode"] = dom0::to_string(r.mode);
  j["skipped"] = r.skipped;
  j["skip_reason"] = r.skip_reason;
  if (r.skipped) {
    j["verdict"] = "skipped";
    j["met_expectation"] = false;
  }
  j["failures"] = r.failures;
  j["inconclusive"] = r.inconclusive;
  j["reproduced_in"] = r.reproduced_in ? nlohmann::json(r.reproduced_in) : nlohmann::json(nullptr);
  j["diverged"] = r.diverged;
  j["enforced_steps"] = r.enforced_steps;
  j["observed_events"] = r.observed_events;
  j["observed_components"] = r.observed_components;
  j["real_components"] = r.real_components;
  j["simulated_components"] = r.simulated_components;
  j["driven_actors"] = r.driven_actors;
  j["outcomes"] = r.outcomes;
  j["unchecked"] = r.unchecked;
  j["run_id"] = session.run_id();
  j["ledger"] = session.ledger_path();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : cleanup.items) items.push_back({{"what", i.what}, {"result", i.result}, {"ok", i.ok}});
  j["cleanup"] = {{"ok", cleanup.ok()}, {"items", items}};
  return j;
}

void print_human(const dom0::Dom0RunReport& r, const dom0::Dom0Session& session, const dom0::CleanupReport& cleanup) {
  const auto& b = r.base;
  if (r.skipped) {
    std::cout << fmt::format("{}/{} on dom0 ({}): SKIPPED: {}\n", b.scenario, b.variant, dom0::to_string(r.mode),
                             r.skip_reason);
  } else {
    std::cout << fmt::format("{}/{} on dom0 ({}): {} ({}; expected {}) — {} of {} run(s) failed{}\n", b.scenario,
                             b.variant, dom0::to_string(r.mode), b.failed ? "FAIL" : "pass",
                             b.met_expectation() ? "as expected" : "NOT AS EXPECTED", to_string(b.expect), r.failures,
                             b.executions,
                             r.reproduced_in ? fmt::format("; first failure in run {}", r.reproduced_in) : "");
    if (r.inconclusive)
      std::cout << fmt::format("  {} run(s) inconclusive (neither pass nor failure): an observed component never "
                               "acted\n",
                               r.inconclusive);
    if (r.mode == dom0::Dom0Mode::replay)
      std::cout << fmt::format("  turnstile: {} step(s) enforced in the recorded order, {} event(s) only observed{}\n",
                               r.enforced_steps, r.observed_events,
                               r.diverged ? "; WARNING: the host diverged from the recorded schedule" : "");
    for (const auto& c : r.observed_components) std::cout << "  observed, not driven: " << c << "\n";
    for (const auto& c : r.real_components) std::cout << "  real: " << c << "\n";
    for (const auto& c : r.simulated_components) std::cout << "  simulated on this host (driven): " << c << "\n";
    for (const auto& c : r.unchecked) std::cout << "  NOT CHECKED on this host: " << c << "\n";
    if (b.failed) {
      std::cout << fmt::format("  violated: {}: {}\n", b.failure.check, b.message);
      std::cout << format_trace(b.failure);
    }
  }
  std::cout << fmt::format("  ledger {}: cleanup {}\n", session.ledger_path(), cleanup.ok() ? "complete" : "INCOMPLETE");
  if (!cleanup.ok()) std::cout << dom0::format_cleanup(cleanup);
}

}  // namespace

Runner add_run_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("run", "Run a scenario on a real dom0 host (backend dom0)");
  auto a = std::make_shared<RunArgs>();
  cmd->add_option("scenario", a->scenario, "Scenario name or variant id, SCENARIO/VARIANT (see 'xenrace list')")->required();
  cmd->add_option("--backend", a->backend, "Where to run: dom0 (the simulator is 'xenrace explore')")->required();
  cmd->add_option("--variant", a->variant, "Variant (default: the token's, else the first)");
  cmd->add_option("--mode", a->mode, "free | replay (default: replay with --replay, else free)");
  cmd->add_option("--replay", a->replay, "Replay token: force this recorded schedule on the host");
  cmd->add_option("--runs", a->runs, "Executions (free; default 100) or repetitions (replay; default 1)")
      ->transform(whole_number(1));
  cmd->add_option("--seed", a->seed, "Seed for data and fault choices in free mode")
      ->capture_default_str()
      ->transform(whole_number());
  cmd->add_option("--param", a->params, "KEY=VALUE execution option (repeatable)");
  cmd->add_flag("--json", a->json, "Print the result as JSON");
  cmd->add_option("--report-dir", a->report_dir, "Write report JSON and the ledger into this directory");
  a->host.add_to(*cmd);
  return [&ctx, a]() -> int {
    if (a->backend != "dom0")
      throw UsageError("unknown backend '" + a->backend + "' (run knows: dom0; the simulator is 'xenrace explore')");
    // An id as explore prints it, SCENARIO/VARIANT, names the variant too.
    if (const auto slash = a->scenario.find('/'); slash != std::string::npos) {
      const std::string variant = a->scenario.substr(slash + 1);
      if (!a->variant.empty() && a->variant != variant)
        throw UsageError(fmt::format("'{}' and --variant {} name two variants", a->scenario, a->variant));
      a->variant = variant;
      a->scenario.resize(slash);
    }
    const Scenario& scenario = ctx.registry.get(a->scenario);
    dom0::Dom0RunOptions opts;
    if (!a->replay.empty()) {
      opts.token = ReplayToken::decode(a->replay);
      if (opts.token->scenario != a->scenario)
        throw UsageError(fmt::format("the replay token is for scenario '{}', not '{}'", opts.token->scenario,
                                     a->scenario));
      if (!a->variant.empty() && a->variant != opts.token->variant)
        throw UsageError(fmt::format("the replay token is for variant '{}', not '{}'", opts.token->variant, a->variant));
      a->variant = opts.token->variant;
      check_params(opts.token->params, {&scenario}, ParamScope::host, "the replay token's parameter");
      opts.params = opts.token->params;
    }
    if (a->mode.empty()) a->mode = opts.token ? "replay" : "free";
    if (a->mode == "replay")
      opts.mode = dom0::Dom0Mode::replay;
    else if (a->mode == "free")
      opts.mode = dom0::Dom0Mode::free;
    else
      throw UsageError("unknown mode '" + a->mode + "' (free | replay)");
    if (opts.mode == dom0::Dom0Mode::free && opts.token)
      throw UsageError("--replay forces a schedule; it cannot be combined with --mode free");
    const VariantInfo* variant =
        a->variant.empty() ? &scenario.info().variants.front() : scenario.info().variant(a->variant);
    if (!variant) throw UsageError("unknown variant '" + a->variant + "' of scenario '" + a->scenario + "'");
    opts.runs = a->runs ? a->runs : (opts.mode == dom0::Dom0Mode::free ? 100 : 1);
    opts.seed = a->seed;
    for (auto& p : parse_params(a->params, {&scenario}, ParamScope::host)) opts.params.push_back(std::move(p));

    const dom0::Dom0Config config = a->host.load();
    // Created and proved writable before the host is touched: a bad directory is a usage error (exit 2).
    if (!a->report_dir.empty()) reports::ReportDir{a->report_dir};

    dom0::Dom0Session session(config, a->report_dir);
    // SIGINT/SIGTERM: undo the ledger, then exit 130/143. SIGKILL leaves the ledger for `xenrace cleanup`.
    const dom0::InterruptGuard guard = dom0::undo_ledger_on_interrupt(session);
    std::cerr << fmt::format("xenrace: dom0 run {} (ledger {})\n", session.run_id(), session.ledger_path());
    dom0::Dom0RunReport report = run_on_dom0(scenario, *variant, session, opts, ctx.stacks);
    const dom0::CleanupReport cleanup = session.clean_up();

    nlohmann::json j = run_json(report, session, cleanup);
    if (!a->report_dir.empty()) {
      std::ofstream(a->report_dir + "/" + session.run_id() + ".json") << j.dump(2) << "\n";
      if (report.base.executions) {
        nlohmann::json t = trace_json(report.base.failure);
        std::ofstream(a->report_dir + "/" + session.run_id() + ".trace.json") << t.dump(2) << "\n";
      }
    }
    if (a->json)
      std::cout << j.dump(2) << "\n";
    else
      print_human(report, session, cleanup);
    if (!cleanup.ok()) return 1;
    if (report.skipped) return kExitSkipped;
    return report.base.met_expectation() ? 0 : 1;
  };
}

}  // namespace xenrace::cli
