// Running one simulated execution from a test: the test builds actors on a SimWorld and chooses the
// interleaving with a function of the scheduler's state (or takes the default non-preemptive order).
#pragma once
#include <functional>
#include <string_view>

#include "backends/sim/sim_world.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategy.hpp"

namespace xenrace::testing {

// Picks with `pick`; a pick that names an actor that cannot run falls back to the default choice.
class FunctionStrategy final : public Strategy {
 public:
  using Pick = std::function<ActorId(const PickContext&)>;
  explicit FunctionStrategy(Pick pick) : pick_(std::move(pick)) {}
  std::string_view name() const override { return "test"; }
  void begin_execution(std::uint64_t) override {}
  ActorId pick_actor(const PickContext& ctx) override {
    const ActorId id = pick_ ? pick_(ctx) : kNoActor;
    if (id != kNoActor && (ctx.runnable & actor_bit(id))) return id;
    return default_pick(ctx);
  }
  std::uint32_t pick_value(std::uint32_t, ChoiceKind) override { return 0; }

 private:
  Pick pick_;
};

// Runs the next runnable actor after the current one: maximal interleaving of visible operations.
inline ActorId round_robin(const PickContext& ctx) {
  for (ActorId k = 1; k <= ctx.actor_count; ++k) {
    const ActorId id = static_cast<ActorId>((ctx.current == kNoActor ? k - 1 : ctx.current + k) % ctx.actor_count);
    if (ctx.runnable & actor_bit(id)) return id;
  }
  return kNoActor;
}

inline ExecutionResult run_sim(const std::function<void(Execution&, SimWorld&)>& build, Strategy& strategy,
                               bool keep_trace = true) {
  StackPool stacks;
  ExecutionOptions options;
  options.keep_trace = keep_trace;
  Execution ex(strategy, stacks, options);
  SimWorld& world = ex.make<SimWorld>(ex);
  build(ex, world);
  return ex.run();
}

inline ExecutionResult run_sim(const std::function<void(Execution&, SimWorld&)>& build,
                               FunctionStrategy::Pick pick = {}) {
  FunctionStrategy strategy(std::move(pick));
  return run_sim(build, strategy);
}

}  // namespace xenrace::testing
