// generated-workload: not one seed race but the seed code paths together, under a workload the explorer
// generates. Each guest (three by default; `--param guests=N`, 1-4) has a toolstack actor (`xl` for that
// domain) that runs a short sequence of operations (up to three; `--param ops=N`, 1-5) over shared
// resources: attach/detach a file-backed disk (two images, through the block hotplug script, the loop
// driver and blkback) and create/remove a mediated device (two UUIDs, two parent GPUs). A non-Xen loop user (udisksd) may loop-mount an ISO, unmount it and clean up by the index
// it remembered. Every operation is a recorded data choice (ex.choose), made during setup in fixed slots:
// slot value 0 means "no operation", so the shrinker, which drives explicit decisions to 0, removes
// operations as it removes preemptions, and the shrunk token replays a minimal sequence under a minimal
// schedule. Each generated operation is in the trace as a `workload.op` event.
//
// The code paths are those of the seed scenarios (see their headers for the threads):
//   buggy  the shell block script (tools/hotplug/Linux/block: `losetup -f`, then `losetup DEV FILE`,
//          close, physical-device written for blkback to open later; remove runs `losetup -d $node`;
//          check_file_sharing misses loop devices: "AFAICT, the block script check_sharing function
//          doesn't work for loop devices", Jason Andryuk, seed 004), blkback without diskseq, and the
//          pre-2018 mdev core with its per-parent duplicate check ("vfio/mdev: Check globally for
//          duplicate devices", seed 003).
//   fixed  LOOP_CONFIGURE with LO_FLAGS_AUTOCLEAR after a `losetup -j` sharing check under the hotplug
//          lock, the fd held until blkback has opened the device, diskseq written before
//          physical-device and checked by blkback; the global-list mdev core.
//
// Global invariants: no device given to two guests; each guest is given the file it asked for; no mdev
// UUID live twice; when every toolstack is done, no leaked loop device or XenStore backend (what is left
// is exactly what is attached) and every backend `state` is 4 (Connected) or 6 (Closed).
#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>

#include "toolstack/flock.hpp"
#include "world/block_backend.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/mdev.hpp"
#include "world/visible_op.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_generated_workload {  // names of its own (CI builds in unity batches)
namespace {

constexpr int kMaxGuests = 4;      // --param guests (default 3)
constexpr int kMaxSlotsPerGuest = 5;  // --param ops (default 3)
constexpr int kUdisksSlots = 2;
constexpr const char* kVbdRoot = "/local/domain/0/backend/vbd";
constexpr std::array<const char*, 2> kImages = {"/images/d0.img", "/images/d1.img"};
constexpr const char* kIso = "/isos/install.iso";
constexpr std::array<const char*, 2> kUuids = {"83b8f4f2-509f-382f-3c1e-e6bfe0fa0000",
                                               "83b8f4f2-509f-382f-3c1e-e6bfe0fa0001"};
constexpr std::array<const char*, 2> kGpus = {"0000:00:02.0", "0000:00:03.0"};
constexpr std::array<const char*, 2> kGpuNames = {"A", "B"};
constexpr const char* kMdevType = "i915-GVTg_V5_4";
constexpr int kRetries = 8;

// --- the generated workload ---

enum class OpKind : std::uint8_t { attach_disk, detach_disk, create_mdev, remove_mdev };

struct Op {
  OpKind kind;
  int item;        // disk d<item> or mdev m<item>
  int parent = 0;  // create_mdev: GPU A or B
};

// Slot value v (1..size) is kOps[v-1]; 0 is "no operation". Simpler operations come first, so that the
// shrinker's "smaller value" pass moves towards them.
constexpr std::array<Op, 10> kOps = {{
    {OpKind::attach_disk, 0},    {OpKind::attach_disk, 1},    {OpKind::detach_disk, 0},
    {OpKind::detach_disk, 1},    {OpKind::create_mdev, 0, 0}, {OpKind::create_mdev, 0, 1},
    {OpKind::create_mdev, 1, 0}, {OpKind::create_mdev, 1, 1}, {OpKind::remove_mdev, 0},
    {OpKind::remove_mdev, 1},
}};

std::string describe(const Op& op) {
  switch (op.kind) {
    case OpKind::attach_disk: return fmt::format("attach disk d{}", op.item);
    case OpKind::detach_disk: return fmt::format("detach disk d{}", op.item);
    case OpKind::create_mdev: return fmt::format("create mdev m{} on GPU {}", op.item, kGpuNames[op.parent]);
    case OpKind::remove_mdev: return fmt::format("remove mdev m{}", op.item);
  }
  return "?";
}

// --- what the execution shares ---

struct AttachedDisk {
  int guest;
  int disk;
  std::string be;
};

struct Shared {
  Shared(Execution& ex, World& world, bool fixed) : ex(ex), world(world), fixed(fixed), lock(ex, hotplug_block_lock_names()) {}
  Execution& ex;
  World& world;
  bool fixed;
  FlockLock lock;
  // The kernel's state for the kernel-internal checks; null where it is not observable (a real host), and those
  // checks are then reported as unchecked.
  const LoopKernelState* loop_state = nullptr;
  const MdevKernelState* mdev_state = nullptr;
  std::array<std::vector<Op>, kMaxGuests> plan;
  int udisks_runs = 0;
  // Every vbd backend a toolstack created (for the export checks).
  std::vector<AttachedDisk> backends;
  std::array<std::vector<AttachedDisk>, kMaxGuests> disks;  // attached now, per guest
  std::array<int, kUuids.size()> mdev_owner{-1, -1};      // guest index, -1: none
  std::array<bool, kUuids.size()> mdev_removing{false, false};
  std::string double_owner;  // set by a create that succeeded for a UUID another guest holds
};

int domid_of(int guest) { return guest + 1; }

std::string state_text(const std::string& v) {
  static const char* const kNames[] = {"Unknown",   "Initialising", "InitWait",      "Initialised", "Connected",
                                       "Closing",   "Closed",       "Reconfiguring", "Reconfigured"};
  return v.size() == 1 && v[0] >= '0' && v[0] <= '8' ? fmt::format("{} ({})", v, kNames[v[0] - '0']) : v;
}

// --- one guest's toolstack: `xl block-attach/-detach`, mdevctl start/stop, one after another ---

class Toolstack {
 public:
  Toolstack(Shared& s, int guest) : s_(s), guest_(guest) {}

  void run() {
    xs_ = s_.world.xenstore().connect(0);
    for (const Op& op : s_.plan[guest_]) {
      const std::string what = fmt::format("guest {}: {}", domid_of(guest_), describe(op));
      std::string result;
      switch (op.kind) {
        case OpKind::attach_disk: result = attach_disk(op.item); break;
        case OpKind::detach_disk: result = detach_disk(op.item); break;
        case OpKind::create_mdev: result = create_mdev(op.item, op.parent); break;
        case OpKind::remove_mdev: result = remove_mdev(op.item); break;
      }
      note_event(s_.ex, "workload.done", what, result);  // after the operations it traced as it went
    }
  }

 private:
  // libxl__device_disk_add: the backend directory, blkback probes it (InitWait), then the hotplug script.
  std::string attach_disk(int disk) {
    const int devid = 51712 + 16 * next_disk_++;  // xvda, xvdb, ...: a fresh vbd for every attach
    const std::string be = fmt::format("{}/{}/{}", kVbdRoot, domid_of(guest_), devid);
    s_.backends.push_back({guest_, disk, be});
    xs_->write(kNoTx, be + "/frontend-id", std::to_string(domid_of(guest_)));
    xs_->write(kNoTx, be + "/params", kImages[disk]);
    xs_->write(kNoTx, be + "/mode", "w");
    xs_->write(kNoTx, be + "/online", "1");
    xs_->write(kNoTx, be + "/state", "1");
    s_.world.block_backends().probe(be);
    wait_for(be + "/state", [](const std::string& v) { return v == "2"; });
    std::string error = s_.fixed ? script_add_fixed(disk, be) : script_add_shell(disk, be);
    if (!error.empty()) {
      remove_backend(be);  // libxl tears the device down after a failed hotplug script
      return "refused: " + error;
    }
    s_.disks[guest_].push_back({guest_, disk, be});
    return "OK " + be;
  }

  // xl block-detach: the backend closes, the script's remove runs, libxl removes the backend directory.
  std::string detach_disk(int disk) {
    auto& mine = s_.disks[guest_];
    auto it = std::find_if(mine.begin(), mine.end(), [disk](const AttachedDisk& d) { return d.disk == disk; });
    if (it == mine.end()) return "no such disk (nothing to do)";
    const std::string be = it->be;
    mine.erase(it);
    xs_->write(kNoTx, be + "/online", "0");
    wait_for(be + "/state", [](const std::string& v) { return v == "6"; });
    s_.lock.acquire();
    if (!s_.fixed) {
      // losetup -d "$node": whatever that loop device is now.
      auto node = xs_->read(kNoTx, be + "/node");
      if (node.ok() && node.value.starts_with("/dev/loop")) detach_index(std::atoi(node.value.c_str() + 9));
    }
    // fixed: nothing to undo, AUTOCLEAR detaches the device at blkback's last close.
    s_.lock.release();
    xs_->rm(kNoTx, be);
    return "OK";
  }

  void remove_backend(const std::string& be) {
    xs_->write(kNoTx, be + "/online", "0");
    wait_for(be + "/state", [](const std::string& v) { return v == "6"; });
    xs_->rm(kNoTx, be);
  }

  // The shell script: check_file_sharing finds nothing for loop devices, `losetup -f`, then a separate
  // `losetup DEV FILE`, the device closed at once, physical-device written for blkback to open later.
  std::string script_add_shell(int disk, const std::string& be) {
    LoopDevices& loop = s_.world.loop();
    s_.lock.acquire();
    auto index = loop.get_free();
    Errno err = index.err;
    if (!err) {
      auto fd = loop.open(index.value);
      err = fd.ok() ? loop.set_fd(fd.value, kImages[disk]) : fd.err;
      if (fd.ok()) loop.close(fd.value);
    }
    if (err) return script_fails(be, fmt::format("losetup /dev/loop{} {}: {}", index.value, kImages[disk], errno_name(err)));
    xs_->write(kNoTx, be + "/node", fmt::format("/dev/loop{}", index.value));
    xs_->write(kNoTx, be + "/physical-device", format_major_minor(kLoopMajor, static_cast<unsigned>(index.value)));
    xs_->write(kNoTx, be + "/hotplug-status", "connected");
    s_.lock.release();
    return {};
  }

  // The safe script: refuse a file another loop device serves, bind with LOOP_CONFIGURE + AUTOCLEAR, hold
  // the fd until blkback has its own reference.
  std::string script_add_fixed(int disk, const std::string& be) {
    LoopDevices& loop = s_.world.loop();
    s_.lock.acquire();
    auto users = loop.find_by_file(kImages[disk]);
    if (!users.ok()) return script_fails(be, fmt::format("losetup -j {}: {}", kImages[disk], errno_name(users.err)));
    if (!users.value.empty())
      return script_fails(be, fmt::format("{} is already in use by /dev/loop{}", kImages[disk], users.value.front()));
    LoopFd fd;
    int index = -1;
    for (int attempt = 0; attempt < kRetries && index < 0; ++attempt) {
      auto free = loop.get_free();
      if (!free.ok()) return script_fails(be, fmt::format("LOOP_CTL_GET_FREE: {}", errno_name(free.err)));
      auto opened = loop.open(free.value);
      if (!opened.ok()) continue;
      const Errno err = loop.configure(opened.value, kImages[disk], kLoFlagsAutoclear);
      if (err == 0) {
        fd = opened.value;
        index = free.value;
      } else {
        loop.close(opened.value);
        if (err != EBUSY) return script_fails(be, fmt::format("LOOP_CONFIGURE: {}", errno_name(err)));
      }
    }
    if (index < 0) return script_fails(be, "no free loop device");
    xs_->write(kNoTx, be + "/node", fmt::format("/dev/loop{}", index));
    xs_->write(kNoTx, be + "/diskseq", format_diskseq(loop.fd_diskseq(fd).value));
    xs_->write(kNoTx, be + "/physical-device", format_major_minor(kLoopMajor, static_cast<unsigned>(index)));
    std::string state;
    wait_for(be + "/opened", [&](const std::string& v) {
      state = xs_->read(kNoTx, be + "/state").value;
      return v == "1" || state == "5";
    });
    loop.close(fd);
    if (state == "5") return script_fails(be, "blkback refused the device");
    xs_->write(kNoTx, be + "/hotplug-status", "connected");
    s_.lock.release();
    return {};
  }

  std::string script_fails(const std::string& be, std::string message) {
    xs_->write(kNoTx, be + "/hotplug-status", "error");
    s_.lock.release();
    return message;
  }

  // `losetup -d /dev/loopN`: open, LOOP_CLR_FD, close.
  void detach_index(int index) {
    LoopDevices& loop = s_.world.loop();
    auto fd = loop.open(index);
    if (!fd.ok()) return;
    loop.clr_fd(fd.value);
    loop.close(fd.value);
  }

  // mdevctl start: echo UUID > .../PARENT/mdev_supported_types/TYPE/create
  std::string create_mdev(int m, int parent) {
    const Errno err = s_.world.mdev().write_create(kGpus[parent], kMdevType, kUuids[m]);
    if (err) return fmt::format("refused: {}", errno_name(err));
    const int owner = s_.mdev_owner[m];
    if (owner >= 0 && owner != guest_ && !s_.mdev_removing[m] && s_.double_owner.empty())
      s_.double_owner = fmt::format("mdev m{} ({}) was created for guest {} on GPU {} while guest {} still has it",
                                    m, kUuids[m], domid_of(guest_), kGpuNames[parent], domid_of(owner));
    s_.mdev_owner[m] = guest_;
    s_.mdev_removing[m] = false;
    return "OK";
  }

  // mdevctl stop: echo 1 > /sys/bus/mdev/devices/UUID/remove, retried on EAGAIN.
  std::string remove_mdev(int m) {
    if (s_.mdev_owner[m] != guest_) return "not this guest's (nothing to do)";
    s_.mdev_removing[m] = true;
    Errno err = EAGAIN;
    for (int i = 0; i < kRetries && err == EAGAIN; ++i) err = s_.world.mdev().write_remove(kUuids[m], "1\n");
    if (s_.mdev_owner[m] == guest_) {
      s_.mdev_removing[m] = false;
      if (err == 0) s_.mdev_owner[m] = -1;
    }
    return err ? fmt::format("failed: {}", errno_name(err)) : "OK";
  }

  template <class Pred>
  void wait_for(const std::string& path, Pred done) {
    xs_->watch(path, "wait");
    for (;;) {
      auto v = xs_->read(kNoTx, path);
      if (done(v.ok() ? v.value : std::string())) break;
      xs_->read_watch();
    }
    xs_->unwatch(path, "wait");
  }

  Shared& s_;
  int guest_;
  int next_disk_ = 0;
  std::unique_ptr<XsConnection> xs_;
};

// --- invariants ---

// Disks blkback has opened and not released yet.
template <class F>
std::string for_each_export(Shared& s, F f) {
  for (const AttachedDisk& b : s.backends) {
    auto e = s.world.block_backends().exported(b.be);
    if (!e || e->released) continue;
    if (std::string what = f(b, *e); !what.empty()) return what;
  }
  return {};
}

std::string check_right_file(Shared& s) {
  LoopDevices& loop = s.world.loop();
  return for_each_export(s, [&](const AttachedDisk& b, const ExportedDisk& e) -> std::string {
    if (e.has_medium && e.file == loop.stat_file(kImages[b.disk]).value) return {};
    if (!e.has_medium)
      return fmt::format("blkback for {} opened {:x}:{:x} after the loop device was detached: guest {} was given a disk "
                         "with no backing file instead of {}",
                         b.be, e.major, e.minor, domid_of(b.guest), kImages[b.disk]);
    return fmt::format("blkback for {} exported {} to guest {}, which asked for {}: the loop minor was reused between "
                       "the physical-device write and blkback's open",
                       b.be, e.backing_file, domid_of(b.guest), kImages[b.disk]);
  });
}

std::string check_not_shared(Shared& s) {
  std::map<std::uint64_t, const AttachedDisk*> holder;  // inode of an exported file -> the backend serving it
  std::string what = for_each_export(s, [&](const AttachedDisk& b, const ExportedDisk& e) -> std::string {
    if (!e.has_medium) return {};
    auto [it, fresh] = holder.emplace(e.file.ino, &b);
    if (fresh || it->second->guest == b.guest) return {};
    return fmt::format("{} is given to guest {} ({}) and to guest {} ({}) at once, both writable: the block script's "
                       "sharing check did not see the loop device that already serves it",
                       e.backing_file, domid_of(it->second->guest), it->second->be, domid_of(b.guest), b.be);
  });
  return what.empty() ? s.double_owner : what;
}

std::string check_mdevs_unique(Shared& s) {
  for (std::size_t m = 0; m < kUuids.size(); ++m) {
    const auto parents = s.mdev_state->parents_with(kUuids[m]);
    if (parents.size() >= 2)
      return fmt::format("mdev m{} ({}) is live under {} and under {} at once: create checked for duplicates among its "
                         "own parent's children only (mdev_device_exist under parent->lock)",
                         m, kUuids[m], parents[0], parents[1]);
  }
  if (!s.mdev_state->kernel_warnings().empty())
    return fmt::format("kernel WARN: {}", s.mdev_state->kernel_warnings().front());
  return {};
}

// After every toolstack finished: the vbd backends left are exactly the attached disks, each Connected
// or Closed; every bound loop device serves an attached disk; the live mdevs are the ones guests hold.
std::string check_nothing_leaked(Shared& s, XsConnection& xs) {
  std::vector<std::string> attached;
  for (const auto& per_guest : s.disks)
    for (const AttachedDisk& d : per_guest) attached.push_back(d.be);
  auto doms = xs.directory(kNoTx, kVbdRoot);
  for (const std::string& dom : doms.ok() ? doms.value : std::vector<std::string>{}) {
    const std::string dom_dir = fmt::format("{}/{}", kVbdRoot, dom);
    auto devs = xs.directory(kNoTx, dom_dir);
    for (const std::string& dev : devs.ok() ? devs.value : std::vector<std::string>{}) {
      const std::string be = fmt::format("{}/{}", dom_dir, dev);
      const std::string state = read_or(xs, be + "/state", "missing");
      if (state != "4" && state != "6")
        return fmt::format("{}/state ends {}, not 4 (Connected) or 6 (Closed): blkback {}", be, state_text(state),
                           read_or(xs, fmt::format("/local/domain/0/error/backend/vbd/{}/{}/error", dom, dev),
                                   "never finished connecting"));
      if (std::find(attached.begin(), attached.end(), be) == attached.end())
        return fmt::format("XenStore backend {} is left behind although its disk was detached or never attached", be);
    }
  }
  if (!s.loop_state || !s.mdev_state) return {};  // reported as unchecked at build
  for (int i : s.loop_state->indexes()) {
    auto m = s.loop_state->peek(i);
    if (!m || !m->bound) continue;
    bool serves = false;
    for (const auto& per_guest : s.disks)
      for (const AttachedDisk& d : per_guest) {
        auto e = s.world.block_backends().exported(d.be);
        serves |= e && !e->released && e->minor == static_cast<unsigned>(i) && e->file == m->file;
      }
    if (!serves)
      return fmt::format("loop{} is still bound to {} after every toolstack finished, but no attached disk uses it: "
                         "leaked",
                         i, m->backing_file);
  }
  for (std::size_t m = 0; m < kUuids.size(); ++m) {
    const bool live = !s.mdev_state->parents_with(kUuids[m]).empty();
    if (live && s.mdev_owner[m] < 0)
      return fmt::format("mdev m{} ({}) is still live but every guest that created it removed it: leaked", m, kUuids[m]);
  }
  return {};
}

// --- the scenario ---

XENRACE_SCENARIO({
    .name = "generated-workload",
    .description = "Generated sequences of disk attach/detach and mdev create/remove for 1-4 guests (3 by default), plus a non-Xen loop user, "
        "run concurrently with global invariants; shrinking gives a minimal operation sequence and schedule.",
    .source = "the seed threads together: xen-devel \"libxl: support common cases without block script\" (2021, seed 004), "
        "\"xen-blkback: diskseq support\" (seed 002), \"vfio/mdev: Check globally for duplicate devices\" (seed 003)",
    .tags = {"xenstore", "loop", "blkback", "mdev"},
    .variants = {
        {"buggy", Expect::fail,
         "the shell block script (losetup -f then losetup DEV FILE, losetup -d $node, sharing check blind to loop "
         "devices), blkback without diskseq, the per-parent mdev core"},
        {"fixed", Expect::pass,
         "sharing check with losetup -j, LOOP_CONFIGURE + AUTOCLEAR with the fd held until blkback opened it, diskseq "
         "checked, the global-list mdev core"},
    },
    .default_iterations = 20000,  // about 1.5 s of fixed-variant exploration here; buggy fails at once
    .max_steps = 5000,
    .params = {integer_param("guests", 3, "how many guests' toolstacks run generated operations at once", 1, kMaxGuests),
               integer_param("ops", 3, "operation slots per guest (each a generated choice, possibly none)", 1,
                             kMaxSlotsPerGuest)},
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  if (variant != "buggy" && variant != "fixed")
    throw UsageError(fmt::format("generated-workload has no variant '{}'", variant));
  const bool fixed = variant == "fixed";
  auto& s = ex.make<Shared>(ex, world, fixed);
  Kernel& kernel = world.kernel();
  require_model(kernel, LoopKernel::v6_11);
  require_model(kernel, fixed ? BlkbackDiskseq::node : BlkbackDiskseq::unsupported);
  require_model(kernel, fixed ? MdevCore::global_list : MdevCore::per_parent_lock);
  for (const char* gpu : kGpus)
    if (std::string why = kernel.add_mdev_parent(gpu, {kMdevType}); !why.empty()) throw ComponentUnavailable(why);
  s.loop_state = kernel.loop_state();
  s.mdev_state = kernel.mdev_state();
  for (const char* img : kImages) world.loop().create_file(img);
  world.loop().create_file(kIso);

  // The workload: every slot is one recorded data choice, made here in a fixed order so that a slot keeps
  // its position in the schedule whatever the other slots hold.
  const int guests = race.param<int>("guests");
  const int slots = race.param<int>("ops");
  for (int g = 0; g < guests; ++g)
    for (int slot = 0; slot < slots; ++slot)
      if (std::uint32_t v = ex.choose(kOps.size() + 1, ChoiceKind::data)) s.plan[g].push_back(kOps[v - 1]);
  for (int slot = 0; slot < kUdisksSlots; ++slot) s.udisks_runs += ex.choose(2, ChoiceKind::data) ? 1 : 0;
  for (int g = 0; g < guests; ++g)
    for (const Op& op : s.plan[g]) note_event(ex, "workload.op", fmt::format("guest {}: {}", domid_of(g), describe(op)), "");
  for (int r = 0; r < s.udisks_runs; ++r)
    note_event(ex, "workload.op", "udisksd: loop-mount the ISO, unmount, losetup -d the remembered index", "");

  for (int g = 0; g < guests; ++g) {
    if (s.plan[g].empty()) continue;
    auto& toolstack = ex.make<Toolstack>(s, g);
    ex.spawn(fmt::format("xl (domain {})", domid_of(g)), [&toolstack] { toolstack.run(); });
  }
  if (s.udisks_runs > 0) {
    ex.spawn("udisksd", [&s] {
      LoopDevices& loop = s.world.loop();
      for (int r = 0; r < s.udisks_runs; ++r) {
        // losetup -f --show -o ... ISO with AUTOCLEAR (LOOP_CONFIGURE), mounted, then unmounted: the last
        // close frees the device; the cleanup path later detaches the index it remembered.
        int index = -1;
        for (int attempt = 0; attempt < kRetries && index < 0; ++attempt) {
          auto free = loop.get_free();
          if (!free.ok()) return;
          auto fd = loop.open(free.value);
          if (!fd.ok()) continue;
          const Errno err = loop.configure(fd.value, kIso, kLoFlagsAutoclear);
          loop.close(fd.value);
          if (err == 0) index = free.value;
        }
        if (index < 0) return;
        auto fd = loop.open(index);
        if (!fd.ok()) continue;
        loop.clr_fd(fd.value);
        loop.close(fd.value);
      }
    });
  }

  ex.always("no device given to two guests", [&s] { return check_not_shared(s); });
  ex.always("each guest is given the file it asked for", [&s] { return check_right_file(s); });
  if (s.mdev_state) ex.always("no mdev UUID live twice", [&s] { return check_mdevs_unique(s); });
  else ex.unchecked("no mdev UUID live twice", kernel.unobservable());
  auto observer = std::shared_ptr<XsConnection>(world.xenstore().connect(0));
  ex.at_end("no leaked loop device or backend, every state Connected or Closed",
            [&s, observer] { return check_nothing_leaked(s, *observer); });
  if (!s.loop_state || !s.mdev_state)
    ex.unchecked("no leaked loop device or backend, every state Connected or Closed: its loop-device and mdev half",
                 kernel.unobservable());
}

}  // namespace

}  // namespace xenrace::scenario_generated_workload
