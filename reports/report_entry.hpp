// What every report writer reads about one scenario variant: the verdict against its expectation, the
// object `--json` prints for it, and (when it failed) the shrunk execution with its trace and the command
// that replays it. The CLI fills one entry per explored or replayed variant.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "run/explorer.hpp"

namespace xenrace::reports {

struct ReportEntry {
  std::string scenario;
  std::string variant;
  Expect expect = Expect::pass;
  bool failed = false;          // the verdict: an execution broke a check
  std::string strategy;
  std::uint64_t seed = 0;
  std::uint64_t executions = 0;
  std::string shown;            // "failed" | "sampled" | "verified" | "shard-complete" (run/explorer.hpp shown())
  std::string shown_text;       // passing: what was shown, in words ("no failure in N sampled executions (...)")
  std::string violated;         // failing: the violated check (invariant, "deadlock", ...)
  std::string message;          // failing: what went wrong, in the scenario's words
  std::string replay_command;   // failing: pasteable command that replays the failure
  double seconds = 0;           // wall-clock time spent on the variant
  nlohmann::json summary;       // the object `xenrace ... --json` prints for this variant
  ExecutionResult failure;      // failing: the (shrunk) execution, events kept
  std::string divergence;       // a replay whose schedule did not fit: why (then its verdict means nothing)
  std::string skipped;          // it could not run here, and why (neither met nor not met)

  bool met_expectation() const { return skipped.empty() && divergence.empty() && failed == (expect == Expect::fail); }
  std::string id() const { return scenario + "/" + variant; }
};

// An entry from an exploration's report; `summary` is its --json object.
ReportEntry entry_from_exploration(const VariantReport& report, nlohmann::json summary, std::string replay_command,
                                   double seconds);

// An entry from one replayed execution; `summary` is the replay's --json object without its trace.
ReportEntry entry_from_replay(const ReplayToken& token, Expect expect, const ExecutionResult& result,
                              nlohmann::json summary, std::string replay_command, double seconds);

// The name of the actor of an event: the trace's actor name, or "harness" for setup and verdict events.
const std::string& actor_name(const ExecutionResult& execution, const TraceEvent& event);
// The same from the names a trace has so far (a replay checked step by step).
const std::string& actor_name(const std::vector<std::string>& actors, const TraceEvent& event);

}  // namespace xenrace::reports
