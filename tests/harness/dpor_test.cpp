// dpor against brute force: on small programs whose steps name what they read and write, the executions
// dpor completes are exactly one per Mazurkiewicz trace. The traces are counted by running every
// interleaving (dfs without a bound) and keeping one canonical form per equivalence class: for each object,
// the order of the accesses to it, with each run of consecutive reads sorted (reads commute).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/execution.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/dpor_strategy.hpp"

namespace xenrace {
namespace {

struct Op {
  int object;  // 0..
  bool write;
  bool choose = false;  // the step first asks a two-way data choice; the value is part of what it writes
};
using Program = std::vector<std::vector<Op>>;  // one list of operations per actor

struct Logged {
  int actor, index, object;
  bool write;
  unsigned value;
};

// Runs `program` once under `strategy`; returns the canonical form of its trace, or "" when pruned.
std::string run_once(const Program& program, Strategy& strategy, StackPool& stacks, std::uint64_t index,
                     bool* pruned) {
  strategy.begin_execution(index);
  std::vector<Logged> log;
  ExecutionResult r;
  {
    Execution ex(strategy, stacks, ExecutionOptions{});
    for (int a = 0; a < static_cast<int>(program.size()); ++a) {
      ex.spawn(fmt::format("actor {}", a), [&ex, &log, &program, a] {
        int i = 0;
        for (const Op& op : program[a]) {
          ex.before_visible();
          const unsigned value = op.choose ? ex.choose(2, ChoiceKind::data) : 0;
          ex.sched().declare_footprint();
          ex.sched().access(object_key('t', std::uint64_t(op.object)), op.write ? AccessMode::write : AccessMode::read);
          log.push_back({a, i++, op.object, op.write, value});
        }
      });
    }
    r = ex.run();
  }
  strategy.end_execution(r.steps);
  *pruned = r.pruned;
  if (r.pruned) return {};
  std::map<int, std::vector<std::string>> per_object;
  for (const Logged& l : log) per_object[l.object];
  std::string canonical;
  for (auto& [object, unused] : per_object) {
    std::vector<std::string> order, reads;
    auto flush = [&] {
      std::sort(reads.begin(), reads.end());
      order.insert(order.end(), reads.begin(), reads.end());
      reads.clear();
    };
    for (const Logged& l : log) {
      if (l.object != object) continue;
      const std::string label = fmt::format("{}.{}{}{}", l.actor, l.index, l.write ? "w" : "r", l.value);
      if (l.write) {
        flush();
        order.push_back(label);
      } else {
        reads.push_back(label);
      }
    }
    flush();
    canonical += fmt::format("{}:{};", object, fmt::join(order, ","));
  }
  return canonical;
}

struct Outcome {
  std::set<std::string> traces;
  std::uint64_t complete = 0;
  std::uint64_t pruned = 0;
};

Outcome explore(const Program& program, Strategy& strategy) {
  StackPool stacks;
  Outcome out;
  for (std::uint64_t i = 0; strategy.has_more() && i < 200000; ++i) {
    bool pruned = false;
    std::string t = run_once(program, strategy, stacks, i, &pruned);
    if (!strategy.execution_in_shard()) continue;  // a shard's probe, or its search for the split
    if (pruned) {
      ++out.pruned;
      continue;
    }
    ++out.complete;
    out.traces.insert(t);
  }
  EXPECT_FALSE(strategy.has_more()) << "the search did not finish";
  return out;
}

// Every interleaving, dfs without a bound: the reference.
std::set<std::string> brute_force_traces(const Program& program) {
  DfsStrategy every(1000);
  return explore(program, every).traces;
}

void expect_one_execution_per_trace(const Program& program, std::size_t known = 0) {
  const std::set<std::string> reference = brute_force_traces(program);
  if (known) {
    EXPECT_EQ(reference.size(), known);
  }
  DporStrategy dpor;
  const Outcome got = explore(program, dpor);
  EXPECT_EQ(got.traces, reference) << "dpor missed or invented a trace";
  EXPECT_EQ(got.complete, reference.size()) << "dpor ran some trace twice";
}

TEST(Dpor, IndependentActorsAreOneTrace) {
  expect_one_execution_per_trace({{{0, true}, {0, true}}, {{1, true}, {1, true}}, {{2, true}}}, 1);
}

TEST(Dpor, ThreeWritersOfOneObjectAreSixTraces) {
  expect_one_execution_per_trace({{{0, true}}, {{0, true}}, {{0, true}}}, 6);
}

TEST(Dpor, ReadersCommuteWithEachOtherButNotWithTheWriter) {
  // The writer goes before or after each reader: 2 x 2 traces, although there are 6 interleavings.
  expect_one_execution_per_trace({{{0, false}}, {{0, false}}, {{0, true}}}, 4);
}

TEST(Dpor, StoreBufferingShape) {
  // A: write x, read y; B: write y, read x (the classic litmus test).
  expect_one_execution_per_trace({{{0, true}, {1, false}}, {{1, true}, {0, false}}});
}

TEST(Dpor, DataChoicesAreEnumeratedInFull) {
  expect_one_execution_per_trace({{{0, true, true}, {1, false}}, {{1, true, true}, {0, true}}});
}

TEST(Dpor, FindsFewerExecutionsThanInterleavings) {
  const Program p = {{{0, true}, {1, true}, {2, true}}, {{3, true}, {1, false}, {4, true}},
                     {{5, true}, {2, false}, {6, true}}};
  DfsStrategy every(1000);
  const Outcome all = explore(p, every);
  DporStrategy dpor;
  const Outcome reduced = explore(p, dpor);
  EXPECT_EQ(reduced.traces, all.traces);
  EXPECT_LT(reduced.complete + reduced.pruned, all.complete / 10)
      << "dpor ran " << reduced.complete << " + " << reduced.pruned << " pruned, dfs " << all.complete;
}

// A blocking lock: acquiring reads and writes the lock's object and waits while it is held; release
// wakes the waiters. Wake-ups order the woken actor after the step that woke it.
TEST(Dpor, BlockingLockTracesMatchBruteForce) {
  auto traces_of = [](Strategy& strategy) {
    StackPool stacks;
    Outcome out;
    for (std::uint64_t i = 0; strategy.has_more() && i < 100000; ++i) {
      strategy.begin_execution(i);
      std::vector<std::string> order;
      ExecutionResult r;
      {
        Execution ex(strategy, stacks, ExecutionOptions{});
        auto held = std::make_shared<int>(-1);
        auto released = std::make_shared<WaitQueue>();
        for (int a = 0; a < 3; ++a)
          ex.spawn(fmt::format("locker {}", a), [&ex, &order, held, released, a] {
            ex.before_visible();
            ex.sched().declare_footprint();
            ex.sched().access(object_key('l', std::uint64_t{0}), AccessMode::write);
            while (*held != -1) {
              ex.sched().wait(*released, "lock");
              ex.sched().access(object_key('l', std::uint64_t{0}), AccessMode::write);
            }
            *held = a;
            order.push_back(std::to_string(a));
            ex.before_visible();
            ex.sched().declare_footprint();
            ex.sched().access(object_key('l', std::uint64_t{0}), AccessMode::write);
            *held = -1;
            ex.sched().notify_all(*released);
          });
        r = ex.run();
      }
      strategy.end_execution(r.steps);
      if (r.pruned) {
        ++out.pruned;
        continue;
      }
      EXPECT_FALSE(r.failed()) << r.message;
      ++out.complete;
      out.traces.insert(fmt::format("{}", fmt::join(order, "")));
    }
    return out;
  };
  DfsStrategy every(1000);
  DporStrategy dpor;
  const Outcome all = traces_of(every);
  const Outcome reduced = traces_of(dpor);
  EXPECT_EQ(all.traces.size(), 6u);  // every order of the three critical sections
  EXPECT_EQ(reduced.traces, all.traces);
  EXPECT_LE(reduced.complete, all.complete);
}

// A step that declares nothing is dependent with every other: no reduction, no trace lost.
TEST(Dpor, UndeclaredStepsAreDependentWithEverything) {
  StackPool stacks;
  auto count = [&](Strategy& strategy) {
    std::uint64_t complete = 0;
    for (std::uint64_t i = 0; strategy.has_more() && i < 10000; ++i) {
      strategy.begin_execution(i);
      ExecutionResult r;
      {
        Execution ex(strategy, stacks, ExecutionOptions{});
        for (int a = 0; a < 3; ++a)
          ex.spawn(fmt::format("actor {}", a), [&ex] {
            ex.before_visible();  // an operation that never says what it touches
          });
        r = ex.run();
      }
      strategy.end_execution(r.steps);
      complete += !r.pruned;
    }
    return complete;
  };
  DporStrategy dpor;
  EXPECT_EQ(count(dpor), 6u);  // 3! orders: each could observe the others
}

// Two or three actors of 1 to `most_ops` operations on three objects; one operation in `one_in` first asks a
// data choice.
Program random_program(int most_ops, int one_in) {
  const int actors = *rc::gen::inRange(2, 4);
  Program p(static_cast<std::size_t>(actors));
  for (auto& ops : p) {
    const int n = *rc::gen::inRange(1, most_ops + 1);
    for (int k = 0; k < n; ++k)
      ops.push_back(Op{*rc::gen::inRange(0, 3), *rc::gen::arbitrary<bool>(), *rc::gen::inRange(0, one_in) == 0});
  }
  return p;
}

RC_GTEST_PROP(Dpor, RandomProgramsOneExecutionPerTrace, ()) {
  const Program p = random_program(3, 6);
  const std::set<std::string> reference = brute_force_traces(p);
  DporStrategy dpor;
  const Outcome got = explore(p, dpor);
  RC_ASSERT(got.traces == reference);
  RC_ASSERT(got.complete == reference.size());
}

// Bounded (--preemptions B): dpor runs exactly the traces dfs with bound B runs (those with a schedule of
// at most B preemptions), and no more executions than dfs.
void expect_the_traces_of_bounded_dfs(const Program& p, unsigned bound) {
  DfsStrategy dfs(bound);
  const Outcome reference = explore(p, dfs);
  DporStrategy dpor(0, 1, bound);
  const Outcome got = explore(p, dpor);
  EXPECT_EQ(got.traces, reference.traces) << "bound " << bound;
  EXPECT_LE(got.complete, reference.complete) << "bound " << bound;
  EXPECT_EQ(dpor.scope(), fmt::format("bound {}", bound));
}

// A: write x, read y; B: write y, read x. At bound 0 the first run is A A B B, whose race (A reads y, then
// B writes it) cannot be reversed where A read y: switching to B there preempts A. Switching to B where A
// took over (the first step, which preempts nobody) reverses it for free: B B A A.
TEST(Dpor, BoundedTriesTheRacingActorWhereTheEarlierOneTookOver) {
  for (unsigned bound = 0; bound <= 2; ++bound)
    expect_the_traces_of_bounded_dfs({{{0, true}, {1, false}}, {{1, true}, {0, false}}}, bound);
}

// Bound 0. Actor 1's read first, then actor 0's read and write, has no preemption; it is the trace of
// "0 reads, 1 reads, 0 writes", which needs one. Had actor 0 slept there for its explored sibling, that
// subtree could not afford the preemption and the trace would be lost: actor 0 could go on after its read,
// so moving the read back costs a preemption, and it stays awake (DporStrategy::may_sleep).
TEST(Dpor, BoundedSleepsOnlyWhereMovingTheSleeperBackCostsNothing) {
  expect_the_traces_of_bounded_dfs({{{0, false}, {0, true}}, {{0, false}}}, 0);
}

// Where it does cost nothing, a sleeper prunes: executions that would only repeat a trace end early, and every
// trace of bounded dfs is still run.
TEST(Dpor, BoundedSleepersPruneRepeats) {
  // A writes x, B reads x, C reads y. Each ends after its one step, so every pick is free and an explored actor
  // sleeps for its siblings: C's read commutes with both, and running it later than where it was explored only
  // repeats a trace.
  const Program p = {{{0, true}}, {{0, false}}, {{1, false}}};
  for (unsigned bound = 1; bound <= 2; ++bound) {
    expect_the_traces_of_bounded_dfs(p, bound);
    DporStrategy dpor(0, 1, bound);
    explore(p, dpor);
    EXPECT_GT(dpor.pruned(), 0u) << "bound " << bound << ": no execution was cut short by a sleeper";
  }
}

RC_GTEST_PROP(Dpor, BoundedRunsEveryTraceThatDfsRunsWithinTheBound, ()) {
  const Program p = random_program(4, 8);
  const auto bound = static_cast<unsigned>(*rc::gen::inRange(0, 3));
  DfsStrategy dfs(bound);
  const Outcome reference = explore(p, dfs);
  DporStrategy dpor(0, 1, bound);
  const Outcome got = explore(p, dpor);
  RC_ASSERT(got.traces == reference.traces);
  RC_ASSERT(got.complete <= reference.complete);
}

// Shards split the tree: their traces together are all traces.
TEST(Dpor, ShardsTogetherCoverEveryTrace) {
  const Program p = {{{0, true}, {1, false}}, {{1, true}, {0, false}}, {{0, false}, {1, true}}};
  const std::set<std::string> reference = brute_force_traces(p);
  std::set<std::string> united;
  std::uint64_t total = 0;
  for (unsigned k = 0; k < 3; ++k) {
    DporStrategy shard(k, 3);
    const Outcome got = explore(p, shard);
    united.insert(got.traces.begin(), got.traces.end());
    total += got.complete;
  }
  EXPECT_EQ(united, reference);
  EXPECT_GE(total, reference.size());
}

// Unbounded, the actors at the split sleep across shards as explored siblings do in one search (each
// shard probes the other shards' actors placed before its own): on programs whose steps read and write,
// the shards together complete one execution per trace, as one search does.
RC_GTEST_PROP(Dpor, ShardsTogetherRunEveryTraceOnce, ()) {
  const Program p = random_program(3, 6);
  const auto count = static_cast<unsigned>(*rc::gen::inRange(2, 5));
  const std::set<std::string> reference = brute_force_traces(p);
  std::set<std::string> united;
  std::uint64_t total = 0;
  for (unsigned k = 0; k < count; ++k) {
    DporStrategy shard(k, count);
    const Outcome got = explore(p, shard);
    united.insert(got.traces.begin(), got.traces.end());
    total += got.complete;
  }
  RC_ASSERT(united == reference);
  RC_ASSERT(total == reference.size());
}

// Bounded, the shards together still run every trace that dfs runs within the bound, and no more
// executions than dfs.
RC_GTEST_PROP(Dpor, BoundedShardsTogetherRunEveryTraceWithinTheBound, ()) {
  const Program p = random_program(4, 8);
  const auto bound = static_cast<unsigned>(*rc::gen::inRange(0, 3));
  const auto count = static_cast<unsigned>(*rc::gen::inRange(2, 5));
  DfsStrategy dfs(bound);
  const Outcome reference = explore(p, dfs);
  std::set<std::string> united;
  std::uint64_t total = 0;
  for (unsigned k = 0; k < count; ++k) {
    DporStrategy shard(k, count, bound);
    const Outcome got = explore(p, shard);
    united.insert(got.traces.begin(), got.traces.end());
    total += got.complete;
  }
  RC_ASSERT(united == reference.traces);
  RC_ASSERT(total <= reference.complete);
}

// A fault or data choice before any actor choice is split too: each value goes to one shard.
TEST(Dpor, ShardsSplitAValueChoiceMadeBeforeAnyActorChoice) {
  const Program p = {{{0, true, true}, {1, true}}};  // one actor: its choice is the only branching
  const std::set<std::string> reference = brute_force_traces(p);
  ASSERT_EQ(reference.size(), 2u);
  std::set<std::string> united;
  for (unsigned k = 0; k < 2; ++k) {
    DporStrategy shard(k, 2);
    const Outcome got = explore(p, shard);
    EXPECT_EQ(got.complete, 1u) << "shard " << k;
    united.insert(got.traces.begin(), got.traces.end());
  }
  EXPECT_EQ(united, reference);
  DporStrategy third(2, 3);  // a shard with no value of its own runs nothing
  EXPECT_EQ(explore(p, third).complete, 0u);
}

}  // namespace
}  // namespace xenrace
