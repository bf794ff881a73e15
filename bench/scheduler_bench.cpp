// The hot path: one scheduling step (suspend an actor at a visible operation, ask the strategy, resume
// the chosen one), and whole executions of a 100-step scenario including setup and teardown.
#include <benchmark/benchmark.h>

#include "runtime/execution.hpp"
#include "runtime/strategies/pct_strategy.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "world/visible_op.hpp"

namespace xenrace {
namespace {

void spawn_pingpong(Execution& ex, int steps_each) {
  for (const char* name : {"ping", "pong"})
    ex.spawn(name, [&ex, steps_each] {
      for (int i = 0; i < steps_each; ++i) ex.before_visible();
    });
}

template <class S>
void BM_SchedulingStep(benchmark::State& state) {
  StackPool stacks;
  S strategy = [] {
    if constexpr (std::is_same_v<S, PctStrategy>) return PctStrategy(1, 3);
    else return RandomStrategy(1);
  }();
  constexpr int kSteps = 100000;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    strategy.begin_execution(0);
    ExecutionOptions o;
    o.max_steps = 10 * kSteps;
    Execution ex(strategy, stacks, o);
    spawn_pingpong(ex, kSteps / 2);
    steps += ex.run().steps;
  }
  // Time per step is 1 / steps_per_s (e.g. 20M steps/s = 50 ns a step).
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulingStep<RandomStrategy>)->Name("scheduling_step/random")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SchedulingStep<PctStrategy>)->Name("scheduling_step/pct")->Unit(benchmark::kMillisecond);

// A visible operation with its trace record: written out by hand, and through the choke point (visible_op),
// which must cost the same.
enum class BenchPoint : std::uint8_t { none };
template <int Kind>
void BM_VisibleOp(benchmark::State& state) {
  StackPool stacks;
  RandomStrategy strategy(1);
  constexpr int kSteps = 100000;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    strategy.begin_execution(0);
    ExecutionOptions o;
    o.max_steps = 10 * kSteps;
    Execution ex(strategy, stacks, o);
    int value = 0;
    for (const char* name : {"ping", "pong"})
      ex.spawn(name, [&ex, &value] {
        for (int i = 0; i < kSteps / 2; ++i) {
          if constexpr (Kind == 0) {
            ex.before_visible();
            const Errno e = ++value < 0 ? EINVAL : 0;
            ex.record("bench.op", "arg", errno_name(e));
          } else if constexpr (Kind == 1) {
            visible_op(ex, "bench.op", "arg", [&]() -> Errno { return ++value < 0 ? EINVAL : 0; });
          } else {
            visible_op(ex, "bench.op", Fault{BenchPoint::none}, "arg", [&]() -> Errno { return ++value < 0 ? EINVAL : 0; });
          }
        }
      });
    steps += ex.run().steps;
  }
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VisibleOp<0>)->Name("visible_op/by_hand")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VisibleOp<1>)->Name("visible_op/choke_point")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VisibleOp<2>)->Name("visible_op/choke_point_with_fault_point")->Unit(benchmark::kMillisecond);

void BM_Execution100Steps(benchmark::State& state) {
  StackPool stacks;
  RandomStrategy strategy(1);
  std::uint64_t i = 0;
  for (auto _ : state) {
    strategy.begin_execution(i++);
    ExecutionOptions o;
    Execution ex(strategy, stacks, o);
    spawn_pingpong(ex, 50);
    benchmark::DoNotOptimize(ex.run());
  }
  state.counters["executions_per_s"] = benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Execution100Steps)->Name("execution_100_steps")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace xenrace

BENCHMARK_MAIN();
