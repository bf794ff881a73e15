// The simulated file system (backends/sim/fs): its worked examples, each forced with a chosen interleaving.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backends/sim/fs/sim_file_system.hpp"
#include "mdev/sim_run.hpp"
#include "world/file_system.hpp"

namespace xenrace {
namespace {

using testing::round_robin;
using testing::run_sim;

constexpr const char* kLock = "/run/xen-hotplug/block";

void lock_dir(SimWorld& w) {
  w.file_system().mkdir("/run");
  w.file_system().mkdir("/run/xen-hotplug");
}

// Index of the first event of `op` by actor `actor` (kNoActor: setup or the kernel at exit), or -1.
long event_index(const ExecutionResult& r, std::string_view op, std::string_view actor, std::string_view args = {}) {
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const auto& e = r.events[i];
    const std::string_view who = e.actor < r.actors.size() ? std::string_view(r.actors[e.actor]) : "harness";
    if (e.op == op && who == actor && (args.empty() || e.args.find(args) != std::string::npos))
      return static_cast<long>(i);
  }
  return -1;
}

TEST(SimFileSystem, FlockContentionBlocksTheSecondLockerUntilTheHolderCloses) {
  bool a_closed = false, b_saw_a_closed = false;
  Errno b_flock = -1;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      Fd fd = fs.open(kLock, kOCreat).value;
      fs.flock(fd, kLockEx);
      fs.stat(kLock);  // B runs here (round robin) and must block
      a_closed = true;
      fs.close(fd);
    });
    ex.spawn("B", [&] {
      Fd fd = fs.open(kLock, kOCreat).value;
      b_flock = fs.flock(fd, kLockEx);
      b_saw_a_closed = a_closed;
      fs.close(fd);
    });
  }, round_robin);
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(b_flock, 0);
  EXPECT_TRUE(b_saw_a_closed) << "B's flock returned while A still held the lock";
  // The wait is inside B's one flock operation: its event comes after A's close.
  EXPECT_LT(event_index(r, "fs.close", "A"), event_index(r, "fs.flock", "B"));
}

TEST(SimFileSystem, AHolderThatNeverLetsGoLeavesTheWaiterBlockedInFlock) {
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    auto& never = ex.make<WaitQueue>();
    ex.spawn("A", [&] {
      Fd fd = fs.open(kLock, kOCreat).value;
      fs.flock(fd, kLockEx);
      ex.sched().wait(never, "nothing");
    });
    ex.spawn("B", [&] {
      Fd fd = fs.open(kLock, kOCreat).value;
      fs.flock(fd, kLockEx);
    });
  }, round_robin);
  ASSERT_EQ(r.outcome, Outcome::deadlock) << r.message;
  EXPECT_NE(r.message.find("B (waiting for flock /run/xen-hotplug/block)"), std::string::npos) << r.message;
}

TEST(SimFileSystem, LockNbGivesEwouldblockAndSharedLocksShare) {
  Errno ex_nb = -1, sh_nb = -1, sh2 = -1, ex_over_sh = -1, bad = -1, badf = -1;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      Fd a = fs.open(kLock, kOCreat).value;
      Fd b = fs.open(kLock, 0).value;  // another open file, same process: flock still conflicts
      fs.flock(a, kLockEx);
      ex_nb = fs.flock(b, kLockEx | kLockNb);
      sh_nb = fs.flock(b, kLockSh | kLockNb);
      fs.flock(a, kLockUn);
      fs.flock(a, kLockSh);
      sh2 = fs.flock(b, kLockSh | kLockNb);
      Fd c = fs.open(kLock, 0).value;
      ex_over_sh = fs.flock(c, kLockEx | kLockNb);
      bad = fs.flock(c, kLockSh | kLockEx);
      fs.close(c);
      badf = fs.flock(c, kLockEx);
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(ex_nb, EWOULDBLOCK);
  EXPECT_EQ(sh_nb, EWOULDBLOCK);
  EXPECT_EQ(sh2, 0);
  EXPECT_EQ(ex_over_sh, EWOULDBLOCK);
  EXPECT_EQ(bad, EINVAL);
  EXPECT_EQ(badf, EBADF);
  EXPECT_GE(event_index(r, "fs.flock", "A", "LOCK_EX|LOCK_NB"), 0);
  bool traced = false;
  for (const auto& e : r.events) traced |= e.op == "fs.flock" && e.result == "EWOULDBLOCK";
  EXPECT_TRUE(traced) << "the trace names the errno as flock(2) does";
}

TEST(SimFileSystem, AnExitingHolderDropsItsLocksAndItsPid) {
  Errno b_nb = -1;
  bool a_alive_in_b = true, b_alive = false;
  Pid a_pid = 0;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      a_pid = fs.pid();
      Fd fd = fs.open(kLock, kOCreat).value;
      fs.flock(fd, kLockEx);
      fs.fcntl_lock(fd, LockCmd::setlk, RecordLock::write);
    });  // returns without closing: the kernel closes fd at exit
    ex.spawn("B", [&] {
      Fd fd = fs.open(kLock, kOCreat).value;
      b_nb = fs.flock(fd, kLockEx | kLockNb);
      b_nb = b_nb == 0 ? fs.fcntl_lock(fd, LockCmd::setlk, RecordLock::write) : b_nb;
      a_alive_in_b = fs.process_exists(a_pid);
      b_alive = fs.process_exists(fs.pid());
    });
  });  // default order: A runs to its end first
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(a_pid, 100);
  EXPECT_EQ(b_nb, 0);
  EXPECT_FALSE(a_alive_in_b);
  EXPECT_TRUE(b_alive);
  EXPECT_GE(event_index(r, "fs.close", "A", "(at exit)"), 0);
}

TEST(SimFileSystem, AKilledHolderDropsItsLock) {
  Errno b_flock = -1;
  bool a_alive = true;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    auto& never = ex.make<WaitQueue>();
    const ActorId a = ex.spawn("A", [&] {
      Fd fd = fs.open(kLock, kOCreat).value;
      fs.flock(fd, kLockEx);
      ex.sched().wait(never, "forever");
    });
    ex.spawn("B", [&, a] {
      Fd fd = fs.open(kLock, kOCreat).value;
      ex.sched().kill(a);
      b_flock = fs.flock(fd, kLockEx);  // blocks until A's exit closed its fd
      a_alive = fs.process_exists(SimFileSystem::pid_of(a));
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(b_flock, 0);
  EXPECT_FALSE(a_alive);
}

TEST(SimFileSystem, FcntlLocksGoWhenAnyFdOfTheProcessOnTheFileCloses) {
  for (const bool close_other_fd : {false, true}) {
    Errno b_lock = -1;
    Errno b_flock = -1;
    ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
      lock_dir(w);
      FileSystem& fs = w.file_system();
      auto& go = ex.make<WaitQueue>();
      auto& done = ex.make<bool>(false);
      ex.spawn("A", [&] {
        Fd fd1 = fs.open(kLock, kOCreat).value;
        fs.fcntl_lock(fd1, LockCmd::setlk, RecordLock::write);
        fs.flock(fd1, kLockEx);
        Fd fd2 = fs.open(kLock, 0).value;
        if (close_other_fd) fs.close(fd2);  // drops A's record lock taken through fd1, not fd1's flock
        done = true;
        ex.sched().notify_all(go);
        while (true) ex.sched().wait(go, "the end");
      }, ActorKind::daemon);
      ex.spawn("B", [&] {
        while (!done) ex.sched().wait(go, "A");
        Fd fd = fs.open(kLock, 0).value;
        b_lock = fs.fcntl_lock(fd, LockCmd::setlk, RecordLock::write);
        b_flock = fs.flock(fd, kLockEx | kLockNb);
      });
    });
    ASSERT_FALSE(r.failed()) << r.message;
    EXPECT_EQ(b_lock, close_other_fd ? 0 : EAGAIN) << "close_other_fd=" << close_other_fd;
    EXPECT_EQ(b_flock, EWOULDBLOCK) << "a flock belongs to its open file: closing another fd keeps it";
  }
}

TEST(SimFileSystem, FcntlSetlkwWaitsAndDetectsDeadlock) {
  Errno a_second = -1, b_second = -1;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      Fd one = fs.open("/run/one", kOCreat).value;
      Fd two = fs.open("/run/two", kOCreat).value;
      fs.fcntl_lock(one, LockCmd::setlkw, RecordLock::write);
      a_second = fs.fcntl_lock(two, LockCmd::setlkw, RecordLock::write);  // waits for B
      fs.close(two);
      fs.close(one);
    });
    ex.spawn("B", [&] {
      Fd one = fs.open("/run/one", kOCreat).value;
      Fd two = fs.open("/run/two", kOCreat).value;
      fs.fcntl_lock(two, LockCmd::setlkw, RecordLock::write);
      b_second = fs.fcntl_lock(one, LockCmd::setlkw, RecordLock::write);  // A waits for B: EDEADLK
      fs.close(two);  // lets A go on
      fs.close(one);
    });
  }, round_robin);
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(b_second, EDEADLK);
  EXPECT_EQ(a_second, 0);
}

TEST(SimFileSystem, UnlinkAndRecreateGivesANewInodeWhileTheOldFdKeepsItsOwn) {
  Result<FileStat> held, after_unlink, fresh, at_path, held_after;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      Fd old_fd = fs.open(kLock, kOCreat).value;
      held = fs.fstat(old_fd);
      fs.unlink(kLock);
      after_unlink = fs.stat(kLock);
      Fd new_fd = fs.open(kLock, kOCreat).value;
      fresh = fs.fstat(new_fd);
      at_path = fs.stat(kLock);
      held_after = fs.fstat(old_fd);
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  ASSERT_TRUE(held.ok() && fresh.ok() && at_path.ok() && held_after.ok());
  EXPECT_EQ(after_unlink.err, ENOENT);
  EXPECT_EQ(held.value.id.ino, 5u);  // "/" 2, /run 3, /run/xen-hotplug 4
  EXPECT_EQ(fresh.value.id.ino, 6u);
  EXPECT_NE(fresh.value.id, held.value.id);
  EXPECT_EQ(at_path.value.id, fresh.value.id);
  EXPECT_EQ(held_after.value.id, held.value.id) << "an fd keeps the inode it opened";
  EXPECT_EQ(held_after.value.nlink, 0u);
  EXPECT_NE(held_after.value.id, at_path.value.id) << "locking.sh's inode comparison tells them apart";
}

TEST(SimFileSystem, RenameReplacesAtomicallyAndMovesDirectories) {
  Errno missing = -1, onto_full_dir = -1, file_onto_dir = -1, dir_onto_file = -1, into_itself = -1;
  Result<FileStat> a_before, b_after, replaced, moved;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    lock_dir(w);
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      Fd a = fs.open("/run/a", kOCreat).value;
      Fd b = fs.open("/run/b", kOCreat).value;
      a_before = fs.fstat(a);
      EXPECT_EQ(fs.rename("/run/a", "/run/b"), 0);
      b_after = fs.stat("/run/b");
      replaced = fs.fstat(b);
      missing = fs.rename("/run/a", "/run/c");
      fs.mkdir("/run/d");
      fs.mkdir("/run/e");
      fs.open("/run/e/x", kOCreat);
      onto_full_dir = fs.rename("/run/d", "/run/e");
      file_onto_dir = fs.rename("/run/b", "/run/d");
      dir_onto_file = fs.rename("/run/d", "/run/b");
      into_itself = fs.rename("/run/e", "/run/e/sub");
      EXPECT_EQ(fs.rename("/run/e", "/run/f"), 0);
      moved = fs.stat("/run/f/x");
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(b_after.value.id, a_before.value.id);
  EXPECT_EQ(replaced.value.nlink, 0u);
  EXPECT_EQ(missing, ENOENT);
  EXPECT_EQ(onto_full_dir, ENOTEMPTY);
  EXPECT_EQ(file_onto_dir, EISDIR);
  EXPECT_EQ(dir_onto_file, ENOTDIR);
  EXPECT_EQ(into_itself, EINVAL);
  EXPECT_TRUE(moved.ok()) << "a directory's files move with it";
  EXPECT_GE(event_index(r, "fs.rename", "A", "/run/a -> /run/b"), 0);
}

TEST(SimFileSystem, MkdirRmdirUnlinkErrors) {
  Errno again = -1, no_parent = -1, not_empty = -1, not_dir = -1, is_dir = -1, gone = -1, excl = -1, dir_open = -1;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    FileSystem& fs = w.file_system();
    ex.spawn("A", [&] {
      fs.mkdir("/run");
      again = fs.mkdir("/run");
      no_parent = fs.mkdir("/nope/d");
      fs.open("/run/f", kOCreat);
      not_empty = fs.rmdir("/run");
      not_dir = fs.rmdir("/run/f");
      is_dir = fs.unlink("/run");
      excl = fs.open("/run/f", kOCreat | kOExcl).err;
      dir_open = fs.open("/run", 0).err;
      fs.unlink("/run/f");
      EXPECT_EQ(fs.rmdir("/run"), 0);
      gone = fs.rmdir("/run");
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(again, EEXIST);
  EXPECT_EQ(no_parent, ENOENT);
  EXPECT_EQ(not_empty, ENOTEMPTY);
  EXPECT_EQ(not_dir, ENOTDIR);
  EXPECT_EQ(is_dir, EISDIR);
  EXPECT_EQ(excl, EEXIST);
  EXPECT_EQ(dir_open, EISDIR);
  EXPECT_EQ(gone, ENOENT);
}

TEST(SimFileSystem, ReadWriteAndTruncate) {
  Result<std::string> first, second, after_trunc;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    FileSystem& fs = w.file_system();
    fs.mkdir("/run");
    ex.spawn("A", [&] {
      Fd wr = fs.open("/run/owner", kOCreat | kOTrunc).value;
      fs.write(wr, "100: /etc/xen/scripts/block");
      fs.close(wr);
      Fd rd = fs.open("/run/owner", 0).value;
      first = fs.read(rd, 4);
      second = fs.read(rd, 100);
      Fd tr = fs.open("/run/owner", kOTrunc).value;
      after_trunc = fs.read(tr, 100);
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(first.value, "100:");
  EXPECT_EQ(second.value, " /etc/xen/scripts/block");
  EXPECT_TRUE(after_trunc.ok());
  EXPECT_EQ(after_trunc.value, "");
}

TEST(SimFileSystem, PidsFollowSpawnOrderAndProcGoesAtExit) {
  Pid setup = 0, a = 0, b = 0;
  bool a_seen_by_b = false, unknown = true, setup_exists = false;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    FileSystem& fs = w.file_system();
    setup = fs.pid();
    auto& step = ex.make<WaitQueue>();
    auto& a_done = ex.make<bool>(false);
    ex.spawn("A", [&] {
      a = fs.pid();
      while (!a_done) ex.sched().wait(step, "B");
    });
    ex.spawn("B", [&] {
      b = fs.pid();
      a_seen_by_b = fs.process_exists(a);
      a_done = true;
      ex.sched().notify_all(step);
      unknown = fs.process_exists(4242);
      setup_exists = fs.process_exists(setup);
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(setup, 1);
  EXPECT_EQ(a, 100);
  EXPECT_EQ(b, 101);
  EXPECT_TRUE(a_seen_by_b);
  EXPECT_FALSE(unknown);
  EXPECT_TRUE(setup_exists);
  bool said_yes = false;
  for (const auto& e : r.events) said_yes |= e.op == "fs.process_exists" && e.args == "/proc/100" && e.result == "yes";
  EXPECT_TRUE(said_yes);
}

}  // namespace
}  // namespace xenrace
