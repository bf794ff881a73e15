// Waits on virtual time (runtime/process/virtual_poll.hpp): a program's poll, select or epoll_wait that would wait
// is parked by the supervisor and ends at a ready fd, a signal or its virtual deadline, never after real time, and
// an absolute clock_nanosleep ends when virtual time reaches its deadline. The programs are python3's select
// module, time.sleep and os.fork, run for real. Skips where process actors or python3 are unavailable.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process_test_support.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {
namespace {

using testing::keep_trace;
using testing::trace_text;

const std::vector<std::string> kPollEnv = {"PATH=/usr/bin:/bin", "LC_ALL=C"};

#define SKIP_WITHOUT_PYTHON_PROCESS_ACTORS()                                                    \
  do {                                                                                          \
    if (const std::string& why = process::process_actors_unsupported(); !why.empty())           \
      GTEST_SKIP() << "process actors are unsupported here: " << why;                           \
    if (process::find_program("python3", kPollEnv).empty()) GTEST_SKIP() << "python3 is not installed"; \
  } while (0)

struct PollRun {
  ExecutionResult result;
  std::string trace;
  VirtualTime end = 0;
};

// Runs `program` (python3 source; it exits 0 only when its poll behaved as the test says) as one actor.
PollRun run_python(const char* program, std::uint64_t seed = 1) {
  StackPool stacks;
  RandomStrategy strategy(seed);
  strategy.begin_execution(0);
  Execution ex(strategy, stacks, keep_trace());
  spawn_process(ex, "poller", {"python3", "-c", program}, kPollEnv);
  PollRun run;
  run.result = ex.run();
  run.trace = trace_text(run.result);
  run.end = ex.sched().now();
  return run;
}

// Waits 5 s on no fd: the poll returns 0 once virtual time reaches its deadline, and the clock the program reads
// moved by exactly those 5 s.
const char* const kTimeout = R"(
import select, sys, time
t0 = time.monotonic()
ready = select.poll().poll(5000)
sys.exit(0 if ready == [] and round(time.monotonic() - t0, 6) == 5.0 else 1)
)";

TEST(VirtualPoll, ATimeoutEndsAtItsVirtualDeadline) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kTimeout);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.poll p1 0 fds 5s -> waiting"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.poll_end p1 -> timed out"), std::string::npos) << run.trace;
  EXPECT_EQ(run.end, VirtualTime{5'000'000'000});
}

// A child waits 3 s, then writes the pipe its parent polls with a 10 s timeout: the poll ends ready, 3 virtual
// seconds in, with the byte there to read.
const char* const kChildWrites = R"(
import os, select, sys, time
r, w = os.pipe()
if os.fork() == 0:
    select.poll().poll(3000)
    os.write(w, b"x")
    os._exit(0)
p = select.poll()
p.register(r, select.POLLIN)
t0 = time.monotonic()
events = p.poll(10000)
waited = round(time.monotonic() - t0, 6)
os.wait()
sys.exit(0 if events == [(r, select.POLLIN)] and os.read(r, 1) == b"x" and waited == 3.0 else 1)
)";

TEST(VirtualPoll, AFdMadeReadyByAnotherProcessEndsTheWait) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kChildWrites);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.poll p1 1 fd 10s -> waiting"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.poll_end p1 -> ready"), std::string::npos) << run.trace;
  EXPECT_EQ(run.trace.find("proc.poll_end p1 -> timed out"), std::string::npos) << run.trace;
  EXPECT_EQ(run_python(kChildWrites).trace, run.trace);  // the same trace on every run
}

// A SIGCHLD handler (as libxl's) must run while its thread waits in poll: the held poll fails with EINTR when
// the child's exit leaves the signal pending. Here the handler raises, so the poll (no timeout, on a pipe nobody
// writes) ends only that way.
const char* const kSigchld = R"(
import os, select, signal, sys, time
class ChildExited(Exception): pass
def on_sigchld(signum, frame): raise ChildExited()
signal.signal(signal.SIGCHLD, on_sigchld)
r, w = os.pipe()
if os.fork() == 0:
    select.poll().poll(2000)
    os._exit(0)
p = select.poll()
p.register(r, select.POLLIN)
t0 = time.monotonic()
try:
    p.poll()
    sys.exit(1)
except ChildExited:
    sys.exit(0 if round(time.monotonic() - t0, 6) == 2.0 else 1)
)";

TEST(VirtualPoll, ASignalArrivingMeanwhileInterruptsTheWait) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kSigchld);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.poll p1 1 fd no timeout -> waiting"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.poll_end p1 -> EINTR"), std::string::npos) << run.trace;
}

// A poll that returns at once (its fd is ready already) is no step: it runs in the kernel as made.
const char* const kReadyAtOnce = R"(
import os, select, sys
r, w = os.pipe()
os.write(w, b"x")
p = select.poll()
p.register(r, select.POLLIN)
sys.exit(0 if p.poll(10000) == [(r, select.POLLIN)] else 1)
)";

TEST(VirtualPoll, APollThatNeedNotWaitIsNoStep) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kReadyAtOnce);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_EQ(run.trace.find("proc.poll"), std::string::npos) << run.trace;
  EXPECT_EQ(run.end, VirtualTime{0});
}

// select.select is pselect6: a 5 s timeout on a pipe nobody writes ends at virtual 5 s with nothing ready.
const char* const kSelectTimeout = R"(
import os, select, sys, time
r, w = os.pipe()
t0 = time.monotonic()
ready = select.select([r], [], [], 5)
sys.exit(0 if ready == ([], [], []) and round(time.monotonic() - t0, 6) == 5.0 else 1)
)";

TEST(VirtualPoll, ASelectTimeoutEndsAtItsVirtualDeadline) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kSelectTimeout);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.select p1 1 fd 5s -> waiting"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.select_end p1 -> timed out"), std::string::npos) << run.trace;
  EXPECT_EQ(run.end, VirtualTime{5'000'000'000});
}

// The select system call itself (not pselect6), made through ctypes with a timeval: at the deadline the kernel
// runs it with the zero timeout the supervisor wrote, so the set comes back cleared and the time left is zero.
const char* const kRawSelect = R"(
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
class Timeval(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("usec", ctypes.c_long)]
r, w = os.pipe()
readfds = (ctypes.c_ulong * 16)()
readfds[r // 64] |= 1 << (r % 64)
tv = Timeval(2, 500000)
t0 = time.monotonic()
n = libc.syscall(23, r + 1, ctypes.byref(readfds), None, None, ctypes.byref(tv))  # SYS_select
waited = round(time.monotonic() - t0,6)
sys.exit(0 if n == 0 and not any(readfds) and (tv.sec, tv.usec) == (0, 0) and waited == 2.5 else 1)
)";

TEST(VirtualPoll, TheSelectCallReturnsAsAKernelTimeoutDoes) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kRawSelect);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.select p1 1 fd 2.500000000s -> waiting"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.select_end p1 -> timed out"), std::string::npos) << run.trace;
}

// A child sleeps 3 s (time.sleep: an absolute clock_nanosleep on the monotonic clock), then writes the pipe its
// parent waits on with select and a 10 s timeout: the select ends ready 3 virtual seconds in.
const char* const kSelectChildWrites = R"(
import os, select, sys, time
r, w = os.pipe()
if os.fork() == 0:
    time.sleep(3)
    os.write(w, b"x")
    os._exit(0)
t0 = time.monotonic()
ready = select.select([r], [], [], 10)
waited = round(time.monotonic() - t0, 6)
os.wait()
sys.exit(0 if ready == ([r], [], []) and os.read(r, 1) == b"x" and waited == 3.0 else 1)
)";

TEST(VirtualPoll, ASelectEndsWhenAnotherProcessMakesItsFdReady) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kSelectChildWrites);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.sleep p2 until 3s -> asleep"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.select_end p1 -> ready"), std::string::npos) << run.trace;
  EXPECT_EQ(run_python(kSelectChildWrites).trace, run.trace);  // the same trace on every run
}

// epoll_wait on an instance watching a pipe: the first wait times out at virtual 2 s; the second ends when a
// child writes the pipe after sleeping 4 s, with that one event.
const char* const kEpoll = R"(
import os, select, sys, time
r, w = os.pipe()
ep = select.epoll()
ep.register(r, select.EPOLLIN)
t0 = time.monotonic()
first = ep.poll(2)
timed_out = round(time.monotonic() - t0, 6)
if os.fork() == 0:
    time.sleep(4)
    os.write(w, b"x")
    os._exit(0)
second = ep.poll(60)
waited = round(time.monotonic() - t0, 6)
os.wait()
sys.exit(0 if first == [] and timed_out == 2.0 and second == [(r, select.EPOLLIN)] and waited == 6.0 else 1)
)";

TEST(VirtualPoll, EpollWaitEndsAtItsVirtualDeadlineOrAReadyFd) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kEpoll);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.epoll_wait p1 1 fd 2s -> waiting"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.epoll_wait_end p1 -> timed out"), std::string::npos) << run.trace;
  EXPECT_NE(run.trace.find("proc.epoll_wait_end p1 -> ready"), std::string::npos) << run.trace;
}

// time.sleep waits for an absolute deadline on the monotonic clock: it ends at virtual 5 s, and both clocks the
// program reads moved by exactly that.
const char* const kSleep = R"(
import sys, time
m0, w0 = time.monotonic(), time.time()
time.sleep(5)
sys.exit(0 if round(time.monotonic() - m0, 6) == 5.0 and round(time.time() - w0, 6) == 5.0 else 1)
)";

TEST(VirtualPoll, AnAbsoluteSleepEndsAtItsVirtualDeadline) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kSleep);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_NE(run.trace.find("proc.sleep p1 until 5s -> asleep"), std::string::npos) << run.trace;
  EXPECT_EQ(run.trace.find("real time"), std::string::npos) << run.trace;
  EXPECT_EQ(run.end, VirtualTime{5'000'000'000});
}

// A select on a ready fd returns at once: no step.
const char* const kSelectReady = R"(
import os, select, sys
r, w = os.pipe()
os.write(w, b"x")
sys.exit(0 if select.select([r], [w], [], 10) == ([r], [w], []) else 1)
)";

TEST(VirtualPoll, ASelectThatNeedNotWaitIsNoStep) {
  SKIP_WITHOUT_PYTHON_PROCESS_ACTORS();
  const PollRun run = run_python(kSelectReady);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << run.trace;
  EXPECT_EQ(run.trace.find("proc.select"), std::string::npos) << run.trace;
  EXPECT_EQ(run.end, VirtualTime{0});
}

}  // namespace
}  // namespace xenrace
