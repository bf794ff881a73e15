#include "reports/report_entry.hpp"

#include <fmt/format.h>

namespace xenrace::reports {

ReportEntry entry_from_exploration(const VariantReport& report, nlohmann::json summary, std::string replay_command,
                                   double seconds) {
  ReportEntry e;
  e.scenario = report.scenario;
  e.variant = report.variant;
  e.expect = report.expect;
  e.failed = report.failed;
  e.strategy = report.strategy;
  e.seed = report.seed;
  e.executions = report.executions;
  e.shown = shown(report);
  e.skipped = report.skipped;
  if (!report.failed) e.shown_text = shown_text(report);
  if (report.failed) {
    e.violated = report.failure.check;
    e.message = report.failure.message;
    e.replay_command = std::move(replay_command);
    e.failure = report.failure;
  }
  e.seconds = seconds;
  e.summary = std::move(summary);
  return e;
}

ReportEntry entry_from_replay(const ReplayToken& token, Expect expect, const ExecutionResult& result,
                              nlohmann::json summary, std::string replay_command, double seconds) {
  ReportEntry e;
  e.scenario = token.scenario;
  e.variant = token.variant;
  e.expect = expect;
  e.failed = result.failed();
  e.strategy = token.strategy;
  e.seed = token.seed;
  e.executions = 1;
  e.shown = result.failed() ? "failed" : "sampled";
  if (!result.failed()) e.shown_text = fmt::format("no failure in the 1 replayed execution ({}, seed {})", token.strategy, token.seed);
  if (result.failed()) {
    e.violated = result.check;
    e.message = result.message;
    e.replay_command = std::move(replay_command);
    e.failure = result;
  }
  e.seconds = seconds;
  e.summary = std::move(summary);
  return e;
}

const std::string& actor_name(const std::vector<std::string>& actors, const TraceEvent& event) {
  static const std::string harness = "harness";
  return event.actor < actors.size() ? actors[event.actor] : harness;
}

const std::string& actor_name(const ExecutionResult& execution, const TraceEvent& event) {
  return actor_name(execution.actors, event);
}

}  // namespace xenrace::reports
