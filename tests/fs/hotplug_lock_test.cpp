// The hotplug scripts' locks (tools/hotplug/Linux/locking.sh of Xen 4.17 and its mkdir-based predecessor),
// written against the FileSystem interface and explored exhaustively (DFS, two preemptions): the current
// claim_lock keeps mutual exclusion only because it compares the fd's inode with the path's after flock; the
// old mkdir lock's stale-owner check can remove a live holder's lock directory.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <fmt/format.h>

#include "backends/sim/sim_world.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategy.hpp"
#include "world/file_system.hpp"

namespace xenrace {
namespace {

constexpr const char* kBase = "/run/xen-hotplug";
constexpr const char* kLockFile = "/run/xen-hotplug/block";
constexpr const char* kLockDir = "/run/xen-hotplug/block.lock";

struct Critical {
  int inside = 0;
  std::string both;
};

// Runs `build` under DFS (preemption bound 2) until the first violated invariant or the end of the tree.
// Returns the first failure's message, or "" when every execution passed; `executions` counts them.
std::string explore(const std::function<void(Execution&, SimWorld&, Critical&)>& build, std::uint64_t& executions) {
  StackPool stacks;
  auto strategy = make_strategy(StrategyOptions{"dfs", 1, 3, 2});
  for (executions = 0; strategy->has_more() && executions < 200000; ++executions) {
    strategy->begin_execution(executions);
    ExecutionOptions options;
    options.max_steps = 2000;
    Execution ex(*strategy, stacks, options);
    SimWorld& world = ex.make<SimWorld>(ex);
    Critical& cs = ex.make<Critical>();
    world.file_system().mkdir("/run");
    world.file_system().mkdir(kBase);
    build(ex, world, cs);
    ex.always("one holder at a time", [&cs] { return cs.both; });
    const ExecutionResult r = ex.run();
    strategy->end_execution(r.steps);
    if (r.failed()) return r.check + ": " + r.message;
  }
  return {};
}

// The critical section: one visible operation inside, so another locker can run while it is held.
void critical(FileSystem& fs, Critical& cs, std::string_view who) {
  if (++cs.inside > 1 && cs.both.empty()) cs.both = fmt::format("{} entered while another holder was inside", who);
  fs.stat(kBase);
  --cs.inside;
}

// claim_lock of Xen 4.17: open(O_CREAT) + flock(LOCK_EX), then the inode check; release_lock: rm, then the fd
// closes when the script exits.
void flock_claim_release(FileSystem& fs, Critical& cs, std::string_view who, bool check_inode) {
  Fd fd;
  for (;;) {
    fd = fs.open(kLockFile, kOCreat).value;
    fs.flock(fd, kLockEx);
    if (!check_inode) break;
    const auto held = fs.fstat(fd);
    const auto at_path = fs.stat(kLockFile);
    if (at_path.ok() && held.value.id == at_path.value.id) break;
    fs.close(fd);  // `exec $fd<&-`: try again with the file now at the path
  }
  critical(fs, cs, who);
  fs.unlink(kLockFile);
}

TEST(HotplugLock, FlockWithTheInodeCheckKeepsMutualExclusionInEverySchedule) {
  std::uint64_t executions = 0;
  const std::string failure = explore([](Execution& ex, SimWorld& w, Critical& cs) {
    FileSystem& fs = w.file_system();
    for (const char* who : {"block add 1", "block add 2", "block add 3"})
      ex.spawn(who, [&fs, &cs, who] { flock_claim_release(fs, cs, who, true); });
  }, executions);
  EXPECT_EQ(failure, "");
  EXPECT_GT(executions, 100u);
}

TEST(HotplugLock, FlockWithoutTheInodeCheckLetsTwoHoldersIn) {
  std::uint64_t executions = 0;
  const std::string failure = explore([](Execution& ex, SimWorld& w, Critical& cs) {
    FileSystem& fs = w.file_system();
    for (const char* who : {"block add 1", "block add 2", "block add 3"})
      ex.spawn(who, [&fs, &cs, who] { flock_claim_release(fs, cs, who, false); });
  }, executions);
  // One locker flocks the unlinked file while another flocks the new one created at the same path.
  EXPECT_NE(failure.find("one holder at a time"), std::string::npos) << "explored " << executions;
}

// The old claim_lock: mkdir LOCKDIR; the owner file says "$$: $0"; a waiter that finds the owner's /proc entry
// gone removes the lock directory (rm -rf) and tries again. Owners are read once per attempt, as the script does.
void mkdir_claim_release(FileSystem& fs, Critical& cs, std::string_view who) {
  const std::string owner_file = std::string(kLockDir) + "/owner";
  auto read_owner = [&]() -> Pid {
    auto fd = fs.open(owner_file, 0);
    if (!fd.ok()) return 0;  // "unknown"
    auto text = fs.read(fd.value, 32);
    fs.close(fd.value);
    return text.ok() && !text.value.empty() ? std::stoi(text.value) : 0;
  };
  auto remove_lock = [&] {
    fs.unlink(owner_file);
    fs.rmdir(kLockDir);
  };
  for (int retries = 0; retries < 3; ++retries) {
    if (fs.mkdir(kLockDir) == 0) {
      Fd fd = fs.open(owner_file, kOCreat | kOTrunc).value;
      fs.write(fd, fmt::format("{}: block", fs.pid()));
      fs.close(fd);
      critical(fs, cs, who);
      remove_lock();
      return;
    }
    const Pid owner = read_owner();
    if (owner != 0 && !fs.process_exists(owner)) remove_lock();  // a stale lock: its owner is gone
  }
}

TEST(HotplugLock, OldMkdirLockRemovesALiveHoldersDirectoryAfterAStaleCheck) {
  std::uint64_t executions = 0;
  const std::string failure = explore([](Execution& ex, SimWorld& w, Critical& cs) {
    FileSystem& fs = w.file_system();
    // A previous holder was killed inside its critical section: its lock directory names a dead pid.
    const ActorId dead = ex.spawn("killed block add", [&fs] {
      fs.mkdir(kLockDir);
      Fd fd = fs.open(std::string(kLockDir) + "/owner", kOCreat).value;
      fs.write(fd, fmt::format("{}: block", fs.pid()));
    });
    (void)dead;
    for (const char* who : {"block add 1", "block add 2"})
      ex.spawn(who, [&fs, &cs, who] { mkdir_claim_release(fs, cs, who); });
  }, executions);
  EXPECT_NE(failure.find("one holder at a time"), std::string::npos) << "explored " << executions;
}

TEST(HotplugLock, OldMkdirLockIsExclusiveWithoutAStaleOwner) {
  std::uint64_t executions = 0;
  const std::string failure = explore([](Execution& ex, SimWorld& w, Critical& cs) {
    FileSystem& fs = w.file_system();
    for (const char* who : {"block add 1", "block add 2"})
      ex.spawn(who, [&fs, &cs, who] { mkdir_claim_release(fs, cs, who); });
  }, executions);
  EXPECT_EQ(failure, "") << "explored " << executions;
  EXPECT_GT(executions, 10u);
}

}  // namespace
}  // namespace xenrace
