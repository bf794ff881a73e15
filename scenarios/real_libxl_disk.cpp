// real-libxl-disk: Debian's real libxl 4.17 attaches file-backed disks to two running PV guests at once, as two
// `xl block-attach` would (xenrace-libxl, toolstack/libxl/xenrace_libxl.c), each a process actor. libxl writes
// the frontend and backend directories in one transaction, waits for blkback to reach InitWait, fork-execs
// Xen's real block script, and waits for it; the script binds a loop device with real losetup under its lock.
// blkback (simulated) then opens the device. Everything libxl and its children do at the XenStore, the loop
// driver, locks, forks and execs is a step of its actor (docs/libxl.md).
//
// Variants:
//   xen-4.17  two guests' attaches race each other only: Xen's lock serialises their scripts, and each guest
//             is given its own image.
//   udisksd   the same with udisksd binding an installer ISO meanwhile (from when guest 1's backend waits for
//             its script), outside Xen's lock: it can take the device between the script's `losetup -f` and
//             `losetup DEV FILE` (seed 004), and libxl's block-attach then fails for that guest.
//
// Needs what real-loop-script needs (process actors, root, xenstore-utils, Debian's scripts, losetup) and
// xenrace-libxl (built where libxen-dev is installed); without them the variants are skipped, saying why.
#include <string>
#include <vector>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>
#include "toolstack/hotplug_script_fixture.hpp"
#include "toolstack/libxl/real_libxl_fixture.hpp"
#include "toolstack/udisksd.hpp"
#include "world/block_backend.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_real_libxl_disk {  // names of its own (CI builds in unity batches)
namespace {

const std::vector<DomId> kGuests = {1, 2};

std::string image_of(DomId guest) { return fmt::format("guest{}.img", guest); }

XENRACE_SCENARIO({
    .name = "real-libxl-disk",
    .description = "real libxl 4.17 attaches file-backed disks to two guests at once, with Xen's real block script",
    .source = "tools/libs/light/libxl_disk.c, libxl_device.c (device add, hotplug); tools/hotplug/Linux/block (file); "
              "xen-devel \"libxl: support common cases without block script\" (2021, seed 004)",
    .tags = {"xenstore", "libxl", "block-script", "loop", "process"},
    .variants = {{"xen-4.17", Expect::pass, "two attaches at once: Xen's lock serialises the scripts"},
                 {"udisksd", Expect::fail,
                  "udisksd binds an ISO meanwhile, between the script's losetup -f and losetup DEV FILE: libxl's "
                  "block-attach fails"}},
    .default_strategy = "pct",
    .default_iterations = 60,
    .max_steps = 200000,
    .params = {text_param("scripts", "", "the directory of Xen's hotplug scripts (tools/hotplug/Linux, or an "
                                         "installed /etc/xen/scripts); empty: Debian's, as found"),
               RealLibxlFixture::libxl_param()},
    .shrink_budget = 10,
    .verify_budget = 150,  // about 0.4 s an execution: a minute
    .verify_by_bounds = true,  // the unbounded search does not finish in the budget
}) {
  if (process::find_program("losetup", HotplugScriptFixture::kPath).empty())
    throw ComponentUnavailable("losetup is not installed (Debian package mount)");
  auto& libxl = race.make<RealLibxlFixture>(race.world, race.param<std::string>("scripts"),
                                            race.param<std::string>("libxl"), kGuests, "real-libxl-disk");
  auto& setup = race.make<std::unique_ptr<XsConnection>>(race.world.xenstore().connect(0));
  // What `xl create` left behind: dom0's and each guest's home, named and with its vm path.
  setup->write(kNoTx, "/local/domain/0/domid", "0");
  setup->write(kNoTx, "/local/domain/0/name", "Domain-0");
  for (DomId g : kGuests) {
    setup->write(kNoTx, fmt::format("/local/domain/{}/name", g), fmt::format("guest-{}", g));
    setup->write(kNoTx, fmt::format("/local/domain/{}/vm", g), fmt::format("/vm/guest-{}", g));
    std::ofstream(libxl.scripts().seen_dir() / image_of(g)) << std::string(4096, '\0');
  }
  BlockBackends& blkback = race.world.block_backends();
  blkback.probe_as_created();
  process::XenStoreService& store = race.world.xenstore_for_processes();
  process::LoopService& loop = race.world.loop_for_processes();
  for (DomId g : kGuests)
    libxl.spawn(race.ex, fmt::format("xl block-attach {}", g),
                {"block-attach", std::to_string(g),
                 libxl.disk_spec("xvda", fmt::format("{}/{}", HotplugScriptFixture::kSeenDir, image_of(g)))},
                store, &loop);
  if (race.is("udisksd")) {
    // The ISO is set up while the guests' disks are being attached: once guest 1's backend has left Initialising
    // (InitWait: libxl is about to run its script). A watch, not a polling loop, so waiting costs no steps.
    race.spawn("udisks user", [&race] {
      auto xs = race.world.xenstore().connect(0);
      const std::string state = vbd_backend(1) + "/state";
      xs->watch(state, "state");
      // Initialising (1) or not there yet: wait; InitWait (2) or any later state: the script's time has come.
      for (auto s = xs->read(kNoTx, state); !s.ok() || s.value == "1"; s = xs->read(kNoTx, state)) xs->read_watch();
      spawn_udisksd(race.ex, race.world.loop());
    });
  }

  // An attach that failed fails its actor (xenrace-libxl exits 1); one that succeeded must export its own file.
  race.at_end("each guest's disk is its own image", [&blkback]() -> std::string {
    for (DomId g : kGuests) {
      const auto disk = blkback.exported(vbd_backend(static_cast<int>(g)));
      if (!disk) return fmt::format("blkback exported nothing to guest {}", g);
      if (!disk->has_medium || disk->backing_file.find(image_of(g)) == std::string::npos)
        return fmt::format("guest {} was given loop{}, which holds {}", g, disk->minor,
                           disk->has_medium ? disk->backing_file : "nothing");
    }
    return {};
  });
}

}  // namespace
}  // namespace xenrace::scenario_real_libxl_disk
