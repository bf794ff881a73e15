// Process actors (runtime/process/): real programs under the scheduler. Every test skips, saying why, where
// seccomp user notification (or pidfd_getfd) is unavailable.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "runtime/execution.hpp"
#include "process_test_support.hpp"
#include "runtime/process/cpu_slot.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {
namespace {

#define SKIP_WITHOUT_PROCESS_ACTORS()                                                    \
  do {                                                                                   \
    if (const std::string& why = process::process_actors_unsupported(); !why.empty())    \
      GTEST_SKIP() << "process actors are unsupported here: " << why;                    \
  } while (0)

using testing::keep_trace;
using testing::trace_text;

// A fresh directory for one test's files, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "xenrace-process-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const char* name) const { return (path / name).string(); }
};

std::vector<std::string> lines_of(const std::string& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C"};

// (a) A script that forks and execs: the same trace on every run, and under any seed when it is alone.
const char* const kForkingScript =
    "/bin/true; /bin/echo one >/dev/null; (/bin/echo two) >/dev/null; v=$(/bin/echo three); "
    "test \"$v\" = three; exit 0";

// One `sh -c script` actor alone, under random(seed).
ExecutionResult run_script(const std::string& script, const std::vector<std::string>& env, std::uint64_t seed) {
  StackPool stacks;
  RandomStrategy strategy(seed);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, keep_trace());
  spawn_process(ex, "script", {"sh", "-c", script}, env);
  return ex.run();
}

ExecutionResult run_forking_script(std::uint64_t seed) { return run_script(kForkingScript, kEnv, seed); }

TEST(ProcessActor, ForkingScriptGivesTheSameTraceEveryRun) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const ExecutionResult first = run_forking_script(1);
  ASSERT_FALSE(first.failed()) << first.message << "\n" << trace_text(first);
  const std::string text = trace_text(first);
  EXPECT_NE(text.find("proc.exec p1 sh"), std::string::npos) << text;
  EXPECT_NE(text.find("proc.fork p1"), std::string::npos) << text;
  EXPECT_NE(text.find("proc.new p2 -> child of p1"), std::string::npos) << text;
  EXPECT_NE(text.find("proc.exec p3 echo"), std::string::npos) << text;
  EXPECT_NE(text.find("proc.exit p1 0"), std::string::npos) << text;
  for (int again = 0; again < 3; ++again) {
    const ExecutionResult r = run_forking_script(1);
    EXPECT_EQ(trace_text(r), text);
    EXPECT_EQ(r.trace_hash, first.trace_hash);
  }
  const ExecutionResult other_seed = run_forking_script(99);
  EXPECT_EQ(trace_text(other_seed), text);
  EXPECT_EQ(other_seed.trace_hash, first.trace_hash);
}

// Background jobs run in parallel in the kernel. Which of their held calls is answered first is the
// strategy's choice (ProcessXenStore.WhichChildOfOneScriptGoesFirstIsExplored), so a seed gives one trace on
// every run, whatever ran between.
TEST(ProcessActor, BackgroundJobsGiveTheSameTraceForTheSameSeed) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  auto run = [](std::uint64_t seed) {
    StackPool stacks;
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    Execution ex(strategy, stacks, keep_trace());
    spawn_process(ex, "jobs", {"sh", "-c", "/bin/true & /bin/echo x >/dev/null & (/bin/true; /bin/true) & wait"}, kEnv);
    return ex.run();
  };
  std::map<std::uint64_t, std::string> seen;
  for (std::uint64_t seed : {1, 2, 1, 3, 2, 1, 3}) {
    const ExecutionResult r = run(seed);
    ASSERT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
    const auto [it, first] = seen.emplace(seed, trace_text(r));
    if (!first) {
      EXPECT_EQ(trace_text(r), it->second) << "seed " << seed;
    }
  }
}

// Two subshells of one script contend for a lock: the waiter parks while the holder, in the same tree, goes on.
TEST(ProcessActor, ALockWaiterInsideOneTreeLetsItsHolderRun) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  TempDir dir;
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, keep_trace());
  std::vector<std::string> env = kEnv;
  env.push_back("LOCK=" + dir.file("lock"));
  spawn_process(ex, "pair",
                {"sh", "-c",
                 "(exec 9>>\"$LOCK\"; flock 9; /bin/true; /bin/true; flock -u 9) & "
                 "(exec 9>>\"$LOCK\"; flock 9; /bin/true; flock -u 9) & wait"},
                env);
  const ExecutionResult r = ex.run();
  ASSERT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
  const std::string text = trace_text(r);
  EXPECT_NE(text.find("LOCK_EX -> parked"), std::string::npos) << text;
}

TEST(ProcessActor, ANonZeroExitFailsTheActor) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  StackPool stacks;
  RandomStrategy strategy(1);
  Execution ex(strategy, stacks, keep_trace());
  spawn_process(ex, "script", {"sh", "-c", "/bin/true; exit 3"}, kEnv);
  const ExecutionResult r = ex.run();
  EXPECT_EQ(r.outcome, Outcome::actor_failed);
  EXPECT_NE(r.message.find("script failed: p1 exited with status 3"), std::string::npos) << r.message;
}

// A failed program's log has its say in the verdict: its first line with "error", where a pid of the tree in
// brackets is named by its ordinal (the verdict is part of the trace, and real pids differ from run to run).
TEST(ProcessActor, AFailuresLogSaysWhyWithTheTreesPidsAsOrdinals) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const std::filesystem::path log =
      std::filesystem::temp_directory_path() / fmt::format("xenrace-failure-log-{}", getpid());
  std::filesystem::remove(log);
  StackPool stacks;
  RandomStrategy strategy(1);
  Execution ex(strategy, stacks, keep_trace());
  ProcessOptions o;
  o.env = kEnv;
  o.failure_log = log.string();
  spawn_process(ex, "tool",
                {"sh", "-c",
                 fmt::format("echo starting >>{0}; echo \"tool: error: child [$$] went wrong\" >>{0}; "
                             "echo 'tool: error: and so did this' >>{0}; exit 2",
                             log.string())},
                o);
  const ExecutionResult r = ex.run();
  std::filesystem::remove(log);
  EXPECT_EQ(r.outcome, Outcome::actor_failed);
  EXPECT_EQ(r.message, "tool failed: p1 exited with status 2: tool: error: child [p1] went wrong");
}

TEST(ProcessActor, BadInputIsRefusedByName) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  StackPool stacks;
  RandomStrategy strategy(1);
  Execution ex(strategy, stacks, keep_trace());
  EXPECT_THROW(spawn_process(ex, "empty", {}, kEnv), std::invalid_argument);
  try {
    spawn_process(ex, "missing", {"no-such-program-xenrace"}, kEnv);
    FAIL() << "a missing program was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-program-xenrace"), std::string::npos) << e.what();
  }
}

// (b, c) Two scripts take one lock with the real flock(1).
const char* const kLockingScript =
    "exec 9>>\"$LOCK\"; flock 9; echo \"$NAME in\" >>\"$LOG\"; /bin/true; echo \"$NAME out\" >>\"$LOG\"; "
    "flock -u 9";

// The log shows every holder leave before the next one enters.
std::string log_is_nested(const std::string& log) {
  std::string inside;
  for (const auto& line : lines_of(log)) {
    const auto space = line.find(' ');
    const std::string who = line.substr(0, space), what = line.substr(space + 1);
    if (what == "in") {
      if (!inside.empty()) return fmt::format("{} entered while {} held the lock", who, inside);
      inside = who;
    } else if (what == "out") {
      if (inside != who) return fmt::format("{} left a lock it did not hold", who);
      inside.clear();
    }
  }
  return "";
}

struct LockRun {
  ExecutionResult result;
  std::string first_holder;
  bool parked = false;
};

LockRun run_lockers(Strategy& strategy, const TempDir& dir, std::vector<std::string> argv = {"sh", "-c", kLockingScript},
                    const char* lock_op = "proc.flock", const char* mode = "") {
  std::filesystem::remove(dir.file("log"));
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  const std::string log = dir.file("log");
  for (const char* name : {"A", "B"}) {
    std::vector<std::string> env = kEnv;
    env.push_back("LOCK=" + dir.file("lock"));
    env.push_back("LOG=" + log);
    env.push_back(std::string("NAME=") + name);
    env.push_back(std::string("MODE=") + mode);
    spawn_process(ex, fmt::format("locker{}", name), argv, env);
  }
  ex.always("one holder at a time", [&log] { return log_is_nested(log); });
  LockRun run;
  run.result = ex.run();
  const auto lines = lines_of(log);
  if (!lines.empty()) run.first_holder = lines.front().substr(0, 1);
  for (const auto& e : run.result.events)
    if (e.op == lock_op && e.result == "parked") run.parked = true;
  return run;
}

TEST(ProcessActor, TwoFlockScriptsNeverHoldTheLockTogether) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  TempDir dir;
  std::set<std::string> first_holders;
  bool some_parked = false;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const LockRun run = run_lockers(strategy, dir);
    ASSERT_FALSE(run.result.failed()) << "seed " << seed << ": " << run.result.message << "\n" << trace_text(run.result);
    EXPECT_EQ(lines_of(dir.file("log")).size(), 4u);
    first_holders.insert(run.first_holder);
    some_parked |= run.parked;
  }
  // (c) Exploring finds both orders, and a waiter that parked in the supervisor, not in the kernel.
  EXPECT_EQ(first_holders, (std::set<std::string>{"A", "B"}));
  EXPECT_TRUE(some_parked) << "no seed made one script wait for the other's lock";
}

// The same with fcntl record locks (python3's fcntl module): classic POSIX locks (lockf) and open file
// description locks (F_OFD_SETLKW). A fork and exec inside the lock gives the other locker its chances.
const char* const kFcntlLocker = R"(
import fcntl, os, struct, subprocess
fd = os.open(os.environ['LOCK'], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
def lock(kind, wait):
    if os.environ['MODE'] == 'ofd':
        fcntl.fcntl(fd, fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK, struct.pack('hhqqi4x', kind, 0, 0, 0, 0))
    else:
        fcntl.lockf(fd, fcntl.LOCK_EX if kind == fcntl.F_WRLCK else fcntl.LOCK_UN)
def log(what):
    with open(os.environ['LOG'], 'a') as f:
        f.write(os.environ['NAME'] + ' ' + what + '\n')
lock(fcntl.F_WRLCK, True)
log('in')
subprocess.run(['/bin/true'])
log('out')
lock(fcntl.F_UNLCK, False)
)";

TEST(ProcessActor, TwoFcntlLockersNeverHoldTheLockTogether) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  if (process::find_program("python3", kEnv).empty()) GTEST_SKIP() << "python3 is not installed";
  TempDir dir;
  for (const char* mode : {"posix", "ofd"}) {
    std::set<std::string> first_holders;
    bool some_parked = false;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
      RandomStrategy strategy(seed);
      strategy.begin_execution(0);
      const LockRun run = run_lockers(strategy, dir, {"python3", "-c", kFcntlLocker}, "proc.fcntl", mode);
      ASSERT_FALSE(run.result.failed()) << mode << " seed " << seed << ": " << run.result.message << "\n"
                                        << trace_text(run.result);
      EXPECT_EQ(lines_of(dir.file("log")).size(), 4u) << mode;
      first_holders.insert(run.first_holder);
      some_parked |= run.parked;
    }
    EXPECT_EQ(first_holders, (std::set<std::string>{"A", "B"})) << mode;
    EXPECT_TRUE(some_parked) << mode << ": no seed made one locker wait for the other's lock";
  }
}

TEST(ProcessActor, ReplayingARecordedScheduleReproducesTheTrace) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  TempDir dir;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const LockRun recorded = run_lockers(strategy, dir);
    ASSERT_FALSE(recorded.result.failed()) << recorded.result.message;
    if (!recorded.parked) continue;  // replay the more interesting kind: one that waited
    ReplayStrategy replay(recorded.result.schedule);
    replay.begin_execution(0);
    const LockRun again = run_lockers(replay, dir);
    EXPECT_EQ(replay.divergence(), "");
    EXPECT_EQ(trace_text(again.result), trace_text(recorded.result));
    EXPECT_EQ(again.result.trace_hash, recorded.result.trace_hash);
    return;
  }
  FAIL() << "no seed made one script wait for the other's lock";
}

TEST(ProcessActor, DfsFindsBothOrdersOfTheLockHolders) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  TempDir dir;
  DfsStrategy strategy(1);
  std::set<std::string> first_holders;
  int executions = 0;
  for (std::uint64_t i = 0; strategy.has_more() && i < 400; ++i) {
    strategy.begin_execution(i);
    const LockRun run = run_lockers(strategy, dir);
    strategy.end_execution(run.result.steps);
    ASSERT_FALSE(run.result.failed()) << run.result.message;
    first_holders.insert(run.first_holder);
    ++executions;
  }
  EXPECT_FALSE(strategy.has_more()) << "preemption bound 1 not exhausted in " << executions << " executions";
  EXPECT_GT(executions, 2);
  RecordProperty("executions", executions);
  EXPECT_EQ(first_holders, (std::set<std::string>{"A", "B"}));
}

// Two scripts taking two locks in opposite orders: exploring finds the deadlock, reported as one.
TEST(ProcessActor, LockOrderInversionIsFoundAsADeadlock) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  TempDir dir;
  bool deadlocked = false;
  for (std::uint64_t seed = 1; seed <= 30 && !deadlocked; ++seed) {
    StackPool stacks;
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    Execution ex(strategy, stacks, keep_trace());
    const char* const script =
        "exec 8>>\"$FIRST\" 9>>\"$SECOND\"; flock 8; /bin/true; flock 9; flock -u 9; flock -u 8";
    for (const auto& [name, first, second] : {std::tuple{"AB", "a", "b"}, std::tuple{"BA", "b", "a"}}) {
      std::vector<std::string> env = kEnv;
      env.push_back(std::string("FIRST=") + dir.file(first));
      env.push_back(std::string("SECOND=") + dir.file(second));
      spawn_process(ex, name, {"sh", "-c", script}, env);
    }
    const ExecutionResult r = ex.run();
    if (r.outcome == Outcome::deadlock) {
      deadlocked = true;
      EXPECT_NE(r.message.find("AB (waiting for flock)"), std::string::npos) << r.message;
      EXPECT_NE(r.message.find("BA (waiting for flock)"), std::string::npos) << r.message;
    } else {
      ASSERT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
    }
  }
  EXPECT_TRUE(deadlocked) << "no seed in 30 interleaved the two lock orders";
  siginfo_t info{};
  EXPECT_NE(waitid(P_ALL, 0, &info, WEXITED | WNOHANG), 0) << "a deadlocked tree was left behind";
}

// (d) Killing a process actor leaves no process behind, and no fd.
int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST(ProcessActor, KillingTheActorKillsAndReapsItsWholeTree) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  TempDir dir;
  const std::string pids = dir.file("pids");
  process::keep_process_actors_on_one_cpu();  // its claim is one fd held for the process's life, by design: not a leak
  const int fds_before = open_fds();
  {
    StackPool stacks;
    RandomStrategy strategy(3);
    strategy.begin_execution(0);
    Execution ex(strategy, stacks, keep_trace());
    std::vector<std::string> env = kEnv;
    env.push_back("PIDS=" + pids);
    const ActorId looper = spawn_process(
        ex, "looper",
        {"sh", "-c", "/bin/sleep 1000 & echo $! >>\"$PIDS\"; echo $$ >>\"$PIDS\"; while :; do /bin/true; done"}, env);
    ex.spawn("killer", [&] {
      ex.wait_until([&] { return lines_of(pids).size() == 2; }, "both pids written");
      for (int i = 0; i < 5; ++i) {
        ex.before_visible();
        ex.record("killer.tick", "", "");
      }
      ex.sched().kill(looper);
    });
    const ExecutionResult r = ex.run();
    ASSERT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
    EXPECT_TRUE(ex.sched().killed(looper));
  }
  const auto written = lines_of(pids);
  ASSERT_EQ(written.size(), 2u);
  for (const auto& line : written) {
    const pid_t pid = static_cast<pid_t>(std::stol(line));
    // Reaped, not just dead: not even a zombie is left to open.
    const long fd = syscall(SYS_pidfd_open, pid, 0);
    EXPECT_LT(fd, 0) << "pid " << pid << " still exists";
    if (fd >= 0) close(static_cast<int>(fd));
    else EXPECT_EQ(errno, ESRCH);
  }
  // No child of this process is left unreaped.
  siginfo_t info{};
  EXPECT_NE(waitid(P_ALL, 0, &info, WEXITED | WNOHANG), 0);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(open_fds(), fds_before);
}

// The supervisor's thread and the tree it starts share one CPU (cpu_slot.hpp).
TEST(ProcessActor, TheTreeRunsOnTheSupervisorsOneCpu) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  // Not this thread's affinity: an earlier test of this process may have pinned it already.
  if (sysconf(_SC_NPROCESSORS_ONLN) <= 1) GTEST_SKIP() << "one CPU here: nothing to pin";
  TempDir dir;
  const std::string out = dir.file("cpus");
  std::vector<std::string> env = kEnv;
  env.push_back("OUT=" + out);
  const ExecutionResult r = run_script("grep Cpus_allowed_list: /proc/self/status >\"$OUT\"", env, 1);
  ASSERT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof(after), &after), 0);
  ASSERT_EQ(CPU_COUNT(&after), 1);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &after)) ++cpu;
  EXPECT_EQ(lines_of(out), std::vector<std::string>{fmt::format("Cpus_allowed_list:\t{}", cpu)});
}

// Claims go to CPUs nobody holds, and a closed claim is free again; a unique prefix keeps other processes'
// claims (ctest's parallel tests) out of the count.
TEST(CpuSlot, EachClaimTakesAFreeCpuAndAClosedOneIsFreeAgain) {
  const std::string prefix = fmt::format("xenrace-test-{}-cpu-", getpid());
  cpu_set_t three;
  CPU_ZERO(&three);
  for (int cpu : {1, 4, 5}) CPU_SET(cpu, &three);
  const process::CpuClaim a = process::claim_free_cpu(three, prefix), b = process::claim_free_cpu(three, prefix),
                         c = process::claim_free_cpu(three, prefix);
  EXPECT_EQ(std::vector<int>({a.cpu, b.cpu, c.cpu}), std::vector<int>({1, 4, 5}));
  const process::CpuClaim none = process::claim_free_cpu(three, prefix);
  EXPECT_EQ(none.cpu, -1);
  EXPECT_EQ(none.fd, -1);
  // A forked process sees the same claims held.
  const pid_t child = fork();
  if (child == 0) _exit(process::claim_free_cpu(three, prefix).cpu == -1 ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(b.fd);
  const process::CpuClaim again = process::claim_free_cpu(three, prefix);
  EXPECT_EQ(again.cpu, 4);
  for (int fd : {a.fd, c.fd, again.fd}) close(fd);
}

// (e) sleep(1) advances virtual time, not wall time.
TEST(ProcessActor, SleepAdvancesVirtualTime) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, keep_trace());
  spawn_process(ex, "sleeper", {"sh", "-c", "sleep 5; /bin/true"}, kEnv);
  const ExecutionResult r = ex.run();
  ASSERT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
  const std::string text = trace_text(r);
  EXPECT_NE(text.find("proc.sleep p2 5s -> asleep"), std::string::npos) << text;
  EXPECT_NE(text.find("proc.wake p2"), std::string::npos) << text;
  EXPECT_EQ(ex.sched().now(), VirtualTime{5'000'000'000});
  EXPECT_EQ(r.events.back().time, VirtualTime{5'000'000'000});
}

TEST(ProcessActor, SleepersAndAFiberActorShareOneVirtualClock) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, keep_trace());
  spawn_process(ex, "sleeper", {"sh", "-c", "sleep 3; /bin/true"}, kEnv);
  VirtualTime fiber_woke = 0;
  ex.spawn("fiber", [&] {
    ex.sched().sleep(2'000'000'000);
    fiber_woke = ex.sched().now();
    ex.before_visible();
    ex.record("fiber.after", "", "");
  });
  const ExecutionResult r = ex.run();
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(fiber_woke, VirtualTime{2'000'000'000});
  EXPECT_EQ(ex.sched().now(), VirtualTime{3'000'000'000});
}

// Clock reads go to the virtual clock (virtual_time_preload.c): `date` reads 2026-01-01T00:00:00Z plus the
// virtual time, bash's $SECONDS counts virtual seconds, and the same run gives the same output every time.
std::string read_clocks(const std::string& out) {
  StackPool stacks;
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, keep_trace());
  std::vector<std::string> env = kEnv;
  env.push_back("OUT=" + out);
  spawn_process(ex, "clock reader",
                {"bash", "-c", "date -u +%s >\"$OUT\"; sleep 5; date -u '+%s %F %T' >>\"$OUT\"; echo $SECONDS >>\"$OUT\"; "
                               "cat /proc/uptime >/dev/null"},
                env);
  const ExecutionResult r = ex.run();
  EXPECT_FALSE(r.failed()) << r.message << "\n" << trace_text(r);
  std::ifstream in(out);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ProcessActor, ClockReadsGiveVirtualTime) {
  SKIP_WITHOUT_PROCESS_ACTORS();
  const std::string out = (std::filesystem::temp_directory_path() / fmt::format("xenrace-clock-{}", getpid())).string();
  const std::string first = read_clocks(out);
  EXPECT_EQ(first, "1767225600\n1767225605 2026-01-01 00:00:05\n5\n");
  EXPECT_EQ(read_clocks(out), first);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace xenrace
