// The dom0 side: the same point names through libfiu in-process, and libfiu's POSIX preload (fiu-run)
// for spawned real processes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "faults/real_faults.hpp"

extern char** environ;

namespace xenrace {
namespace {

struct RealFaults : ::testing::Test {
  void TearDown() override { disable_all_real_faults(); }
};

TEST_F(RealFaults, EnabledPointFiresWithItsErrnoAndStopsWhenDisabled) {
  Errno err = 0;
  EXPECT_FALSE(real_fault_fires(FaultPoint::xenstore_write, err));
  enable_real_fault(FaultPoint::xenstore_write, ENOSPC);
  EXPECT_TRUE(real_fault_fires(FaultPoint::xenstore_write, err));
  EXPECT_EQ(err, ENOSPC);
  EXPECT_TRUE(real_fault_fires(FaultPoint::xenstore_write, err)) << "RealFaultMode::always keeps firing";
  EXPECT_FALSE(real_fault_fires(FaultPoint::loop_configure, err)) << "other points stay off";
  disable_real_fault(FaultPoint::xenstore_write);
  EXPECT_FALSE(real_fault_fires(FaultPoint::xenstore_write, err));
}

TEST_F(RealFaults, OnceFiresOnceAndDefaultErrorIsTheFirst) {
  Errno err = 0;
  enable_real_fault(FaultPoint::xenstore_transaction_end, 0, RealFaultMode::once);
  EXPECT_TRUE(real_fault_fires(FaultPoint::xenstore_transaction_end, err));
  EXPECT_EQ(err, EAGAIN);
  EXPECT_FALSE(real_fault_fires(FaultPoint::xenstore_transaction_end, err));
}

TEST_F(RealFaults, ParamsEnableTheSamePointsAsInTheSimulator) {
  auto enabled = enable_real_faults({{"faults", "loop/configure,actor/kill"}, {"max-faults", "1"}});
  EXPECT_EQ(enabled, std::vector<FaultPoint>{FaultPoint::loop_configure}) << "actor/kill is simulator-only";
  Errno err = 0;
  EXPECT_TRUE(real_fault_fires(FaultPoint::loop_configure, err));
  EXPECT_EQ(err, EBUSY);
  EXPECT_FALSE(real_fault_fires(FaultPoint::loop_configure, err)) << "max-faults=1: once";
}

TEST(FiuRun, CommandLineEnablesPosixPoints) {
  auto argv = fiu_run_argv({{"posix/io/oc/open", EACCES, 1.0}, {"posix/io/rw/write", 0, 0.25}}, {"head", "/x"});
  EXPECT_EQ(argv, (std::vector<std::string>{"fiu-run", "-x", "-f", "", "-c", "enable name=posix/io/oc/open,failinfo=13",
                                            "-c", "enable_random name=posix/io/rw/write,probability=0.25", "head",
                                            "/x"}));
}

int run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &quiet, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(FiuRun, SpawnedProcessFailsOnlyWithThePointEnabled) {
  if (access("/usr/bin/fiu-run", X_OK) != 0) GTEST_SKIP() << "fiu-run not installed (Debian: fiu-utils)";
  const std::string file = ::testing::TempDir() + "xenrace-fiu-run-test";
  std::ofstream(file) << "data\n";
  EXPECT_EQ(run(fiu_run_argv({}, {"head", "-c", "4", file})), 0);
  EXPECT_NE(run(fiu_run_argv({{"posix/io/oc/open", EACCES}}, {"head", "-c", "4", file})), 0);
  std::remove(file.c_str());
}

}  // namespace
}  // namespace xenrace
