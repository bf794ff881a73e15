// results.json: the objects `--json` prints, one per variant, each with the full trace of its failure and
// the names of the other report files, under a versioned envelope (docs/report-format.md).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/report_entry.hpp"

namespace xenrace::reports {

inline constexpr const char* kResultsSchema = "xenrace-results";
inline constexpr int kResultsSchemaVersion = 1;

// What produced the reports: which command, which build.
struct ReportOrigin {
  std::string command;  // "explore" or "replay"
  std::string xenrace_version;
  // explore and merge: what was searched (strategy options as given, seed, budget, selection, shard), so
  // `xenrace merge` can check that shards belong together. Null: not written.
  nlohmann::json exploration = nullptr;
};

// The file name of a variant's Chrome trace: trace-<scenario>-<variant>.json, characters other than
// letters, digits, '.', '_' and '-' replaced by '_' so any name is a safe file name.
std::string chrome_trace_file_name(const ReportEntry& entry);

// The trace of a failure: its actors and events, each event with its kind and the object it touches.
nlohmann::json trace_with_kinds(const ExecutionResult& execution);

nlohmann::json results_json(const std::vector<ReportEntry>& entries, const ReportOrigin& origin);

// JSON text that is valid even when trace text is not UTF-8 (invalid bytes become U+FFFD).
std::string dump_json(const nlohmann::json& j);

}  // namespace xenrace::reports
