// blkback-minor-reuse: the block script binds a loop device to the guest's image and writes
// physical-device=7:N; blkback opens 7:N by number later, asynchronously. If another process detaches loopN
// and binds another file to it in between, blkback exports the other file to the guest.
//
// Real bug: thread "xen-blkback: diskseq support" (Demi Marie Obenour, xen-devel 2022-2023; seed 002) and
// Linux b90ecc0379eb "block: increment diskseq on all media change events", whose message spells out the
// race. The diskseq series was never merged; Roger Pau Monné's review pointed out that blkback only
// watches physical-device, so `diskseq` must be written before it. The *-on-linux-6.1 variants run the
// fixed scripts on Debian 12's loop driver (LoopKernel::v6_1), where the check is passed inside the detach.
// `--param disks=N` attaches N guests' disks at once (domain 1's by default), each with its own block add.
#include <string>
#include <vector>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>
#include "world/host_block_script.hpp"
#include "toolstack/block_script_steps.hpp"

namespace xenrace::scenario_blkback_minor_reuse {  // names of its own (CI builds in unity batches)
namespace {

constexpr const char* kGuestImage = "/images/guest.img";
constexpr const char* kOtherImage = "/images/other.img";

enum class DiskseqUse { none, before_physical_device, after_physical_device, inside_physical_device };

struct Variant {
  DiskseqUse script;
  LoopKernel loop;
  BlkbackDiskseq blkback;
};

Variant variant_of(std::string_view name) {
  if (name == "buggy") return {DiskseqUse::none, LoopKernel::v6_11, BlkbackDiskseq::unsupported};
  if (name == "fixed") return {DiskseqUse::before_physical_device, LoopKernel::v6_11, BlkbackDiskseq::node};
  if (name == "diskseq-after-physical-device")
    return {DiskseqUse::after_physical_device, LoopKernel::v6_11, BlkbackDiskseq::node};
  if (name == "diskseq-in-physical-device")
    return {DiskseqUse::inside_physical_device, LoopKernel::v6_11, BlkbackDiskseq::in_physical_device};
  if (name == "old-kernel") return {DiskseqUse::before_physical_device, LoopKernel::before_b90ecc0379eb, BlkbackDiskseq::node};
  if (name == "fixed-on-linux-6.1") return {DiskseqUse::before_physical_device, LoopKernel::v6_1, BlkbackDiskseq::node};
  if (name == "diskseq-in-physical-device-on-linux-6.1")
    return {DiskseqUse::inside_physical_device, LoopKernel::v6_1, BlkbackDiskseq::in_physical_device};
  throw UsageError(fmt::format("blkback-minor-reuse has no variant '{}'", name));
}

XENRACE_SCENARIO({
    .name = "blkback-minor-reuse",
    .description = "The block script binds a loop device and writes physical-device; another process detaches and rebinds loop "
        "devices; blkback opens the device by major:minor afterwards.",
    .source = "xen-devel \"xen-blkback: diskseq support\" (2022-2023, seed 002); Linux b90ecc0379eb",
    .tags = {"xenstore", "loop", "blkback"},
    .variants = {
        {"buggy", Expect::fail, "no diskseq: blkback opens 7:N and exports whatever is bound there now"},
        {"fixed", Expect::pass, "the script writes diskseq (read with BLKGETDISKSEQ) before physical-device; blkback checks it"},
        {"diskseq-after-physical-device", Expect::fail,
         "diskseq written after physical-device: blkback's watch fires on physical-device and may run before diskseq "
         "exists, so it checks nothing (the ordering hazard from the review)"},
        {"diskseq-in-physical-device", Expect::pass, "RFC syntax diskseq@major:minor: one node, no ordering hazard"},
        {"old-kernel", Expect::fail,
         "the fixed script on a kernel before b90ecc0379eb: a rebound loop device keeps its diskseq, so the check passes "
         "on the wrong medium"},
        {"fixed-on-linux-6.1", Expect::fail,
         "the fixed script on Debian 12's 6.1 loop driver: losetup -d of the sole opener leaves a window (Lo_rundown, "
         "no lo_open) in which blkback opens 7:N, reads the diskseq before the detach bumps it, and exports a device "
         "that is being emptied"},
        {"diskseq-in-physical-device-on-linux-6.1", Expect::fail,
         "diskseq@major:minor on the 6.1 loop driver: the same teardown window; one node does not help, since the open "
         "itself races the detach"},
    },
    .default_iterations = 2000,
    .max_steps = 2000,
    .params = {integer_param("disks", 1,
                             "how many guests' disks are attached at once (domains 1..N, each with its own block add "
                             "and image), against the one admin losetup",
                             1, 4)},
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant_name = race.variant;
  const Variant v = variant_of(variant_name);
  block::select_kernel(world, v.loop, v.blkback);
  // On a host asked to run its own block script (dom0 --block-script real), that script plays the add.
  // Xen 4.17's script writes no diskseq, so it is the `buggy` variant's script and no other's.
  HostBlockScript* host_script = world.host_block_script();
  if (host_script && v.script != DiskseqUse::none)
    throw ComponentUnavailable(
        "this variant models a block script that writes diskseq; the host's block script (Xen 4.17) writes none "
        "(only node, physical-device, physical-device-path, hotplug-status)");
  const int disks = race.param<int>("disks");
  if (host_script && disks > 1)
    throw ComponentUnavailable("the host's block script plays one add (domain 1's); --param disks=1 on a host");
  LoopDevices& loop = world.loop();
  // Domain 1's image is guest.img, domain D's guestD.img.
  struct GuestDisk {
    int domid;
    std::string image;
    std::string be;
  };
  std::vector<GuestDisk> guest_disks;
  for (int domid = 1; domid <= disks; ++domid)
    guest_disks.push_back({domid, domid == 1 ? std::string(kGuestImage) : fmt::format("/images/guest{}.img", domid),
                           block::backend_path(domid)});
  for (const GuestDisk& g : guest_disks) loop.create_file(g.image);
  loop.create_file(kOtherImage);
  {
    auto xs = world.xenstore().connect(0);
    for (const GuestDisk& g : guest_disks) {
      xs->write(kNoTx, g.be + "/params", g.image);
      xs->write(kNoTx, g.be + "/mode", "w");
      xs->write(kNoTx, g.be + "/online", "1");
    }
  }
  for (const GuestDisk& g : guest_disks) world.block_backends().probe(g.be);

  for (const GuestDisk& g : guest_disks) {
    const std::string be = g.be;
    const std::string image = g.image;
    ex.spawn(fmt::format("block add vbd/{}/51712", g.domid),
             [&ex, &world, &loop, be, image, v, host_script]() -> ActorStatus {
      if (host_script) {
        const std::string error = host_script->add(be);
        return error.empty() ? ActorStatus::ok() : ActorStatus::fail(error);
      }
      auto xs = world.xenstore().connect(0);
      LoopFd fd;
      auto index = block::losetup_find_and_configure(ex.sched(), loop, image, 0, fd);
      if (!index.ok()) return ActorStatus::fail(fmt::format("losetup -f {}: {}", image, errno_name(index.err)));
      std::uint64_t seq = 0;
      if (v.script != DiskseqUse::none) seq = loop.fd_diskseq(fd).value;  // BLKGETDISKSEQ while we hold it
      loop.close(fd);
      const std::string devnum = block::loop_devnum(index.value);
      switch (v.script) {
        case DiskseqUse::none:
          xs->write(kNoTx, be + "/physical-device", devnum);
          break;
        case DiskseqUse::before_physical_device:
          xs->write(kNoTx, be + "/diskseq", format_diskseq(seq));
          xs->write(kNoTx, be + "/physical-device", devnum);
          break;
        case DiskseqUse::after_physical_device:
          xs->write(kNoTx, be + "/physical-device", devnum);
          xs->write(kNoTx, be + "/diskseq", format_diskseq(seq));
          break;
        case DiskseqUse::inside_physical_device:
          xs->write(kNoTx, be + "/physical-device", format_diskseq(seq) + "@" + devnum);
          break;
      }
      xs->write(kNoTx, be + "/hotplug-status", "connected");
      return ActorStatus::ok();
    });
  }

  // An admin cleaning up the scratch device they had on loop0 earlier (it is long gone: the index is stale),
  // then attaching another image.
  ex.spawn("admin losetup", [&ex, &loop] {
    block::losetup_detach(ex.sched(), loop, 0);
    LoopFd fd;
    if (block::losetup_find_and_configure(ex.sched(), loop, kOtherImage, 0, fd).ok()) loop.close(fd);
  });

  ex.always("blkback exports the image the block script set up", [&world, &loop, guest_disks]() -> std::string {
    for (const GuestDisk& g : guest_disks) {
      auto e = world.block_backends().exported(g.be);
      if (!e) continue;
      const FileIdentity guest = loop.stat_file(g.image).value;
      if (e->has_medium && e->file == guest) continue;
      if (!e->has_medium)
        return fmt::format("blkback for vbd/{}/51712 opened {:x}:{:x} after it was detached and exported a loop device "
                           "with no backing file to the guest",
                           g.domid, e->major, e->minor);
      return fmt::format(
          "blkback for vbd/{}/51712 opened {:x}:{:x} and exported {} (diskseq {}) to domain {}, but the block script "
          "set up {}: the loop minor was reused between the physical-device write and blkback's open",
          g.domid, e->major, e->minor, e->backing_file, e->diskseq, g.domid, g.image);
    }
    return {};
  });
}

}  // namespace

}  // namespace xenrace::scenario_blkback_minor_reuse
