// Running a scenario variant on a real host, in one of two modes:
//  - replay: the actors run as fibers under the Scheduler with a ReplayStrategy, so the recorded order of
//    their visible operations is forced step for step on the host (a turnstile: exactly one actor is
//    between two scheduling points at any time, and each real call happens at its recorded turn). What
//    the host does by itself (kernel drivers, xenstored's own work) is observed, not forced.
//  - free: the actors run as OS threads with no control (Scheduler OS-thread mode) N times; the report
//    counts how often an invariant broke and after how many runs it first did (the natural reproduction
//    rate a developer would see in a stress loop).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backends/dom0/dom0_session.hpp"
#include "run/explorer.hpp"

namespace xenrace::dom0 {

enum class Dom0Mode { free, replay };
const char* to_string(Dom0Mode m);

struct Dom0RunOptions {
  Dom0Mode mode = Dom0Mode::free;
  std::optional<ReplayToken> token;  // replay: the schedule; absent: the default (non-preemptive) schedule
  std::uint64_t runs = 1;            // executions (free), repetitions of the same schedule (replay)
  std::uint64_t seed = 1;            // free: data and fault choices still come from a seeded strategy
  Params params;
};

struct Dom0RunReport {
  VariantReport base;  // the same fields `explore` reports
  Dom0Mode mode = Dom0Mode::free;
  bool skipped = false;
  std::string skip_reason;
  std::uint64_t failures = 0;       // runs that broke a check
  // Runs with no verdict: an observed component (a real xen-blkback) never acted within its bound. Neither
  // passes nor failures; `executions` counts them.
  std::uint64_t inconclusive = 0;
  std::uint64_t reproduced_in = 0;  // runs up to and including the first failure; 0: never failed
  bool diverged = false;            // replay: a recorded turn found its actor not runnable on the host
  std::uint64_t enforced_steps = 0; // replay: steps whose order the turnstile forced (last run)
  std::uint64_t observed_events = 0;  // trace events no driven actor made (last run)
  std::vector<std::string> observed_components;
  // What ran for real (the host's components the actors called) and what ran as the simulator's model on
  // the host (driven actors such as the simulated blkback driver): enforced_steps includes their steps.
  std::vector<std::string> real_components;
  std::vector<std::string> simulated_components;
  std::vector<std::string> driven_actors;  // the actors the scheduler ran (last run), simulated drivers included
  std::vector<std::string> outcomes;  // per run: "pass", the violated check, or "inconclusive: why"
  // Invariants the scenario could not check on this host (Execution::unchecked), "name: why": a pass here
  // says nothing about them.
  std::vector<std::string> unchecked;
};

Dom0RunReport run_on_dom0(const Scenario& scenario, const VariantInfo& variant, Dom0Session& session,
                          const Dom0RunOptions& options, StackPool& stacks);

}  // namespace xenrace::dom0
