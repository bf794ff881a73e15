// Test support: an execution whose fault choices are scripted (the i-th fault choice takes values[i],
// later ones 0), actors run without preemption, and the trace is kept so tests can look for the
// "fault.<point>" event next to the fake's own event.
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/execution.hpp"
#include "runtime/fiber.hpp"
#include "runtime/strategy.hpp"

namespace xenrace::testing {

class ScriptedFaults final : public Strategy {
 public:
  explicit ScriptedFaults(std::vector<std::uint32_t> values) : values_(std::move(values)) {}
  std::string_view name() const override { return "scripted-faults"; }
  void begin_execution(std::uint64_t) override { next_ = 0; }
  ActorId pick_actor(const PickContext& ctx) override { return default_pick(ctx); }
  std::uint32_t pick_value(std::uint32_t, ChoiceKind kind) override {
    if (kind != ChoiceKind::fault) return 0;
    ++asked_;
    return next_ < values_.size() ? values_[next_++] : 0;
  }
  std::uint32_t asked() const { return asked_; }

 private:
  std::vector<std::uint32_t> values_;
  std::size_t next_ = 0;
  std::uint32_t asked_ = 0;
};

inline ExecutionOptions options_with(Params params) {
  ExecutionOptions o;
  o.keep_trace = true;
  o.params = std::move(params);
  return o;
}

struct FaultExecution {
  StackPool stacks;
  ScriptedFaults strategy;
  Execution ex;
  FaultExecution(Params params, std::vector<std::uint32_t> fault_values)
      : strategy(std::move(fault_values)), ex(strategy, stacks, options_with(std::move(params))) {}

  // The events of operation `op` ("loop.configure", "fault.loop/configure") in the trace so far.
  std::vector<TraceEvent> events(std::string_view op) {
    std::vector<TraceEvent> out;
    for (const auto& e : ex.trace().events())
      if (e.op == op) out.push_back(e);
    return out;
  }
  // Index of the first event of `op`, or -1.
  long first(std::string_view op) {
    const auto& all = ex.trace().events();
    auto it = std::find_if(all.begin(), all.end(), [&](const TraceEvent& e) { return e.op == op; });
    return it == all.end() ? -1 : static_cast<long>(it - all.begin());
  }
};

}  // namespace xenrace::testing
