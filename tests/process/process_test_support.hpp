// What the process-actor tests share: executions that keep their trace, and the trace as text to compare
// byte for byte (step, actor, virtual time, operation, arguments, result).
#pragma once
#include <string>

#include <fmt/format.h>

#include "runtime/execution.hpp"

namespace xenrace::testing {

inline ExecutionOptions keep_trace() {
  ExecutionOptions o;
  o.keep_trace = true;
  return o;
}

inline std::string trace_text(const ExecutionResult& r) {
  std::string out;
  for (const auto& e : r.events)
    out += fmt::format("{} {} t={} {} {} -> {}\n", e.step, e.actor < r.actors.size() ? r.actors[e.actor] : "harness",
                       e.time, e.op, e.args, e.result);
  return out;
}

}  // namespace xenrace::testing
