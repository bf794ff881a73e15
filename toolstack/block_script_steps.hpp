// Steps shared by the block-path scenarios (blkback-minor-reuse, loop-block-script): what a block hotplug
// script and losetup(8) do, written against the World interfaces, and the choice of kernel behaviour.
#pragma once
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "runtime/execution.hpp"
#include "world/block_backend.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::block {

inline std::string backend_path(int domid, int devid = 51712) {
  return fmt::format("/local/domain/0/backend/vbd/{}/{}", domid, devid);
}

// `stat -L -c %t:%T /dev/loopN`: loopN is 7:N.
inline std::string loop_devnum(int index) { return format_major_minor(kLoopMajor, static_cast<unsigned>(index)); }

// A variant's kernel behaviour (world/kernel.hpp). The loop driver's model is the kernel only in the simulator;
// on a real host the kernel decides, so a variant whose model the host's kernel does not match is skipped with
// the backend's reason (backends/dom0/host_kernel.hpp; a v6.1 race inside one LOOP_CLR_FD call only free runs
// can meet). The blkback behaviour (diskseq checked or not) follows the variant wherever blkback is the
// simulated driver: always in the simulator, and on a dom0 host where it stands in on the real loop devices.
// A real xen-blkback has no diskseq check (never merged), so those variants are skipped there.
inline void select_kernel(World& world, LoopKernel loop, BlkbackDiskseq blkback) {
  require_model(world.kernel(), loop);
  require_model(world.kernel(), blkback);
}

// The call sites below block inside, for the state cache: each describes its own frame only
// (Scheduler::Rest::callee), so it counts where its caller describes the rest of the stack.
enum RestSite : std::uint64_t { kFindAttempt = 1, kDetach, kWatching, kWaitRound };

// util-linux `losetup -f --show FILE` with LOOP_CONFIGURE: find a free device, bind it, and start over when
// another loop user bound that index first (EBUSY). Returns the index; `fd` stays open for the caller.
inline Result<int> losetup_find_and_configure(Scheduler& sched, LoopDevices& loop, std::string_view file,
                                              std::uint32_t flags, LoopFd& fd) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    Scheduler::Rest trying(sched, kFindAttempt, Scheduler::Rest::callee);
    trying.keep(attempt);
    auto index = loop.get_free();
    if (!index.ok()) return index;
    trying.keep(index.value);
    auto opened = loop.open(index.value);
    if (!opened.ok()) continue;  // removed or torn down meanwhile
    trying.keep(opened.value.id);
    const Errno err = loop.configure(opened.value, file, flags);
    if (err == 0) {
      fd = opened.value;
      return index;
    }
    trying.keep(err);
    loop.close(opened.value);
    if (err != EBUSY) return Result<int>::error(err);
  }
  return Result<int>::error(EBUSY);
}

// `losetup -d /dev/loopN`: open, LOOP_CLR_FD, close.
inline Errno losetup_detach(Scheduler& sched, LoopDevices& loop, int index) {
  Scheduler::Rest detaching(sched, kDetach, Scheduler::Rest::callee);
  auto fd = loop.open(index);
  if (!fd.ok()) return fd.err;
  detaching.keep(fd.value.id);
  const Errno err = loop.clr_fd(fd.value);
  detaching.keep(err);
  loop.close(fd.value);
  return err;
}

// Blocks until `done(value or "")` returns something true, using a watch as libxl's xswait does, and returns
// that. `done` acts only on which of `values` the node holds, or none, or that it is missing
// (XsConnection::read_one_of); it returns a bool or an integer, which the wait keeps for the caller.
template <class Pred>
auto wait_for_node(Scheduler& sched, XsConnection& xs, const std::string& path,
                   std::initializer_list<std::string_view> values, Pred done) {
  Scheduler::Rest waiting(sched, kWatching, Scheduler::Rest::callee);
  xs.watch(path, "wait");
  decltype(done(std::string())) outcome{};
  for (;;) {
    Scheduler::Rest round(sched, kWaitRound, Scheduler::Rest::callee);  // every round starts from the same state
    auto v = xs.read_one_of(path, values);
    // `done` may look at more before it decides; what it acts on is which of `values` the node held.
    std::size_t which = 0;
    while (v.ok() && which < values.size() && values.begin()[which] != v.value) ++which;
    round.keep(v.ok(), which);
    outcome = done(v.ok() ? v.value : std::string());
    if (outcome) break;
    xs.read_watch();
  }
  waiting.keep(outcome);
  xs.unwatch(path, "wait");
  return outcome;
}

}  // namespace xenrace::block
