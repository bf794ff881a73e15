// The worked examples of backends/sim/loop/sim_loop.hpp, one test each, and properties over random operations.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "backends/sim/loop/sim_loop.hpp"
#include "loop_test_support.hpp"

namespace xenrace {
namespace {

using testing::TestExecution;

// Actor 0 (the detacher) runs, except while loop0 is in Lo_rundown: then every other actor runs to its end.
// So whatever the others do lands inside the detach, if the kernel leaves a window there.
ActorId inside_the_teardown(const SimLoop& loop, const PickContext& c) {
  const ActorMask others = c.runnable & ~actor_bit(0);
  return loop.rundown(0) && others ? lowest_actor(others) : ActorId{0};
}

struct Fixture {
  TestExecution t;
  SimLoop loop;
  explicit Fixture(LoopKernel k = LoopKernel::v6_11) : loop(t.ex, k) { create_files(); }
  struct InsideTheTeardown {};
  Fixture(LoopKernel k, InsideTheTeardown)
      : t(std::make_unique<testing::PickStrategy>([this](const PickContext& c) { return inside_the_teardown(loop, c); })),
        loop(t.ex, k) {
    create_files();
  }
  void create_files() {
    loop.create_file("/a");
    loop.create_file("/b");
  }
};

// loop0 bound to /a (diskseq 2) with no opener, and `losetup -d /dev/loop0` as actor 0.
void bind_a_and_spawn_losetup_d(Fixture& f) {
  f.loop.add(0);
  LoopFd fd = f.loop.open(0).value;
  f.loop.configure(fd, "/a", 0);
  f.loop.close(fd);
  f.t.ex.spawn("losetup -d", [&f] {
    LoopFd own = f.loop.open(0).value;
    EXPECT_EQ(f.loop.clr_fd(own), 0);
    f.loop.close(own);
  });
}

TEST(SimLoop, GetFreeReservesNothing) {
  Fixture f;
  EXPECT_EQ(f.loop.get_free().value, 0);
  EXPECT_EQ(f.loop.get_free().value, 0);
  EXPECT_EQ(f.loop.diskseq(0).value, 1u);
}

TEST(SimLoop, ConfigureBindsBumpsDiskseqAndRefusesASecondBind) {
  Fixture f;
  f.loop.get_free();
  LoopFd fd = f.loop.open(0).value;
  EXPECT_EQ(f.loop.configure(fd, "/a", 0), 0);
  EXPECT_EQ(f.loop.diskseq(0).value, 2u);
  EXPECT_EQ(f.loop.backing_file(0).value, "/a");
  EXPECT_EQ(f.loop.configure(fd, "/b", 0), EBUSY);
  EXPECT_EQ(f.loop.set_fd(fd, "/b"), EBUSY);
  EXPECT_EQ(f.loop.get_free().value, 1);
  EXPECT_EQ(f.loop.configure(fd, "/missing", 0), ENOENT);
}

TEST(SimLoop, ErrorsAsTheKernelGivesThem) {
  Fixture f;
  f.loop.add(0);
  EXPECT_EQ(f.loop.add(0).err, EEXIST);
  LoopFd fd = f.loop.open(0).value;
  EXPECT_EQ(f.loop.clr_fd(fd), ENXIO);
  EXPECT_EQ(f.loop.get_status(fd).err, ENXIO);
  EXPECT_EQ(f.loop.set_status_flags(fd, kLoFlagsAutoclear), ENXIO);
  EXPECT_EQ(f.loop.remove(0), EBUSY);  // open
  f.loop.configure(fd, "/a", 0);
  f.loop.close(fd);
  EXPECT_EQ(f.loop.remove(0), EBUSY);  // bound
  EXPECT_EQ(f.loop.remove(9), ENODEV);
  EXPECT_EQ(f.loop.open(9).err, ENOENT);
  EXPECT_EQ(f.loop.close(LoopFd{42}), EBADF);
  EXPECT_EQ(f.loop.backing_file(9).err, ENOENT);
  EXPECT_EQ(f.loop.diskseq(9).err, ENOENT);
}

TEST(SimLoop, ClrFdWithAnotherOpenerIsDeferredToTheLastClose) {  // and example 11 (v6.1)
  for (LoopKernel k : {LoopKernel::v6_5, LoopKernel::v6_11, LoopKernel::v6_1}) {
    Fixture f(k);
    f.loop.add(0);
    LoopFd a = f.loop.open(0).value;
    LoopFd b = f.loop.open(0).value;
    f.loop.configure(a, "/a", 0);
    const auto seq = f.loop.diskseq(0).value;
    EXPECT_EQ(f.loop.clr_fd(a), 0) << to_string(k);
    EXPECT_EQ(f.loop.backing_file(0).value, "/a") << "still bound until the last close";
    EXPECT_EQ(f.loop.get_status(b).value.flags & kLoFlagsAutoclear, kLoFlagsAutoclear);
    f.loop.close(a);
    EXPECT_EQ(f.loop.backing_file(0).value, "/a");
    f.loop.close(b);
    EXPECT_EQ(f.loop.backing_file(0).err, ENOENT);
    EXPECT_GT(f.loop.diskseq(0).value, seq);
    ASSERT_EQ(f.loop.detaches().size(), 1u);
    EXPECT_EQ(f.loop.detaches()[0].reason, "autoclear");
  }
}

TEST(SimLoop, SoleOpenerDetachesAtOnceOnV65AndAtCloseOnV611) {
  Fixture old(LoopKernel::v6_5);
  old.loop.add(0);
  LoopFd fd = old.loop.open(0).value;
  old.loop.configure(fd, "/a", 0);
  EXPECT_EQ(old.loop.clr_fd(fd), 0);
  EXPECT_EQ(old.loop.backing_file(0).err, ENOENT);

  Fixture now(LoopKernel::v6_11);
  now.loop.add(0);
  fd = now.loop.open(0).value;
  now.loop.configure(fd, "/a", 0);
  EXPECT_EQ(now.loop.clr_fd(fd), 0);
  EXPECT_EQ(now.loop.backing_file(0).value, "/a");
  EXPECT_EQ(now.loop.open(0).err, ENXIO) << "rundown refuses new openers";
  EXPECT_EQ(now.loop.configure(fd, "/b", 0), EBUSY);
  EXPECT_EQ(now.loop.clr_fd(fd), ENXIO);
  EXPECT_EQ(now.loop.get_free().value, 1) << "a device in rundown is not free";
  now.loop.close(fd);
  EXPECT_EQ(now.loop.backing_file(0).err, ENOENT);
}

TEST(SimLoop, SetFdThenSetStatusAutoclearDetachesOnLastClose) {
  Fixture f;
  f.loop.add(0);
  LoopFd fd = f.loop.open(0).value;
  EXPECT_EQ(f.loop.set_fd(fd, "/a"), 0);
  EXPECT_EQ(f.loop.get_status(fd).value.flags, 0u);
  EXPECT_EQ(f.loop.set_status_flags(fd, kLoFlagsAutoclear | kLoFlagsReadOnly), 0);
  EXPECT_EQ(f.loop.get_status(fd).value.flags, kLoFlagsAutoclear) << "READ_ONLY is not settable";
  f.loop.close(fd);
  EXPECT_EQ(f.loop.backing_file(0).err, ENOENT);
}

TEST(SimLoop, AKilledProcessClosesItsFdAndAutoclearDetaches) {
  Fixture f;
  f.loop.add(0);
  WaitQueue forever;
  ActorId script = f.t.ex.spawn("block script", [&] {
    LoopFd fd = f.loop.open(0).value;
    f.loop.configure(fd, "/a", kLoFlagsAutoclear);
    f.t.ex.sched().wait(forever, "nothing");
  });
  f.t.ex.spawn("oom killer", [&] {
    f.loop.diskseq(0);  // a visible step, so the script has configured by now or not
    f.t.ex.sched().kill(script);
  });
  ExecutionResult r = f.t.ex.run();
  EXPECT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(f.loop.openers(0), 0);
  EXPECT_EQ(f.loop.peek(0)->bound, false) << "no loop device leaked by the killed script";
}

TEST(SimLoop, ProcessExitClosesFdsWithoutAutoclearKeepsBinding) {
  Fixture f;
  f.loop.add(0);
  f.t.ex.spawn("losetup", [&] {
    LoopFd fd = f.loop.open(0).value;
    f.loop.configure(fd, "/a", 0);
  });
  f.t.ex.run();
  EXPECT_EQ(f.loop.openers(0), 0);
  EXPECT_TRUE(f.loop.peek(0)->bound);
}

TEST(SimLoop, MinorReuseGivesANewDiskseqExceptBeforeB90ecc0379eb) {
  for (LoopKernel k : {LoopKernel::v6_5, LoopKernel::before_b90ecc0379eb}) {
    Fixture f(k);
    f.loop.add(0);
    LoopFd fd = f.loop.open(0).value;
    f.loop.configure(fd, "/a", 0);
    const auto seq_a = f.loop.diskseq(0).value;
    f.loop.clr_fd(fd);
    f.loop.configure(fd, "/b", 0);
    const auto seq_b = f.loop.diskseq(0).value;
    EXPECT_EQ(f.loop.backing_file(0).value, "/b");
    if (k == LoopKernel::before_b90ecc0379eb) {
      EXPECT_EQ(seq_a, seq_b) << "the old kernel cannot tell the media apart";
    } else {
      EXPECT_EQ(seq_a, 2u);
      EXPECT_EQ(seq_b, 4u);
    }
  }
}

TEST(SimLoop, FindByFileMatchesIdentityOfBoundDevicesOnly) {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.loop.add(i);
  LoopFd f0 = f.loop.open(0).value, f1 = f.loop.open(1).value, f2 = f.loop.open(2).value;
  f.loop.configure(f0, "/a", 0);
  f.loop.configure(f1, "/b", 0);
  f.loop.configure(f2, "/a", 0);
  EXPECT_EQ(f.loop.find_by_file("/a").value, (std::vector<int>{0, 2}));
  f.loop.clr_fd(f2);  // v6.11 sole opener: rundown, no longer listed
  EXPECT_EQ(f.loop.find_by_file("/a").value, (std::vector<int>{0}));
  EXPECT_EQ(f.loop.find_by_file("/nope").err, ENOENT);
}

TEST(SimLoop, KernelOpenCountsAsAnOpener) {
  Fixture f(LoopKernel::v6_5);
  f.loop.add(0);
  LoopFd fd = f.loop.open(0).value;
  f.loop.configure(fd, "/a", 0);
  int ref = f.loop.kernel_open(kLoopMajor, 0).value;
  EXPECT_EQ(f.loop.medium_of_ref(ref).backing_file, "/a");
  EXPECT_EQ(f.loop.clr_fd(fd), 0);  // losetup -d while blkback holds it: deferred
  f.loop.close(fd);
  EXPECT_TRUE(f.loop.peek(0)->bound);
  f.loop.kernel_close(ref);
  EXPECT_FALSE(f.loop.peek(0)->bound);
  EXPECT_EQ(f.loop.kernel_open(8, 0).err, ENXIO);
  EXPECT_EQ(f.loop.kernel_open(kLoopMajor, 5).err, ENXIO);
}

// Example 9, and the same race on the other kernels: what openers racing `losetup -d` of the sole opener find.
struct RacingOpeners {
  Result<int> ref;            // blkback: blkdev_get_by_dev(7:0)
  LoopMedium medium;          // what blkback's reference found
  Result<LoopFd> fd;          // a process: open("/dev/loop0")
  Result<std::uint64_t> seq;  // BLKGETDISKSEQ on that fd
  Errno configure = 0, clr_fd = 0;
  int free_index = -1;
};

RacingOpeners race_losetup_d(Fixture& f) {
  bind_a_and_spawn_losetup_d(f);
  RacingOpeners got;
  f.t.ex.spawn("blkback", [&] {
    got.ref = f.loop.kernel_open(kLoopMajor, 0);
    if (got.ref.ok()) got.medium = f.loop.medium_of_ref(got.ref.value);
  });
  f.t.ex.spawn("udev", [&] {
    got.fd = f.loop.open(0);
    if (!got.fd.ok()) return;
    got.seq = f.loop.fd_diskseq(got.fd.value);
    got.configure = f.loop.configure(got.fd.value, "/b", 0);
    got.clr_fd = f.loop.clr_fd(got.fd.value);
    got.free_index = f.loop.get_free().value;
    f.loop.close(got.fd.value);
  });
  ExecutionResult r = f.t.ex.run();
  EXPECT_FALSE(r.failed()) << r.message;
  return got;
}

TEST(SimLoop, V61SoleOpenerClrFdLetsOpenersInBeforeTheTeardown) {
  Fixture f(LoopKernel::v6_1, Fixture::InsideTheTeardown{});
  const RacingOpeners got = race_losetup_d(f);
  ASSERT_TRUE(got.ref.ok()) << "6.1 has no lo_open: nothing refuses an opener in Lo_rundown";
  EXPECT_EQ(got.medium.diskseq, 2u) << "the old diskseq: disk_force_media_change has not run yet";
  EXPECT_FALSE(got.medium.bound) << "LOOP_GET_STATUS64 says ENXIO once the state is not Lo_bound";
  ASSERT_TRUE(got.fd.ok());
  EXPECT_EQ(got.seq.value, 2u);
  EXPECT_EQ(got.configure, EBUSY);
  EXPECT_EQ(got.clr_fd, ENXIO);
  EXPECT_EQ(got.free_index, 1) << "GET_FREE wants Lo_unbound";
  // The teardown then ran anyway, under blkback's reference.
  EXPECT_FALSE(f.loop.rundown(0));
  EXPECT_FALSE(f.loop.peek(0)->bound);
  EXPECT_EQ(f.loop.diskseq(0).value, 4u) << "bumped by the teardown (3 went to loop1, made by GET_FREE)";
  EXPECT_EQ(f.loop.openers(0), 1);
  ASSERT_EQ(f.loop.detaches().size(), 1u);
  EXPECT_EQ(f.loop.detaches()[0].by, "losetup -d");
}

TEST(SimLoop, TheSameRaceFindsNoWindowOnV65OrV611) {
  Fixture v65(LoopKernel::v6_5, Fixture::InsideTheTeardown{});
  const RacingOpeners old = race_losetup_d(v65);
  ASSERT_TRUE(old.ref.ok());
  EXPECT_EQ(old.medium.diskseq, 3u) << "v6.5's model detaches in one step: an opener sees the new diskseq";
  EXPECT_FALSE(old.medium.bound);

  Fixture v611(LoopKernel::v6_11, Fixture::InsideTheTeardown{});
  const RacingOpeners now = race_losetup_d(v611);
  EXPECT_EQ(now.ref.err, ENXIO) << "lo_open refuses Lo_rundown";
  EXPECT_EQ(now.fd.err, ENXIO);
}

TEST(SimLoop, V61AReferenceOpenedInTheTeardownReachesTheNextBinding) {
  Fixture f(LoopKernel::v6_1, Fixture::InsideTheTeardown{});
  bind_a_and_spawn_losetup_d(f);
  int ref = -1;
  f.t.ex.spawn("blkback", [&] { ref = f.loop.kernel_open(kLoopMajor, 0).value; });
  ExecutionResult r = f.t.ex.run();
  ASSERT_FALSE(r.failed()) << r.message;
  ASSERT_GE(ref, 0);
  EXPECT_EQ(f.loop.get_free().value, 0) << "unbound again, though blkback still holds it";
  LoopFd fd = f.loop.open(0).value;
  EXPECT_EQ(f.loop.configure(fd, "/b", 0), 0) << "LOOP_CONFIGURE does not look at other openers";
  const LoopMedium now = f.loop.medium_of_ref(ref);
  EXPECT_TRUE(now.bound);
  EXPECT_EQ(now.backing_file, "/b");
  EXPECT_EQ(now.diskseq, 4u);
}

TEST(SimLoop, V61TeardownCompletesWhenTheDetacherIsKilledInIt) {
  Fixture f(LoopKernel::v6_1, Fixture::InsideTheTeardown{});
  f.loop.add(0);
  LoopFd fd = f.loop.open(0).value;
  f.loop.configure(fd, "/a", 0);
  f.loop.close(fd);
  const ActorId detacher = f.t.ex.spawn("losetup -d", [&f] {
    LoopFd own = f.loop.open(0).value;
    f.loop.clr_fd(own);
    ADD_FAILURE() << "killed inside the ioctl: it never returns to user space";
  });
  f.t.ex.spawn("oom killer", [&] {
    f.loop.diskseq(0);  // a visible step: runs inside the teardown
    f.t.ex.sched().kill(detacher);
  });
  ExecutionResult r = f.t.ex.run();
  EXPECT_FALSE(r.failed()) << r.message;
  EXPECT_FALSE(f.loop.rundown(0));
  EXPECT_FALSE(f.loop.peek(0)->bound) << "__loop_clr_fd is not interruptible";
  EXPECT_EQ(f.loop.openers(0), 0) << "its fd closed at exit";
}

// --- properties over random operation sequences ---

struct Model {
  std::map<int, std::uint64_t> last_seq;  // per device, never decreases
};

void apply(SimLoop& loop, std::vector<LoopFd>& fds, std::uint32_t op) {
  const int index = static_cast<int>((op >> 4) % 3);
  const char* file = (op >> 6) % 2 ? "/a" : "/b";
  LoopFd fd = fds.empty() ? LoopFd{} : fds[(op >> 7) % fds.size()];
  switch (op % 11) {
    case 0: loop.get_free(); break;
    case 1: loop.add(index); break;
    case 2: loop.remove(index); break;
    case 3: if (auto r = loop.open(index); r.ok()) fds.push_back(r.value); break;
    case 4: loop.close(fd); break;
    case 5: loop.configure(fd, file, (op >> 8) % 2 ? kLoFlagsAutoclear : 0); break;
    case 6: loop.set_fd(fd, file); break;
    case 7: loop.set_status_flags(fd, (op >> 8) % 2 ? kLoFlagsAutoclear : 0); break;
    case 8: loop.clr_fd(fd); break;
    case 9: if (auto r = loop.kernel_open(kLoopMajor, static_cast<unsigned>(index)); r.ok()) loop.kernel_close(r.value); break;
    default: loop.find_by_file(file); break;
  }
}

RC_GTEST_PROP(SimLoopProperties, AMinorIsNeverBoundToTwoFilesAndLosetupJAgrees, (std::vector<std::uint32_t> ops)) {
  for (LoopKernel k : {LoopKernel::before_b90ecc0379eb, LoopKernel::v6_5, LoopKernel::v6_11}) {
    Fixture f(k);
    std::vector<LoopFd> fds;
    for (std::uint32_t op : ops) {
      apply(f.loop, fds, op);
      for (const char* file : {"/a", "/b"}) {
        const FileIdentity id = f.loop.stat_file(file).value;
        std::vector<int> expect;
        for (int i : f.loop.indexes()) {
          auto m = *f.loop.peek(i);
          RC_ASSERT(m.bound == !m.backing_file.empty());
          RC_ASSERT(!m.bound || f.loop.stat_file(m.backing_file).value == m.file);
          if (m.bound && m.file == id && f.loop.find_by_file(file).ok()) expect.push_back(i);
        }
        // find_by_file lists only fully bound devices (not rundown), so it is a subset of what peek shows.
        for (int i : f.loop.find_by_file(file).value)
          RC_ASSERT(std::find(expect.begin(), expect.end(), i) != expect.end());
      }
      for (int i : f.loop.indexes()) RC_ASSERT(f.loop.openers(i) >= 0);
    }
  }
}

RC_GTEST_PROP(SimLoopProperties, DiskseqStrictlyIncreasesAndIsUniqueAcrossDevices, (std::vector<std::uint32_t> ops)) {
  Fixture f(LoopKernel::v6_11);
  std::vector<LoopFd> fds;
  std::map<int, std::uint64_t> last;
  std::uint64_t max_seen = 0;
  for (int i : f.loop.indexes()) max_seen = std::max(max_seen, f.loop.peek(i)->diskseq);
  for (std::uint32_t op : ops) {
    apply(f.loop, fds, op);
    std::set<std::uint64_t> seen;
    std::uint64_t max_now = max_seen;
    for (int i : f.loop.indexes()) {
      const std::uint64_t seq = f.loop.peek(i)->diskseq;
      RC_ASSERT(seen.insert(seq).second);  // no two devices share a sequence number
      auto it = last.find(i);
      // A new device or a media change gets a number larger than any handed out before.
      if (it == last.end() || it->second != seq) RC_ASSERT(seq > max_seen);
      max_now = std::max(max_now, seq);
    }
    last.clear();
    for (int i : f.loop.indexes()) last[i] = f.loop.peek(i)->diskseq;
    max_seen = max_now;
  }
}

}  // namespace
}  // namespace xenrace
