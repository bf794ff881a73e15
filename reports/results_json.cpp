#include "reports/results_json.hpp"

#include "reports/event_kind.hpp"
#include "reports/racing_pair.hpp"

namespace xenrace::reports {

std::string chrome_trace_file_name(const ReportEntry& entry) {
  std::string name = "trace-" + entry.scenario + "-" + entry.variant;
  for (char& c : name) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
    if (!safe) c = '_';
  }
  return name + ".json";
}

nlohmann::json trace_with_kinds(const ExecutionResult& execution) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : execution.events)
    events.push_back({{"step", e.step},
                      {"time_ns", e.time},
                      {"actor", actor_name(execution, e)},
                      {"op", e.op},
                      {"args", e.args},
                      {"result", e.result},
                      {"kind", to_string(event_kind(e))},
                      {"object", event_object(e)}});
  nlohmann::json racing = nullptr;
  if (auto pair = find_racing_pair(execution)) racing = {pair->first, pair->second};
  return {{"actors", execution.actors}, {"events", events}, {"racing_pair", racing}};
}

nlohmann::json results_json(const std::vector<ReportEntry>& entries, const ReportOrigin& origin) {
  nlohmann::json results = nlohmann::json::array();
  std::size_t failed = 0, unmet = 0, skipped_count = 0;
  for (const auto& e : entries) {
    failed += e.failed;
    const bool skipped = !e.skipped.empty();
    unmet += !skipped && !e.met_expectation();
    skipped_count += skipped;
    nlohmann::json r = e.summary.is_object() ? e.summary : nlohmann::json::object();
    // The envelope's own fields win over a summary that lacks them, so every result has the same shape.
    r["scenario"] = e.scenario;
    r["variant"] = e.variant;
    r["expect"] = to_string(e.expect);
    r["verdict"] = skipped ? "skipped" : e.failed ? "fail" : "pass";
    // A variant that could not run here neither met nor missed its expectation.
    r["met_expectation"] = skipped ? nlohmann::json(nullptr) : nlohmann::json(e.met_expectation());
    if (skipped) r["skip_reason"] = e.skipped;
    r["seconds"] = e.seconds;
    if (!e.shown.empty()) r["shown"] = e.shown;
    if (e.failed) {
      r["violated"] = e.violated;
      r["replay_command"] = e.replay_command;
      r["trace_file"] = chrome_trace_file_name(e);
      r["trace"] = trace_with_kinds(e.failure);
    } else {
      r["replay_command"] = nullptr;
      r["trace_file"] = nullptr;
      r["trace"] = nullptr;
    }
    results.push_back(std::move(r));
  }
  nlohmann::json out = {{"schema", kResultsSchema},
          {"schema_version", kResultsSchemaVersion},
          {"xenrace_version", origin.xenrace_version},
          {"command", origin.command},
          {"complete", true},
          {"summary",
           {{"variants", entries.size()},
            {"failed", failed},
            {"unmet_expectations", unmet},
            {"skipped", skipped_count},
            {"all_met", unmet == 0}}},
          {"files", {{"junit", "junit.xml"}, {"timeline", "timeline.html"}}},
          {"results", results}};
  if (!origin.exploration.is_null()) out["exploration"] = origin.exploration;
  return out;
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace xenrace::reports
