// What an execution of a seed scenario came to, for the tests that compare dpor's outcomes with every
// interleaving's (scenario_footprints_test.cpp) and check a scenario's state description (state_key_test.cpp).
#pragma once
#include <map>
#include <string>

#include <fmt/format.h>

#include "runtime/execution.hpp"

namespace xenrace {

// Only the verdict: passed, or the check a failure broke and its message.
inline std::string verdict_of(const ExecutionResult& r) {
  return r.failed() ? fmt::format("failed: {}: {}", r.check, r.message) : std::string("passed");
}

// Where an execution ends, for the tests of dpor's state cache, which merges executions that reach one state
// by different paths: a cut-off execution's past does not run on with the future it would have had, and what
// each actor saw on the way differs. So only the end counts: the verdict, the last value written to each
// XenStore node (these scenarios remove none), and the device each blkback holds at the end (which file and
// diskseq each guest got). Not what a blkback saw on an open it refused and let go, nor in which order two
// blkbacks opened: both are history the state does not keep, and executions that differ only there end alike.
inline std::string where_it_ends(const ExecutionResult& r) {
  if (r.failed()) return verdict_of(r);
  std::map<std::string, std::string> nodes;
  std::map<std::string, std::string> holds;  // per blkback: what it opened last and still holds
  for (const TraceEvent& e : r.events) {
    if (e.op == "xs.write" && e.result == "OK") {
      const std::size_t eq = e.args.find('=');
      nodes[e.args.substr(0, eq)] = e.args.substr(eq + 1);
    } else if (e.op == "blkdev.get_by_dev" && e.actor < r.actors.size()) {
      holds[r.actors[e.actor]] = fmt::format("{}: {} -> {}\n", r.actors[e.actor], e.args, e.result);
    } else if (e.op == "blkdev.put" && e.actor < r.actors.size()) {
      holds.erase(r.actors[e.actor]);
    }
  }
  std::string out = "passed\n";
  for (const auto& [actor, held] : holds) out += held;
  for (const auto& [path, value] : nodes) out += fmt::format("{}={}\n", path, value);
  return out;
}

}  // namespace xenrace
