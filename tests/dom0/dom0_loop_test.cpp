// The dom0 loop path on this machine's real loop devices (needs root and /dev/loop-control; skips with
// the reason otherwise). Every device and file a test binds or creates is the run's own and is undone by
// the execution's end or by the ledger, also when the test fails.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/dom0_loop.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/dom0_world.hpp"
#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/ledger.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"
#include "world/loop.hpp"
#include "tests/dom0/host_loop.hpp"

namespace xenrace::dom0 {
namespace {

bool bound_to(int host, const std::string& file) {
  std::string b;
  return loop_backing_file(host, b) == 0 && (b == file || b == file + " (deleted)");
}

TEST(Dom0Loop, RebindingAMinorGivesANewDiskseqAndEverythingIsUndoneAtTheEnd) {
  if (auto why = why_no_host_loop(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  Dom0Session session(test_host_config(dir));
  int host = -1;
  std::string file_a, file_b;
  {
    StackPool stacks;
    ReplayStrategy order{Schedule{}};
    Execution ex(order, stacks, ExecutionOptions{});
    Dom0World& w = ex.make<Dom0World>(ex, session);
    LoopDevices& loop = w.loop();
    ASSERT_EQ(loop.create_file("/images/a.img"), 0);
    ASSERT_EQ(loop.create_file("/images/b.img"), 0);
    EXPECT_EQ(loop.create_file("/images/a.img"), EEXIST);
    auto index = loop.get_free();
    ASSERT_TRUE(index.ok()) << errno_name(index.err);
    EXPECT_EQ(index.value, 0);  // the run's first device is its loop0, whatever the host calls it
    host = static_cast<Dom0Loop&>(loop).host_index(0);
    file_a = static_cast<Dom0Loop&>(loop).host_file("/images/a.img");
    file_b = static_cast<Dom0Loop&>(loop).host_file("/images/b.img");
    auto fd = loop.open(0);
    ASSERT_TRUE(fd.ok()) << errno_name(fd.err);
    ASSERT_EQ(loop.configure(fd.value, "/images/a.img", 0), 0);
    EXPECT_TRUE(bound_to(host, file_a));
    EXPECT_EQ(loop.backing_file(0).value, "/images/a.img");
    EXPECT_EQ(loop.configure(fd.value, "/images/b.img", 0), EBUSY);  // already bound
    const std::uint64_t seq_a = loop.fd_diskseq(fd.value).value;
    EXPECT_EQ(loop.diskseq(0).value, seq_a);
    auto st = loop.get_status(fd.value);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st.value.backing_file, "/images/a.img");
    EXPECT_EQ(st.value.file, loop.stat_file("/images/a.img").value);
    EXPECT_EQ(loop.find_by_file("/images/a.img").value, std::vector<int>{0});

    ASSERT_EQ(loop.clr_fd(fd.value), 0);
    // Recent kernels finish a detach at the last close (older ones only when others hold the device).
    loop.close(fd.value);
    fd = loop.open(0);
    ASSERT_TRUE(fd.ok()) << errno_name(fd.err);
    ASSERT_EQ(loop.configure(fd.value, "/images/b.img", 0), 0);  // the same minor, another medium
    const std::uint64_t seq_b = loop.fd_diskseq(fd.value).value;
    // Since b90ecc0379eb every media change bumps diskseq; the host kernel must have it for this to hold.
    EXPECT_GT(seq_b, seq_a) << "this kernel keeps diskseq across a rebind (before b90ecc0379eb?)";
    EXPECT_EQ(loop.backing_file(0).value, "/images/b.img");
    EXPECT_EQ(loop.open(7).err, ENOENT);  // an index the run never obtained is not the host's loop7
    EXPECT_EQ(loop.configure(fd.value, "/etc/passwd", 0), ENOENT);  // only the run's files can be bound
    loop.close(fd.value);
  }
  EXPECT_FALSE(bound_to(host, file_b));
  EXPECT_NE(::access(file_a.c_str(), F_OK), 0);
  EXPECT_NE(::access(file_b.c_str(), F_OK), 0);
  CleanupReport r = session.clean_up();
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  EXPECT_NE(::access(session.scratch_dir_if_any().c_str(), F_OK), 0);
}

std::string only_ledger_in(const std::string& dir) {
  std::string found;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 7 && n.compare(n.size() - 7, 7, ".ledger") == 0) found = dir + "/" + n;
    }
    ::closedir(d);
  }
  return found;
}

TEST(Dom0Loop, TheLedgerCleansUpAfterARunKilledWithSigkill) {
  if (auto why = why_no_host_loop(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  const Dom0Config config = test_host_config(dir);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The run: bind a loop device to its own file, then stop mid-run for the parent to kill.
    Dom0Session session(config);
    StackPool stacks;
    ReplayStrategy order{Schedule{}};
    Execution ex(order, stacks, ExecutionOptions{});
    Dom0World& w = ex.make<Dom0World>(ex, session);
    LoopDevices& loop = w.loop();
    loop.create_file("/images/guest.img");
    auto index = loop.get_free();
    auto fd = index.ok() ? loop.open(index.value) : Result<LoopFd>::error(index.err);
    if (!fd.ok() || loop.configure(fd.value, "/images/guest.img", 0) != 0) ::_exit(3);
    ::raise(SIGSTOP);
    ::_exit(4);  // never reached: SIGKILL comes first
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  if (!WIFSTOPPED(status)) {
    FAIL() << "the run did not reach its stop point (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
  }
  ::kill(child, SIGKILL);
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // What the killed run left: its file and a loop device bound to it, both in the ledger.
  const std::string ledger = only_ledger_in(config.work_dir);
  ASSERT_FALSE(ledger.empty()) << "no ledger in " << config.work_dir;
  std::string device, file;
  for (const auto& e : read_ledger(ledger))
    if (e.kind == "loop") {
      device = e.fields.at(0);
      file = e.fields.at(1);
    }
  int host = -1;
  ASSERT_TRUE(parse_loop_path(device, host)) << "no loop entry in " << ledger;
  ASSERT_TRUE(bound_to(host, file)) << device << " is not bound to " << file;

  CleanupReport r = clean_up_ledger(ledger);  // what `xenrace cleanup LEDGER` runs
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  EXPECT_FALSE(bound_to(host, file)) << format_cleanup(r);
  EXPECT_NE(::access(file.c_str(), F_OK), 0);
  EXPECT_TRUE(clean_up_ledger(ledger).items.empty()) << "a second cleanup found work left";
}

}  // namespace
}  // namespace xenrace::dom0
