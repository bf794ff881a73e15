// Process actors talking to the simulated xenstored: real xenstore-read/-write (libxenstore over
// XENSTORED_PATH) against the same store the fiber actors use, each request a step of the actor. Every test
// skips, saying why, where seccomp user notification is unavailable or the xenstore tools are not installed.
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "process_test_support.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {
namespace {

#define SKIP_WITHOUT_PROCESS_XENSTORE()                                                                  \
  do {                                                                                                   \
    if (const std::string& why = process::process_actors_unsupported(); !why.empty())                    \
      GTEST_SKIP() << "process actors are unsupported here: " << why;                                    \
    if (process::find_program("xenstore-write", kXenStoreEnv).empty() || process::find_program("xenstore-read", kXenStoreEnv).empty()) \
      GTEST_SKIP() << "xenstore-read and xenstore-write are not installed (Debian package xenstore-utils)"; \
  } while (0)

const std::vector<std::string> kXenStoreEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C"};

ProcessOptions using_store(std::vector<std::string> env, SimXenStore& xs) {
  ProcessOptions o;
  o.env = std::move(env);
  o.xenstore = &xs.for_processes();
  return o;
}

using testing::keep_trace;
using testing::trace_text;

std::string value_at(SimXenStore& xs, const char* path) {
  const xs::Node* n = xs.model().peek(path);
  return n == nullptr ? "(none)" : n->value;
}

struct StoreRun {
  ExecutionResult result;
  std::string final_value;
};

// (a) A script reads what setup wrote and writes what it saw.
StoreRun run_reader(Strategy& strategy) {
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  SimXenStore xs(ex);
  xs.connect()->write(kNoTx, "/test/a", "hello");
  spawn_process(ex, "script", {"sh", "-c", "v=$(xenstore-read /test/a) && xenstore-write /test/b \"$v-seen\""},
                using_store(kXenStoreEnv, xs));
  StoreRun run;
  run.result = ex.run();
  run.final_value = value_at(xs, "/test/b");
  return run;
}

TEST(ProcessXenStore, AScriptReadsAndWritesTheSimulatedStore) {
  SKIP_WITHOUT_PROCESS_XENSTORE();
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  const StoreRun first = run_reader(strategy);
  ASSERT_FALSE(first.result.failed()) << first.result.message << "\n" << trace_text(first.result);
  EXPECT_EQ(first.final_value, "hello-seen");
  const std::string text = trace_text(first.result);
  // p2 is xenstore-read, p3 xenstore-write; each connection closes when its program exits.
  EXPECT_NE(text.find("xs.connect p2 -> c1"), std::string::npos) << text;
  EXPECT_NE(text.find("xs.read p2/c1 /test/a -> hello"), std::string::npos) << text;
  EXPECT_NE(text.find("xs.close p2/c1 -> OK"), std::string::npos) << text;
  EXPECT_NE(text.find("xs.connect p3 -> c2"), std::string::npos) << text;
  EXPECT_NE(text.find("xs.write p3/c2 /test/b=hello-seen -> OK"), std::string::npos) << text;
  // The same trace, byte for byte, on every run and under other seeds (it is alone).
  for (std::uint64_t seed : {1, 2, 1, 7}) {
    RandomStrategy again(seed);
    again.begin_execution(0);
    const StoreRun r = run_reader(again);
    EXPECT_EQ(trace_text(r.result), text) << "seed " << seed;
  }
}

// (b) Two scripts increment one node with a read and a write. Without a lock an update can be lost; with
// flock(1) around the read-modify-write it never is.
const char* const kIncrement = "v=$(xenstore-read /counter) && xenstore-write /counter $((v + 1))";
const char* const kLockedIncrement =
    "exec 9>>\"$LOCK\" && flock 9 && v=$(xenstore-read /counter) && xenstore-write /counter $((v + 1))";

StoreRun run_incrementers(Strategy& strategy, bool locked, const std::string& lock) {
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  SimXenStore xs(ex);
  xs.connect()->write(kNoTx, "/counter", "0");
  std::vector<std::string> env = kXenStoreEnv;
  env.push_back("LOCK=" + lock);
  for (const char* name : {"A", "B"})
    spawn_process(ex, fmt::format("increment{}", name), {"sh", "-c", locked ? kLockedIncrement : kIncrement},
                  using_store(env, xs));
  ex.at_end("both increments count", [&xs] {
    const std::string v = value_at(xs, "/counter");
    return v == "2" ? std::string() : fmt::format("/counter is {} after two increments", v);
  });
  StoreRun run;
  run.result = ex.run();
  run.final_value = value_at(xs, "/counter");
  return run;
}

std::string lock_file() {
  return (std::filesystem::temp_directory_path() / fmt::format("xenrace-xs-lock-{}", getpid())).string();
}

TEST(ProcessXenStore, ExplorationFindsTheLostUpdateAndItsReplayReproducesIt) {
  SKIP_WITHOUT_PROCESS_XENSTORE();
  const std::string lock = lock_file();
  std::set<std::string> outcomes;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const StoreRun run = run_incrementers(strategy, false, lock);
    outcomes.insert(run.final_value);
    if (!run.result.failed()) continue;
    EXPECT_EQ(run.final_value, "1");
    EXPECT_NE(run.result.message.find("/counter is 1 after two increments"), std::string::npos) << run.result.message;
    // The failing schedule replays to the same trace and the same lost update.
    ReplayStrategy replay(run.result.schedule);
    replay.begin_execution(0);
    const StoreRun again = run_incrementers(replay, false, lock);
    EXPECT_EQ(replay.divergence(), "");
    EXPECT_EQ(trace_text(again.result), trace_text(run.result));
    EXPECT_EQ(again.final_value, "1");
    std::filesystem::remove(lock);
    return;
  }
  std::filesystem::remove(lock);
  FAIL() << "no seed of 40 lost an update; outcomes seen: " << fmt::format("{}", fmt::join(outcomes, " "));
}

// (c) Faults on a program's requests: the failure points of fiber actors' requests apply to process actors'
// too, and the refused request reaches the real program as its errno. dfs over xenstore/write: no fault,
// then each of the catalogue's errors; the script records the refusal with a second (unfaulted) write.
struct FaultRun {
  ExecutionResult result;
  std::string written;
  std::string status;
};

FaultRun run_refused_write(Strategy& strategy) {
  StackPool stacks;
  ExecutionOptions o = keep_trace();
  o.params = {{"faults", "xenstore/write"}, {"max-faults", "1"}};
  Execution ex(strategy, stacks, o);
  SimXenStore xs(ex);
  spawn_process(ex, "script", {"sh", "-c", "xenstore-write /test/b x 2>/dev/null || xenstore-write /test/status refused"},
                using_store(kXenStoreEnv, xs));
  FaultRun run;
  run.result = ex.run();
  run.written = value_at(xs, "/test/b");
  run.status = value_at(xs, "/test/status");
  return run;
}

TEST(ProcessXenStore, AFaultRefusesAProgramsRequestWithItsErrno) {
  SKIP_WITHOUT_PROCESS_XENSTORE();
  DfsStrategy strategy(1);
  std::set<std::string> refusals;
  int executions = 0;
  for (std::uint64_t i = 0; strategy.has_more() && i < 20; ++i) {
    strategy.begin_execution(i);
    const FaultRun run = run_refused_write(strategy);
    strategy.end_execution(run.result.steps);
    ++executions;
    const std::string text = trace_text(run.result);
    ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << text;
    const std::size_t fault = text.find("fault.xenstore/write /test/b -> ");
    if (fault == std::string::npos) {
      EXPECT_EQ(run.written, "x") << text;
      EXPECT_EQ(run.status, "(none)") << text;
      continue;
    }
    // Refused: nothing written, and xenstore-write saw the error and failed.
    const std::string err = text.substr(fault + 32, text.find('\n', fault) - fault - 32);
    refusals.insert(err);
    EXPECT_NE(text.find("xs.write p2/c1 /test/b=x -> " + err), std::string::npos) << text;
    EXPECT_EQ(run.written, "(none)") << text;
    EXPECT_EQ(run.status, "refused") << text;
    // The fault is a recorded choice: the schedule replays to the same trace.
    ReplayStrategy replay(run.result.schedule);
    replay.begin_execution(0);
    const FaultRun again = run_refused_write(replay);
    EXPECT_EQ(trace_text(again.result), text);
  }
  EXPECT_FALSE(strategy.has_more());
  EXPECT_EQ(refusals, (std::set<std::string>{"ENOSPC", "EACCES", "E2BIG"})) << executions << " executions";
}

TEST(ProcessXenStore, TheLockedIncrementNeverLosesAnUpdate) {
  SKIP_WITHOUT_PROCESS_XENSTORE();
  const std::string lock = lock_file();
  DfsStrategy strategy(1);
  int executions = 0;
  for (std::uint64_t i = 0; strategy.has_more() && i < 3000; ++i) {
    strategy.begin_execution(i);
    const StoreRun run = run_incrementers(strategy, true, lock);
    strategy.end_execution(run.result.steps);
    ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
    ++executions;
  }
  std::filesystem::remove(lock);
  EXPECT_FALSE(strategy.has_more()) << "preemption bound 1 not exhausted in " << executions << " executions";
  EXPECT_GT(executions, 2);
  RecordProperty("executions", executions);
}

}  // namespace
}  // namespace xenrace

namespace xenrace {
namespace {

// (d) Watch events cross over both ways: a script's xenstore-watch sees a fiber actor's write, and the fiber
// actor's watch sees the script's write.
StoreRun run_watchers(Strategy& strategy) {
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  SimXenStore xs(ex);
  xs.connect()->write(kNoTx, "/test/dir", "");
  // The first event is the watch's own registration event (/test/dir); the second, the fiber actor's write
  // (/test/dir/flag). Had they been the same path, xenstored would drop the second while the first is queued.
  spawn_process(ex, "watcher", {"sh", "-c", "xenstore-watch -n 2 /test/dir >/dev/null && xenstore-write /test/seen yes"},
                using_store(kXenStoreEnv, xs));
  auto conn = std::shared_ptr<XsConnection>(xs.connect());
  ex.spawn("writer", [conn] {
    conn->watch("/test/seen", "seen");
    conn->read_watch();  // its registration event
    conn->write(kNoTx, "/test/dir/flag", "1");
    auto ev = conn->read_watch();
    return ev.ok() && ev.value.path == "/test/seen" ? ActorStatus::ok() : ActorStatus::fail("no event for /test/seen");
  });
  StoreRun run;
  run.result = ex.run();
  run.final_value = value_at(xs, "/test/seen");
  return run;
}

TEST(ProcessXenStore, WatchEventsCrossBetweenScriptsAndFiberActors) {
  SKIP_WITHOUT_PROCESS_XENSTORE();
  if (process::find_program("xenstore-watch", kXenStoreEnv).empty()) GTEST_SKIP() << "xenstore-watch is not installed";
  // Two outcomes, both real: the write lands after the script's watch is registered, and every event
  // crosses; or before it, and the script waits forever for an event that will not come (a wait on a
  // change that already happened), which the scheduler reports as a deadlock.
  int crossed = 0;
  int missed = 0;
  for (std::uint64_t seed = 1; seed <= 16; ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const StoreRun run = run_watchers(strategy);
    const std::string text = trace_text(run.result);
    if (run.result.failed()) {
      EXPECT_NE(run.result.message.find("watcher (waiting for xenstore)"), std::string::npos) << run.result.message;
      const std::size_t write = text.find("xs.write /test/dir/flag=1");
      const std::size_t watch = text.find("xs.watch p2/c1 /test/dir");
      EXPECT_TRUE(write != std::string::npos && watch != std::string::npos && write < watch) << text;
      ++missed;
      continue;
    }
    EXPECT_EQ(run.final_value, "yes");
    EXPECT_NE(text.find("xs.watch_event p2/c1 /test/dir/flag /test/dir"), std::string::npos) << text;
    EXPECT_NE(text.find("xs.write p3/c2 /test/seen=yes"), std::string::npos) << text;
    ++crossed;
  }
  EXPECT_GT(crossed, 0);
  EXPECT_GT(missed, 0);
}

// (e) One script, two children at once: the OS may run either first, so which of their held calls is
// answered first is a recorded choice. dfs reaches both last writers, and each schedule replays.
StoreRun run_two_children(Strategy& strategy) {
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  SimXenStore xs(ex);
  spawn_process(ex, "script", {"sh", "-c", "xenstore-write /test/last first & xenstore-write /test/last second & wait"},
                using_store(kXenStoreEnv, xs));
  StoreRun run;
  run.result = ex.run();
  run.final_value = value_at(xs, "/test/last");
  return run;
}

TEST(ProcessXenStore, WhichChildOfOneScriptGoesFirstIsExplored) {
  SKIP_WITHOUT_PROCESS_XENSTORE();
  DfsStrategy strategy(1);
  std::set<std::string> last;
  for (std::uint64_t i = 0; strategy.has_more() && i < 200; ++i) {
    strategy.begin_execution(i);
    const StoreRun run = run_two_children(strategy);
    strategy.end_execution(run.result.steps);
    ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
    if (!last.insert(run.final_value).second) continue;
    ReplayStrategy replay(run.result.schedule);
    replay.begin_execution(0);
    const StoreRun again = run_two_children(replay);
    EXPECT_EQ(replay.divergence(), "");
    EXPECT_EQ(trace_text(again.result), trace_text(run.result));
    EXPECT_EQ(again.final_value, run.final_value);
  }
  EXPECT_EQ(last, (std::set<std::string>{"first", "second"}));
}

}  // namespace
}  // namespace xenrace
