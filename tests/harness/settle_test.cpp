// Execution::settle: before the verdict, a run waits for a component it only observes (a host's kernel
// driver). One that never acted leaves the run inconclusive (neither pass nor failure); what it did once it
// acted is judged by the `always` checks, re-run after the wait.
#include <gtest/gtest.h>

#include "runtime/execution.hpp"
#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {
namespace {

struct SettleTest : ::testing::Test {
  StackPool stacks;
  ReplayStrategy order{Schedule{}};
  ExecutionOptions options() {
    ExecutionOptions o;
    o.keep_trace = true;
    return o;
  }
};

TEST_F(SettleTest, AComponentThatNeverActedMakesTheRunInconclusive) {
  Execution ex(order, stacks, options());
  ex.spawn("p", [] {});
  bool at_end_ran = false;
  ex.settle("driver acted", [] { return std::string("it did not within 0 ms"); });
  ex.at_end("end", [&] {
    at_end_ran = true;
    return std::string();
  });
  const ExecutionResult r = ex.run();
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.inconclusive, "driver acted: it did not within 0 ms");
  EXPECT_FALSE(at_end_ran) << "no verdict without the observed component";
}

TEST_F(SettleTest, WhatTheComponentDidIsCheckedAfterTheWait) {
  Execution ex(order, stacks, options());
  ex.spawn("p", [] {});
  bool acted = false;
  ex.settle("driver acted", [&] {
    acted = true;  // the driver did its (wrong) thing while we waited
    return std::string();
  });
  ex.always("driver exported the right disk", [&] { return acted ? std::string("wrong disk") : std::string(); });
  const ExecutionResult r = ex.run();
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.check, "driver exported the right disk");
  EXPECT_TRUE(r.inconclusive.empty());
}

TEST_F(SettleTest, ASettledRunGetsItsNormalVerdict) {
  Execution ex(order, stacks, options());
  ex.spawn("p", [] {});
  ex.settle("driver acted", [] { return std::string(); });
  ex.at_end("end", [] { return std::string("end check broke"); });
  const ExecutionResult r = ex.run();
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.check, "end");
  EXPECT_TRUE(r.inconclusive.empty());
}

}  // namespace
}  // namespace xenrace
