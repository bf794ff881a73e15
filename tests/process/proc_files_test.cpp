// ProcFiles: the /proc files settle() samples, opened once and read again from offset 0.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "runtime/process/proc_files.hpp"

namespace xenrace::process {
namespace {

// A child blocked in read() on a pipe until the parent writes to it; its exit status is what it read.
struct BlockedChild {
  pid_t pid = -1;
  int wake = -1;
  BlockedChild() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid = fork();
    if (pid == 0) {
      ::close(fds[1]);
      char c = 0;
      _exit(::read(fds[0], &c, 1) == 1 ? c : 99);
    }
    ::close(fds[0]);
    wake = fds[1];
  }
  // Waits until the child sleeps in read(): the sample the test is about, never a sleep of the test.
  void wait_until_blocked(const ProcFiles& files) const {
    TaskSample s;
    while (files.read(s) && !(s.state == 'S' && std::strncmp(s.call, "0 ", 2) == 0)) std::this_thread::yield();
  }
  int finish(char status) {
    EXPECT_EQ(::write(wake, &status, 1), 1);
    ::close(wake);
    int st = 0;
    EXPECT_EQ(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
};

TEST(ProcFiles, ASampleIsTheProcessesStateNowNotWhenItWasOpened) {
  BlockedChild child;
  const ProcFiles files(child.pid);
  TaskSample s;
  ASSERT_TRUE(files.read(s));
  EXPECT_EQ(s.ppid, getpid());
  EXPECT_EQ(s.threads, 1);
  child.wait_until_blocked(files);
  ASSERT_TRUE(files.read(s));
  EXPECT_EQ(s.state, 'S');
  EXPECT_EQ(std::strncmp(s.call, "0 ", 2), 0) << "blocked in read (system call 0): " << s.call;
  const auto runs = s.runs;
  EXPECT_GT(runs, 0u);
  // Read again without running: the same sample, generated afresh (not an end-of-file).
  TaskSample again;
  ASSERT_TRUE(files.read(again));
  EXPECT_EQ(again.state, 'S');
  EXPECT_EQ(again.runs, runs);
  TaskSample stat_only;
  ASSERT_TRUE(files.read_stat(stat_only));
  EXPECT_EQ(stat_only.state, 'S');
  EXPECT_EQ(stat_only.ppid, getpid());
  TaskSample by_number;  // what a scan for new children reads of any pid
  ASSERT_TRUE(read_stat_of(child.pid, by_number));
  EXPECT_EQ(by_number.state, 'S');
  EXPECT_EQ(by_number.ppid, getpid());
  EXPECT_EQ(child.finish(7), 7);
}

TEST(ProcFiles, AProcessGoneReadsNothingEvenWhenItsPidIsReused) {
  BlockedChild child;
  const ProcFiles files(child.pid);
  TaskSample s;
  ASSERT_TRUE(files.read(s));
  EXPECT_EQ(child.finish(3), 3);
  // Reaped: the files name that process, not its number, so nothing that takes the pid later is read.
  EXPECT_FALSE(files.read(s));
  EXPECT_FALSE(files.read_stat(s));
}

TEST(ProcFiles, AProcessThatNeverExistedOpensNothing) {
  // Pid numbers are below pid_max (at most 2^22), so this one is nobody's.
  const ProcFiles files(1 << 30);
  TaskSample s;
  EXPECT_FALSE(files.read(s));
  EXPECT_FALSE(files.read_stat(s));
  EXPECT_FALSE(read_stat_of(1 << 30, s));
}

TEST(ProcFiles, AThreadCountAboveOneIsSeen) {
  const ProcFiles files(getpid());
  TaskSample s;
  ASSERT_TRUE(files.read_stat(s));
  const long before = s.threads;
  bool stop = false;
  std::thread other([&stop] {
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) std::this_thread::yield();
  });
  ASSERT_TRUE(files.read_stat(s));
  EXPECT_EQ(s.threads, before + 1);
  __atomic_store_n(&stop, true, __ATOMIC_RELEASE);
  other.join();
}

}  // namespace
}  // namespace xenrace::process
