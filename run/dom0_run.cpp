#include "run/dom0_run.hpp"

#include "backends/dom0/dom0_world.hpp"
#include "faults/real_faults.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "world/world.hpp"
#include "xenrace/version.hpp"

namespace xenrace::dom0 {

const char* to_string(Dom0Mode m) { return m == Dom0Mode::free ? "free" : "replay"; }

namespace {

// The run's --faults, switched on in libfiu for one execution and off after it, however it ends: the dom0
// world's fault hook (use_real_faults) then fails the same visible operations the simulator explores.
class RealFaultsEnabled {
 public:
  explicit RealFaultsEnabled(const Params& params) : points_(enable_real_faults(params)) {}
  ~RealFaultsEnabled() {
    for (FaultPoint p : points_) disable_real_fault(p);
  }
  RealFaultsEnabled(const RealFaultsEnabled&) = delete;
  RealFaultsEnabled& operator=(const RealFaultsEnabled&) = delete;

 private:
  std::vector<FaultPoint> points_;
};

struct OneRun {
  ExecutionResult result;
  std::string unavailable;
  std::vector<std::string> observed;
  std::vector<std::string> real;
  std::vector<std::string> simulated;
  bool diverged = false;
};

OneRun run_once(const Scenario& scenario, const VariantInfo& variant, Dom0Session& session,
                const Dom0RunOptions& options, StackPool& stacks, std::uint64_t index) {
  std::unique_ptr<Strategy> strategy;
  ReplayStrategy* replay = nullptr;
  if (options.mode == Dom0Mode::replay) {
    auto r = std::make_unique<ReplayStrategy>(options.token ? options.token->schedule : Schedule{});
    replay = r.get();
    strategy = std::move(r);
  } else {
    strategy = make_strategy(StrategyOptions{"random", options.seed + index, 3, 2});
  }
  strategy->begin_execution(index);
  ExecutionOptions eo = execution_options_for(scenario.info(), options.params, true);
  eo.os_threads = options.mode == Dom0Mode::free;

  OneRun out;
  Execution ex(*strategy, stacks, eo);
  Dom0World& world = ex.make<Dom0World>(ex, session);
  try {
    scenario.build(ex, world, variant.name);
  } catch (const ComponentUnavailable& e) {
    out.unavailable = e.what();
    return out;
  }
  {
    const RealFaultsEnabled faults(eo.params);
    out.result = ex.run();
  }
  out.unavailable = world.unavailable();
  out.observed = world.observed_components();
  out.real = world.real_components();
  out.simulated = world.simulated_components();
  if (replay) out.diverged = replay->diverged();
  return out;
}

}  // namespace

Dom0RunReport run_on_dom0(const Scenario& scenario, const VariantInfo& variant, Dom0Session& session,
                          const Dom0RunOptions& options, StackPool& stacks) {
  Dom0RunReport rep;
  rep.mode = options.mode;
  VariantReport& b = rep.base;
  b.scenario = scenario.info().name;
  b.variant = variant.name;
  b.expect = variant.expect;
  b.strategy = options.mode == Dom0Mode::replay ? "replay" : "os-threads";
  b.seed = options.mode == Dom0Mode::replay && options.token ? options.token->seed : options.seed;
  if (options.mode == Dom0Mode::replay && options.token) b.replay = options.token;

  for (std::uint64_t i = 0; i < std::max<std::uint64_t>(1, options.runs); ++i) {
    OneRun one = run_once(scenario, variant, session, options, stacks, i);
    if (!one.unavailable.empty()) {
      // Skipped, never passed: whatever ran before the missing component proves nothing.
      rep.skipped = true;
      rep.skip_reason = one.unavailable;
      return rep;
    }
    const ExecutionResult& r = one.result;
    session.count_finished_run(r.failed());
    ++b.executions;
    b.steps += r.steps;
    rep.diverged |= one.diverged;
    rep.observed_components = one.observed;
    rep.real_components = one.real;
    rep.simulated_components = one.simulated;
    rep.driven_actors = r.actors;
    rep.unchecked = r.unchecked;
    if (!r.inconclusive.empty()) ++rep.inconclusive;
    rep.outcomes.push_back(r.failed() ? r.check : !r.inconclusive.empty() ? "inconclusive: " + r.inconclusive : "pass");
    rep.enforced_steps = options.mode == Dom0Mode::replay ? r.steps : 0;
    rep.observed_events = 0;
    for (const auto& e : r.events)
      if (e.actor == kNoActor && e.op != "verdict") ++rep.observed_events;
    if (r.failed()) {
      ++rep.failures;
      if (!b.failed) {
        b.failed = true;
        rep.reproduced_in = b.executions;
        b.first_failure_steps = r.steps;
        b.message = r.message;
        b.trace_hash = r.trace_hash;
        b.failure = r;
      }
    } else if (!b.failed && r.inconclusive.empty()) {
      b.trace_hash = r.trace_hash;
      b.failure.events = r.events;  // the passing trace, for --report-dir
      b.failure.actors = r.actors;
    }
  }
  return rep;
}

}  // namespace xenrace::dom0
