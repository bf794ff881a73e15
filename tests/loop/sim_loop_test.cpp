// The worked examples of fakes/loop/sim_loop.hpp, one test each, and properties over random operations.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "fakes/loop/sim_loop.hpp"
#include "loop_test_support.hpp"

namespace xenrace {
namespace {

using testing::TestExecution;

struct Fixture {
  TestExecution t;
  SimLoop loop;
  explicit Fixture(LoopKernel k = LoopKernel::v6_11) : loop(t.ex, k) {
    loop.create_file("/a");
    loop.create_file("/b");
  }
};

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

TEST(SimLoop, ClrFdWithAnotherOpenerIsDeferredToTheLastClose) {
  for (LoopKernel k : {LoopKernel::v6_5, LoopKernel::v6_11}) {
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
