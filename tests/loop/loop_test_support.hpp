// One execution to drive a fake from test code: calls made outside any actor take no scheduling step,
// so a test reads like a sequence of system calls; actors are spawned where a test needs a process.
#pragma once
#include <functional>
#include <memory>

#include "runtime/execution.hpp"
#include "runtime/fiber.hpp"
#include "runtime/strategy.hpp"

namespace xenrace::testing {

struct TestExecution {
  StackPool stacks;
  std::unique_ptr<Strategy> strategy = make_strategy(StrategyOptions{"random", 1, 3, 2});
  Execution ex{*strategy, stacks, ExecutionOptions{}};
  TestExecution() { strategy->begin_execution(0); }
  explicit TestExecution(std::unique_ptr<Strategy> s) : strategy(std::move(s)) { strategy->begin_execution(0); }
};

// Picks with a function of the scheduler's state; a pick that cannot run falls back to the default choice.
class PickStrategy final : public Strategy {
 public:
  using Pick = std::function<ActorId(const PickContext&)>;
  explicit PickStrategy(Pick pick) : pick_(std::move(pick)) {}
  std::string_view name() const override { return "test"; }
  void begin_execution(std::uint64_t) override {}
  ActorId pick_actor(const PickContext& ctx) override {
    const ActorId id = pick_(ctx);
    return id != kNoActor && (ctx.runnable & actor_bit(id)) ? id : default_pick(ctx);
  }
  std::uint32_t pick_value(std::uint32_t, ChoiceKind) override { return 0; }

 private:
  Pick pick_;
};

}  // namespace xenrace::testing
