// Differential test: the same random loop operation sequences on the fake and on this machine's kernel,
// comparing every result (errno, status flags, backing file) and whether each device's diskseq changed.
// It creates its own loop devices with LOOP_CTL_ADD at indexes nobody uses, touches no other device, and
// detaches and removes its devices at the end, also when a comparison fails.
// LOOP_CTL_GET_FREE is left out: its answer depends on every other loop user of the host.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "backends/sim/loop/sim_loop.hpp"
#include "loop_test_support.hpp"
#include "real_loop.hpp"

namespace xenrace {
namespace {

using testing::RealLoop;
using testing::TestExecution;

constexpr int kSlots = 3;
const char* const kFiles[] = {"/a", "/b"};

// The fake's kernel variant that this host's loop driver should behave like.
LoopKernel host_kernel() {
  utsname u{};
  uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  return (major > 6 || (major == 6 && minor >= 11)) ? LoopKernel::v6_11 : LoopKernel::v6_5;
}

// Everything the test created on the host, released whatever happens.
struct HostDevices {
  std::filesystem::path scratch;
  std::unique_ptr<RealLoop> real;
  std::vector<int> index;      // slot -> host index
  std::vector<bool> exists;    // slot -> the test believes its device exists
  ~HostDevices() {
    if (!real) return;
    real->close_all();
    for (int s = 0; s < static_cast<int>(index.size()); ++s) {
      if (!exists[s]) continue;  // removed by the sequence: the index may now belong to someone else
      if (auto fd = real->open(index[s]); fd.ok()) {
        real->clr_fd(fd.value);
        real->close(fd.value);
      }
      real->remove(index[s]);
    }
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
  }
};

std::string describe(Errno e) { return errno_name(e); }

class Differential {
 public:
  Differential(HostDevices& host, SimLoop& sim) : host_(host), sim_(sim) {}

  // Runs one operation on both; returns "" when they agree, else what differed.
  std::string step(std::uint64_t r) {
    const int slot = static_cast<int>(r % kSlots);
    const char* file = kFiles[(r >> 8) % 2];
    const std::uint32_t flags = (r >> 9) % 2 ? kLoFlagsAutoclear : 0;
    const std::size_t fdi = fds_.empty() ? 0 : (r >> 10) % fds_.size();
    const LoopFd sim_fd = fds_.empty() ? LoopFd{} : fds_[fdi].first;
    const LoopFd real_fd = fds_.empty() ? LoopFd{} : fds_[fdi].second;
    RealLoop& real = *host_.real;
    const int hi = host_.index[slot];
    std::string op, diff;
    auto cmp = [&](Errno s, Errno h) {
      if (s != h) diff = fmt::format("fake {} but kernel {}", describe(s), describe(h));
    };
    switch ((r >> 16) % 12) {
      case 0:
      case 1: {
        op = fmt::format("open loop[{}]", slot);
        auto s = sim_.open(slot);
        auto h = real.open(hi);
        cmp(s.err, h.err);
        if (s.ok() && h.ok()) fds_.emplace_back(s.value, h.value);
        break;
      }
      case 2:
        op = fmt::format("close fd#{}", fdi);
        cmp(sim_.close(sim_fd), real.close(real_fd));
        break;
      case 3:
        op = fmt::format("LOOP_CONFIGURE fd#{} {} flags={}", fdi, file, flags);
        cmp(sim_.configure(sim_fd, file, flags), real.configure(real_fd, file, flags));
        break;
      case 4:
        op = fmt::format("LOOP_SET_FD fd#{} {}", fdi, file);
        cmp(sim_.set_fd(sim_fd, file), real.set_fd(real_fd, file));
        break;
      case 5:
        op = fmt::format("LOOP_SET_STATUS64 fd#{} flags={}", fdi, flags);
        cmp(sim_.set_status_flags(sim_fd, flags), real.set_status_flags(real_fd, flags));
        break;
      case 6: {
        op = fmt::format("LOOP_GET_STATUS64 fd#{}", fdi);
        auto s = sim_.get_status(sim_fd);
        auto h = real.get_status(real_fd);
        cmp(s.err, h.err);
        if (diff.empty() && s.ok() && (s.value.backing_file != h.value.backing_file || s.value.flags != h.value.flags))
          diff = fmt::format("fake {} flags {} but kernel {} flags {}", s.value.backing_file, s.value.flags,
                             h.value.backing_file, h.value.flags);
        break;
      }
      case 7:
      case 8:
        op = fmt::format("LOOP_CLR_FD fd#{}", fdi);
        cmp(sim_.clr_fd(sim_fd), real.clr_fd(real_fd));
        break;
      case 9: {
        op = fmt::format("read loop[{}]/loop/backing_file", slot);
        auto s = sim_.backing_file(slot);
        auto h = real.backing_file(hi);
        cmp(s.err, h.err);
        if (diff.empty() && s.ok() && s.value != h.value) diff = fmt::format("fake {} but kernel {}", s.value, h.value);
        break;
      }
      case 10: {
        op = fmt::format("losetup -j {}", file);
        auto s = sim_.find_by_file(file);
        auto h = real.find_by_file(file);
        std::vector<int> mapped;
        for (int i : h.value)
          for (int k = 0; k < kSlots; ++k)
            if (host_.index[k] == i) mapped.push_back(k);
        cmp(s.err, h.err);
        if (diff.empty() && s.value != mapped) diff = fmt::format("fake {} devices but kernel {}", s.value.size(), mapped.size());
        break;
      }
      default: {
        if ((r >> 12) % 2) {
          op = fmt::format("LOOP_CTL_REMOVE loop[{}]", slot);
          Errno s = sim_.remove(slot), h = real.remove(hi);
          cmp(s, h);
          if (h == 0) host_.exists[slot] = false;
        } else {
          op = fmt::format("LOOP_CTL_ADD loop[{}]", slot);
          auto s = sim_.add(slot);
          auto h = real.add(hi);
          cmp(s.err, h.err);
          if (h.ok()) host_.exists[slot] = true;
        }
        break;
      }
    }
    // diskseq: compare whether it changed, not its value (the kernel's counter is global to the host).
    for (int k = 0; k < kSlots && diff.empty(); ++k) {
      auto s = sim_.diskseq(k);
      auto h = host_.real->diskseq(host_.index[k]);
      if (s.ok() != h.ok()) {
        diff = fmt::format("loop[{}] exists in the fake: {}, in the kernel: {}", k, s.ok(), h.ok());
        break;
      }
      const bool s_changed = s.ok() && last_sim_[k] != s.value;
      const bool h_changed = h.ok() && last_real_[k] != h.value;
      if (s.ok() && seen_[k] && s_changed != h_changed)
        diff = fmt::format("loop[{}] diskseq {} in the fake but {} in the kernel", k, s_changed ? "changed" : "stayed",
                           h_changed ? "changed" : "stayed");
      seen_[k] = s.ok();
      last_sim_[k] = s.ok() ? s.value : 0;
      last_real_[k] = h.ok() ? h.value : 0;
    }
    history_ += op + (diff.empty() ? "\n" : " <- " + diff + "\n");
    return diff;
  }
  const std::string& history() const { return history_; }

 private:
  HostDevices& host_;
  SimLoop& sim_;
  std::vector<std::pair<LoopFd, LoopFd>> fds_;
  std::uint64_t last_sim_[kSlots] = {};
  std::uint64_t last_real_[kSlots] = {};
  bool seen_[kSlots] = {};
  std::string history_;
};

std::string skip_reason() {
  if (::geteuid() != 0) return "needs root to create loop devices";
  if (::access("/dev/loop-control", R_OK | W_OK) != 0) return "no usable /dev/loop-control on this machine";
  if (!std::filesystem::exists("/sys/block/loop0/diskseq") && !std::filesystem::exists("/sys/class/block"))
    return "no sysfs block devices";
  return {};
}

TEST(LoopParity, RandomOperationSequencesMatchTheKernel) {
  if (const std::string why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  const LoopKernel kernel = host_kernel();
  for (std::uint64_t seed = 1; seed <= 25; ++seed) {
    HostDevices host;
    char dir[] = "/tmp/xenrace-loop-parity-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    host.scratch = dir;
    host.real = std::make_unique<RealLoop>(dir);
    for (int candidate = 400; static_cast<int>(host.index.size()) < kSlots && candidate < 4000; ++candidate) {
      if (std::filesystem::exists(fmt::format("/sys/block/loop{}", candidate))) continue;
      if (host.real->add(candidate).ok()) {
        host.index.push_back(candidate);
        host.exists.push_back(true);
      }
    }
    ASSERT_EQ(static_cast<int>(host.index.size()), kSlots) << "could not create test loop devices";
    if (!host.real->diskseq(host.index[0]).ok()) GTEST_SKIP() << "this kernel has no /sys/block/loopN/diskseq";

    TestExecution t;
    SimLoop sim(t.ex, kernel);
    for (int k = 0; k < kSlots; ++k) sim.add(k);
    for (const char* f : kFiles) {
      ASSERT_EQ(sim.create_file(f), 0);
      ASSERT_EQ(host.real->create_file(f), 0);
    }
    Differential d(host, sim);
    std::mt19937_64 gen(seed);  // the sequence is a pure function of the seed
    for (int i = 0; i < 80; ++i) {
      const std::string diff = d.step(gen());
      ASSERT_TRUE(diff.empty()) << "seed " << seed << ", kernel model " << to_string(kernel) << ", step " << i
                                << ": " << diff << "\nsequence:\n" << d.history();
    }
  }
}

}  // namespace
}  // namespace xenrace
