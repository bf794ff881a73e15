#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "reports/recorded_trace.hpp"
#include "reports/report_dir.hpp"
#include "reports/trace_text.hpp"
#include "xenrace/version.hpp"

namespace xenrace::cli {

Runner add_replay_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("replay", "Re-run exactly the execution a replay token recorded, and print its trace");
  auto token_text = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("token", *token_text, "The token printed after 'xenrace replay'")->required();
  cmd->add_flag("--json", *json, "Print the result and trace as JSON");
  auto no_fold = std::make_shared<bool>(false);
  cmd->add_flag("--no-fold", *no_fold, "Print every event of the trace (no …×N for repeats)");
  auto report_dir_name = std::make_shared<std::string>();
  cmd->add_option("--report-dir", *report_dir_name,
                  "Write junit.xml, results.json, timeline.html and a Chrome trace into this directory");
  auto against = std::make_shared<std::string>();
  cmd->add_option("--against", *against,
                  "Check every step against the recorded trace in FILE (a report's results.json, or what explore "
                  "--json or replay --json printed), and name the first step that differs")
      ->type_name("FILE");
  return [&ctx, token_text, json, report_dir_name, no_fold, against] {
    ReplayToken token = ReplayToken::decode(*token_text);
    if (const Scenario* s = ctx.registry.find(token.scenario))
      check_params(token.params, {s}, ParamScope::simulator, "the replay token's parameter");
    // The recording to check against is read before anything runs, so a bad file costs no replay.
    std::optional<nlohmann::json> recorded;
    if (!against->empty()) {
      std::ifstream in(*against);
      if (!in) throw UsageError(fmt::format("--against {}: cannot read it", *against));
      const nlohmann::json document = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (document.is_discarded()) throw UsageError(fmt::format("--against {}: not JSON", *against));
      std::string why;
      recorded = reports::find_recorded_trace(document, *token_text, token.scenario, token.variant, &why);
      if (!recorded) throw UsageError(fmt::format("--against {}: {}", *against, why));
    }
    std::optional<reports::ReportDir> report_dir;
    if (!report_dir_name->empty()) report_dir.emplace(*report_dir_name);
    bool diverged = false;
    std::string divergence;
    const auto started = std::chrono::steady_clock::now();
    // With a recording, the replay stops at the first step that differs rather than running on to its end.
    std::optional<reports::StepByStepCheck> check;
    std::function<bool(const Trace&)> keep_going;
    if (recorded) {
      check.emplace(*recorded);
      keep_going = [&check](const Trace& t) { return check->keep_going(t); };
    }
    ExecutionResult r =
        replay_token(ctx.registry, token, ctx.sim_world, ctx.stacks, &diverged, &divergence, std::move(keep_going));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    if (recorded) {
      std::string difference;
      try {
        difference = reports::first_difference(*recorded, r);
      } catch (const std::invalid_argument& e) {
        throw UsageError(fmt::format("--against {}: {}", *against, e.what()));
      }
      if (!difference.empty()) {
        diverged = true;
        divergence += fmt::format("{}not the recorded trace of {}: {}{}", divergence.empty() ? "" : "; ", *against,
                                  difference, r.stopped ? " (the replay stopped there)" : "");
      }
    }
    const auto* variant = ctx.registry.get(token.scenario).info().variant(token.variant);
    // A diverged replay is not the recorded execution: its verdict cannot meet the expectation.
    const bool met = !diverged && r.failed() == (variant->expect == Expect::fail);
    if (*json || report_dir) {
      nlohmann::json j = {{"scenario", token.scenario},
                          {"variant", token.variant},
                          {"expect", to_string(variant->expect)},
                          {"verdict", r.stopped ? "none" : r.failed() ? "fail" : "pass"},
                          {"met_expectation", met},
                          {"strategy", token.strategy},
                          {"seed", token.seed},
                          {"steps", r.steps},
                          {"trace_hash", format_hash(r.trace_hash)},
                          {"violated", r.failed() ? r.check : std::string()},
                          {"message", r.message},
                          {"diverged", diverged},
                          {"divergence", divergence}};
      if (recorded) j["checked_against"] = *against;
      if (report_dir) {
        reports::ReportEntry e =
            reports::entry_from_replay(token, variant->expect, r, j, replay_command(ctx, token), took.count());
        e.divergence = divergence;
        report_dir->write({e}, {"replay", kVersion});
      }
      j["trace"] = trace_json(r);
      if (*json) std::cout << j.dump(2) << "\n";
    }
    if (!*json) {
      std::cout << fmt::format("replaying {}/{} (found by {} seed {}): {} steps\n", token.scenario, token.variant,
                               token.strategy, token.seed, r.steps);
      std::cout << format_trace(r, !*no_fold);
      if (r.stopped) {
        std::cout << "verdict: none: the replay stopped at the first step that differs from the recording\n";
      } else if (r.failed()) {
        std::cout << fmt::format("verdict: FAIL: {}: {}\n", r.check, r.message);
        if (const std::string race = reports::race_summary(r); !race.empty()) std::cout << race << "\n";
      } else
        std::cout << "verdict: pass (no check was violated)\n";
      if (diverged) std::cout << "DIVERGED: " << divergence << "\n";
      else if (recorded)
        std::cout << fmt::format("every step as recorded in {}: {} events, each the same actor, operation and result\n",
                                 *against, r.events.size());
      std::cout << "trace_hash: " << format_hash(r.trace_hash) << "\n";
    }
    // The run above is not the recorded execution: its verdict says nothing about the token. Bad input.
    if (diverged) {
      std::cerr << "xenrace: replay diverged: " << divergence << "\n";
      return 2;
    }
    return met ? 0 : 1;
  };
}

}  // namespace xenrace::cli
