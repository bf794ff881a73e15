// One execution to drive a fake from test code: calls made outside any actor take no scheduling step,
// so a test reads like a sequence of system calls; actors are spawned where a test needs a process.
#pragma once
#include <memory>

#include "harness/execution.hpp"
#include "harness/fiber.hpp"
#include "harness/strategy.hpp"

namespace xenrace::testing {

struct TestExecution {
  StackPool stacks;
  std::unique_ptr<Strategy> strategy = make_strategy(StrategyOptions{"random", 1, 3, 2});
  Execution ex{*strategy, stacks, ExecutionOptions{}};
  TestExecution() { strategy->begin_execution(0); }
};

}  // namespace xenrace::testing
