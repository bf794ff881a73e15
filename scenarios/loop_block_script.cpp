// loop-block-script: Xen's Linux block hotplug script (tools/hotplug/Linux/block, block-common.sh) sets up
// loop devices for file-backed disks with `losetup -f` followed by a separate `losetup DEV FILE`, closes
// the device, and writes physical-device for blkback to open later; its remove runs `losetup -d $node`.
// The hotplug lock serialises Xen's scripts only; any other loop user races with them.
//
// Real bug: xen-devel "[RFC PATCH 0/2] libxl: support common cases without block script" (2021, seed 004):
// Demi Marie Obenour: "The only fully safe way to use loop devices is to use LOOP_CONFIGURE with
// LO_FLAGS_AUTOCLEAR and hold a file descriptor open to the device until another piece of code ... has
// grabbed a reference to it. Everything else risks either using a freed loop device ... or risks leaking
// them on unclean exit." Earlier: Xen 92e6cb5673 (2009) "Avoid 'leaked' loopback devices".
//
// The world: domain 3's disk (loop0) is being detached while domains 1 and 2 get new disks, and udisksd
// (any non-Xen loop user) sets up an ISO with AUTOCLEAR, lets it go, and later cleans up with
// `losetup -d` by the index it remembered. With `--param adds=N`, domains 1..N get new disks and domain N+1's
// is the one detached.
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>
#include "world/host_block_script.hpp"
#include "toolstack/flock.hpp"
#include "toolstack/block_script_steps.hpp"
#include "world/kernel.hpp"

namespace xenrace::scenario_loop_block_script {  // names of its own (CI builds in unity batches)
namespace {

constexpr const char* kIso = "/isos/install.iso";

struct Disk {
  int domid;
  std::string image;
  std::string be;
};

enum class Mode { shell_script, configure_autoclear, configure_autoclear_killed };

// The call sites an actor rests under (Scheduler::Rest), and how an add's wait for blkback ends.
enum RestSite : std::uint64_t { kAdding = 1, kLocking, kRemoving, kUsingIso };
enum WaitOutcome : int { kStillWaiting = 0, kOpened, kRefused };

Mode mode_of(std::string_view name) {
  if (name == "buggy") return Mode::shell_script;
  if (name == "fixed") return Mode::configure_autoclear;
  if (name == "fixed-killed") return Mode::configure_autoclear_killed;
  throw UsageError(fmt::format("loop-block-script has no variant '{}'", name));
}

// What the scenario remembers across actors for its invariants, one entry per block add.
struct Observed {
  explicit Observed(int adds) : add_done(adds, false), add_error(adds), add_actor(adds, kNoActor) {}
  std::vector<bool> add_done;
  std::vector<std::string> add_error;
  std::vector<ActorId> add_actor;
};

XENRACE_SCENARIO({
    .name = "loop-block-script",
    .description = "Block-script adds (two by default) and a remove on file-backed disks, plus a non-Xen loop user (udisksd) that sets up an "
        "ISO and later runs losetup -d on the index it remembered.",
    .source = "xen-devel \"libxl: support common cases without block script\" (2021, seed 004); Xen 92e6cb5673",
    .tags = {"xenstore", "loop", "blkback"},
    .variants = {
        {"buggy", Expect::fail,
         "the shell script: losetup -f, then losetup DEV FILE, close, write physical-device; remove runs losetup -d $node"},
        {"fixed", Expect::pass,
         "LOOP_CONFIGURE with LO_FLAGS_AUTOCLEAR, the fd held until blkback writes opened=1, diskseq written before "
         "physical-device; remove leaves the detach to autoclear"},
        {"fixed-killed", Expect::pass,
         "the fixed script, killed at a point the explorer chooses: no loop device leaked, no guest given the wrong file"},
    },
    .default_iterations = 2000,
    .max_steps = 3000,
    .params = {integer_param("adds", 2,
                             "how many block-script adds run at once (domains 1..N get new disks; domain N+1's disk is "
                             "the one removed)",
                             1, 5)},
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  const Mode mode = mode_of(variant);
  const bool fixed = mode != Mode::shell_script;
  block::select_kernel(world, LoopKernel::v6_11, fixed ? BlkbackDiskseq::node : BlkbackDiskseq::unsupported);
  // Its adds and remove share a lock with its own model of the script and check which actor detached what:
  // the host's script (dom0 --block-script real) does not fit in those actors yet.
  if (world.host_block_script())
    throw ComponentUnavailable("the host's block script (--block-script real) is built for blkback-minor-reuse only; "
                               "loop-block-script runs its model of the script (--block-script modelled)");
  LoopDevices& loop = world.loop();
  auto& lock = ex.make<FlockLock>(ex, hotplug_block_lock_names());
  const int adds = race.param<int>("adds");
  auto& seen = ex.make<Observed>(adds);
  // Domains 1..adds get new disks; the last disk (domain adds+1, loop0) is the one being detached.
  auto& disks = ex.make<std::vector<Disk>>();
  for (int domid = 1; domid <= adds + 1; ++domid)
    disks.push_back({domid, fmt::format("/images/dom{}.img", domid), block::backend_path(domid)});
  const Disk& removed = disks.back();
  for (const Disk& d : disks) loop.create_file(d.image);
  loop.create_file(kIso);

  // The removed domain's disk was attached earlier by the same script: loop0, physical-device 7:0, blkback holds it.
  {
    auto xs = world.xenstore().connect(0);
    loop.add(0);
    LoopFd fd = loop.open(0).value;
    loop.configure(fd, removed.image, 0);
    loop.close(fd);
    for (const Disk& d : disks) {
      xs->write(kNoTx, d.be + "/params", d.image);
      xs->write(kNoTx, d.be + "/mode", "w");
      xs->write(kNoTx, d.be + "/online", "1");
    }
    xs->write(kNoTx, removed.be + "/node", "/dev/loop0");
    if (fixed) xs->write(kNoTx, removed.be + "/diskseq", format_diskseq(loop.diskseq(0).value));
    xs->write(kNoTx, removed.be + "/physical-device", block::loop_devnum(0));
  }
  for (const Disk& d : disks) world.block_backends().probe(d.be);

  // --- block add, for domains 1..adds ---
  // Every actor rests at each of its points for the state cache (Scheduler::Rest): a scope per call site,
  // keeping each result it uses after a later point; straight-line code is placed by the points it passed.
  for (int k = 0; k < adds; ++k) {
    const std::uint32_t kill_points = mode == Mode::configure_autoclear_killed && k == 0 ? 8 : 0;
    seen.add_actor[k] = ex.spawn(fmt::format("block add vbd/{}/51712", k + 1), [&ex, &world, &loop, &lock, &seen, &disks, k, fixed, kill_points] {
      Scheduler& sched = ex.sched();
      Scheduler::Rest adding(sched, kAdding);
      const Disk& d = disks[k];
      // Where the OOM killer or libxl's timeout strikes: 0 = never (the default schedule).
      const std::uint32_t kill_at = kill_points ? ex.choose(kill_points, ChoiceKind::fault) : 0;
      adding.keep(kill_at);
      std::uint32_t step = 0;  // follows from where the add is
      auto maybe_killed = [&] {
        if (kill_at && ++step == kill_at) ex.sched().kill(ex.sched().current());
      };
      auto xs = world.xenstore().connect(0);
      {
        Scheduler::Rest locking(sched, kLocking);
        lock.acquire();
      }
      maybe_killed();
      LoopFd fd;
      int index = -1;
      if (!fixed) {
        // loopdev=$(losetup -f); losetup "$loopdev" "$file" (do_or_die)
        index = loop.get_free().value;
        adding.keep(index);
        auto dev = loop.open(index);
        adding.keep(dev.ok(), dev.ok() ? dev.value.id : dev.err);
        const Errno err = dev.ok() ? loop.set_fd(dev.value, d.image) : dev.err;
        adding.keep(err);
        if (dev.ok()) loop.close(dev.value);
        if (err) {
          seen.add_error[k] = fmt::format("losetup /dev/loop{} {} failed: {}", index, d.image, errno_name(err));
          xs->write(kNoTx, d.be + "/hotplug-status", "error");
          lock.release();
          return;
        }
      } else {
        auto r = block::losetup_find_and_configure(sched, loop, d.image, kLoFlagsAutoclear, fd);
        adding.keep(r.ok(), r.ok() ? r.value : r.err, fd.id);
        maybe_killed();
        if (!r.ok()) {
          seen.add_error[k] = fmt::format("LOOP_CONFIGURE {} failed: {}", d.image, errno_name(r.err));
          xs->write(kNoTx, d.be + "/hotplug-status", "error");
          lock.release();
          return;
        }
        index = r.value;
      }
      xs->write(kNoTx, d.be + "/node", fmt::format("/dev/loop{}", index));
      maybe_killed();
      if (fixed) {
        const std::uint64_t diskseq = loop.fd_diskseq(fd).value;
        adding.keep(diskseq);
        xs->write(kNoTx, d.be + "/diskseq", format_diskseq(diskseq));
        maybe_killed();
      }
      xs->write(kNoTx, d.be + "/physical-device", block::loop_devnum(index));
      maybe_killed();
      if (fixed) {
        // Hold the device until blkback has its own reference (or has refused it). Each round looks at
        // opened, then at state, where only "5" (Closing) is looked for; a Closing backend wins.
        const int outcome = block::wait_for_node(sched, *xs, d.be + "/opened", {"1"}, [&](const std::string& v) {
          const bool closing = xs->read_one_of(d.be + "/state", {"5"}).value == "5";
          return closing ? kRefused : v == "1" ? kOpened : kStillWaiting;
        });
        maybe_killed();
        loop.close(fd);
        if (outcome == kRefused) {
          seen.add_error[k] = "blkback refused the device";
          xs->write(kNoTx, d.be + "/hotplug-status", "error");
          lock.release();
          return;
        }
      }
      xs->write(kNoTx, d.be + "/hotplug-status", "connected");
      maybe_killed();
      lock.release();
      seen.add_done[k] = true;
    });
  }

  // --- xl block-detach of the last domain: the backend closes, then the block script's remove ---
  ex.spawn(fmt::format("block remove vbd/{}/51712", removed.domid), [&ex, &world, &loop, &lock, &removed, fixed] {
    Scheduler& sched = ex.sched();
    Scheduler::Rest removing(sched, kRemoving);
    const Disk& d = removed;
    auto xs = world.xenstore().connect(0);
    xs->write(kNoTx, d.be + "/online", "0");
    block::wait_for_node(sched, *xs, d.be + "/state", {"6"}, [](const std::string& v) { return v == "6"; });
    {
      Scheduler::Rest locking(sched, kLocking);
      lock.acquire();
    }
    auto node = xs->read(kNoTx, d.be + "/node");
    const int index = node.ok() ? std::atoi(node.value.c_str() + std::string_view("/dev/loop").size()) : -1;
    removing.keep(index);
    if (!fixed) {
      block::losetup_detach(sched, loop, index);  // losetup -d "$node": whatever loopN is now
    } else if (auto fd = loop.open(index); fd.ok()) {
      removing.keep(fd.value.id);
      // Detach only if the device still backs this disk's file; holding the fd, nobody can rebind it meanwhile.
      auto st = loop.get_status(fd.value);
      const bool ours = st.ok() && st.value.file == loop.stat_file(d.image).value;
      removing.keep(ours);
      if (ours) loop.clr_fd(fd.value);
      loop.close(fd.value);
    }
    lock.release();
  });

  // --- udisksd: an ISO with AUTOCLEAR, unmounted, then `losetup -d` by the remembered index ---
  ex.spawn("udisksd", [&ex, &loop] {
    Scheduler& sched = ex.sched();
    Scheduler::Rest using_iso(sched, kUsingIso);
    LoopFd fd;
    auto index = block::losetup_find_and_configure(sched, loop, kIso, kLoFlagsAutoclear, fd);
    if (!index.ok()) return;
    using_iso.keep(index.value, fd.id);
    loop.close(fd);  // unmounted: autoclear frees the device, the index may be reused at once
    block::losetup_detach(sched, loop, index.value);  // the cleanup path, by the remembered index
  });

  // Everything the scenario keeps outside the world, for the state cache: each add's outcome and error, and who
  // holds the hotplug lock (the loop driver and blkback hash theirs, the actors where they rest).
  ex.scenario_state([&seen, &lock](StateHasher& h) {
    h.add_all(seen.add_done);
    h.add_all(seen.add_error);
    lock.hash_state(h);
    return true;
  });

  // --- invariants ---
  ex.always("each guest is given its own file", [&world, &loop, &disks]() -> std::string {
    for (const Disk& d : disks) {
      auto e = world.block_backends().exported(d.be);
      if (!e) continue;
      if (e->has_medium && e->file == loop.stat_file(d.image).value) continue;
      return fmt::format("blkback for vbd/{}/51712 opened {:x}:{:x} and gave domain {} {} instead of {}", d.domid,
                         e->major, e->minor, d.domid, e->has_medium ? e->backing_file : "an unbound loop device",
                         d.image);
    }
    return {};
  });
  // The loop driver's detach history and openers are kernel state: observable in the simulator only.
  const LoopKernelState* kernel_loop = world.kernel().loop_state();
  if (kernel_loop) {
    ex.always("only a disk's own teardown detaches its loop device", [&ex, kernel_loop, &disks, &seen, adds]() -> std::string {
      for (const LoopDetach& det : kernel_loop->detaches()) {
        for (const Disk& d : disks) {
          if (det.backing_file != d.image) continue;
          // A killed add's device was set up with AUTOCLEAR: whoever closes it last frees it, as intended.
          if (d.domid <= adds && ex.sched().killed(seen.add_actor[d.domid - 1])) continue;
          const std::string own_add = fmt::format("block add vbd/{}/51712", d.domid);
          const std::string own_remove = fmt::format("block remove vbd/{}/51712", d.domid);
          const std::string own_backend = fmt::format("blkback vbd/{}/51712", d.domid);
          if (det.by == own_add || det.by == own_remove || det.by == own_backend) continue;
          return fmt::format("{} detached loop{} while it backed {} (domain {}'s disk): the wrong loop device was freed",
                             det.by, det.index, d.image, d.domid);
        }
      }
      return {};
    });
  } else {
    ex.unchecked("only a disk's own teardown detaches its loop device", world.kernel().unobservable());
  }
  ex.at_end("every block-script add succeeds", [&ex, &seen, adds]() -> std::string {
    for (int k = 0; k < adds; ++k) {
      if (seen.add_done[k] || ex.sched().killed(seen.add_actor[k])) continue;
      return fmt::format("block add for vbd/{}/51712 failed ({}): hotplug-status=error for a valid disk", k + 1,
                         seen.add_error[k].empty() ? "did not finish" : seen.add_error[k]);
    }
    return {};
  });
  if (!kernel_loop) {
    ex.unchecked("no leaked loop device", world.kernel().unobservable());
    return;
  }
  ex.at_end("no leaked loop device", [&world, &disks, kernel_loop]() -> std::string {
    for (int i : kernel_loop->indexes()) {
      auto m = kernel_loop->peek(i);
      if (!m->bound) continue;
      bool in_use = false;
      for (const Disk& d : disks) {
        auto e = world.block_backends().exported(d.be);
        if (e && !e->released && e->minor == static_cast<unsigned>(i) && e->file == m->file) in_use = true;
      }
      if (!in_use && kernel_loop->openers(i) == 0)
        return fmt::format("loop{} is still bound to {} but no backend uses it: leaked", i, m->backing_file);
    }
    return {};
  });
}

}  // namespace

}  // namespace xenrace::scenario_loop_block_script
