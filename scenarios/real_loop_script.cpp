// real-loop-script: Xen's real, unmodified block hotplug script on a file-backed disk, with its loop device
// set up by real losetup (util-linux) against the simulated loop driver (docs/process-actors.md, "Loop
// devices"): `block add` runs `losetup -f`, then `losetup DEV FILE` as a separate command, under the hotplug
// lock, which serialises Xen's scripts only. Any other loop user (udisksd here, a fiber actor that sets up an
// installer ISO) can take the device in between; the second losetup then fails with EBUSY and the guest's
// disk with it (xen-devel "libxl: support common cases without block script", 2021, seed 004: "there is a
// race where badly timed calls to losetup by another process could result in ...").
//
// Variants:
//   xen-4.17         the scripts as given: the add races with udisksd.
//   find-and-bind    the add's two losetups made one, `losetup -f --show FILE`: util-linux retries with the
//                    next free device when the one it found is taken (EBUSY), so the race is gone.
//   remove-killed    guest 1's disk is attached (loop0) and `block remove` runs; udev kills a hotplug script
//                    that overruns its event timeout, here at any one of its first 200 operations. Killed
//                    before its `losetup -d`, the script leaves loop0 bound to a disk nobody uses: leaked.
//
// Needs what real-block-script needs (process actors, root, xenstore-utils, Debian's scripts) and losetup;
// without them the variants are skipped, saying why.
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "faults/sim_faults.hpp"
#include <xenrace/scenario.hpp>
#include "toolstack/hotplug_script_fixture.hpp"
#include "toolstack/udisksd.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_real_loop_script {  // names of its own (CI builds in unity batches)
namespace {

namespace fs = std::filesystem;

constexpr int kGuest = 1;

// The add's `losetup -f` and `losetup $roflag DEV FILE` as one `losetup -f --show $roflag FILE`.
void bind_in_one_step(const fs::path& block) {
  std::string s = xen_file_text(block).value_or("");
  const std::string find = "loopdev=$(losetup -f 2>/dev/null || find_free_loopback_dev)";
  const std::string bind = "do_or_die losetup $roflag \"$loopdev\" \"$file\"";
  const std::size_t at_find = s.find(find), at_bind = s.find(bind);
  if (at_find == std::string::npos || at_bind == std::string::npos || at_bind < at_find)
    throw std::runtime_error("real-loop-script: the block script has no losetup -f / losetup DEV FILE pair to change");
  s.replace(at_bind, bind.size(), "loopdev=$(losetup -f --show $roflag \"$file\") || fatal \"losetup -f $file failed\"");
  s.replace(at_find, find.size(), "loopdev=/dev/loop-to-be-found");
  std::ofstream(block) << s;
}

XENRACE_SCENARIO({
    .name = "real-loop-script",
    .description = "Xen's real block script on a file-backed disk: losetup -f, then losetup DEV FILE, against "
                   "another loop user",
    .source = "tools/hotplug/Linux/block (file); xen-devel \"libxl: support common cases without block script\" "
              "(2021, seed 004)",
    .tags = {"xenstore", "block-script", "loop", "process"},
    .variants = {{"xen-4.17", Expect::fail,
                  "the scripts as given: udisksd takes the device between losetup -f and losetup DEV FILE, and "
                  "the guest's disk fails (EBUSY)"},
                 {"find-and-bind", Expect::pass,
                  "losetup -f --show FILE in one command: util-linux moves on to the next free device"},
                 {"remove-killed", Expect::fail,
                  "block remove killed at one of its first 200 operations: before losetup -d, it leaks the loop "
                  "device"}},
    // udisksd's three steps must land inside the script's window of about twenty among some two hundred:
    // random scheduling runs it early almost always (no failure in 300 executions), pct's delayed priorities
    // find the window (after 4 to 152 executions on seeds 1 to 5): 200 covers the slowest of them.
    .default_strategy = "pct",
    .default_iterations = 200,
    .max_steps = 100000,
    .params = {text_param("scripts", "", "the directory of Xen's hotplug scripts (tools/hotplug/Linux, or an "
                                         "installed /etc/xen/scripts); empty: Debian's, as found")},
    .shrink_budget = 10,
    .verify_budget = 250,  // about 0.25 s an execution: a minute
    .verify_by_bounds = true,  // the unbounded search does not finish in the budget
}) {
  auto& scripts = race.make<HotplugScriptFixture>(race.param<std::string>("scripts"), "real-loop-script");
  if (process::find_program("losetup", HotplugScriptFixture::kPath).empty())
    throw ComponentUnavailable("losetup is not installed (Debian package mount)");
  const bool removing = race.is("remove-killed");
  if (race.is("find-and-bind")) bind_in_one_step(scripts.scripts_dir() / "block");
  // The guest's image, a real file the script canonicalises and stats.
  const std::string image = fmt::format("{}/dom{}.img", HotplugScriptFixture::kSeenDir, kGuest);
  std::ofstream(scripts.seen_dir() / fmt::format("dom{}.img", kGuest)) << std::string(4096, '\0');
  LoopDevices& loop = race.world.loop();
  process::XenStoreService& store = race.world.xenstore_for_processes();
  auto& setup = race.make<std::unique_ptr<XsConnection>>(race.world.xenstore().connect(0));
  const std::string be = vbd_backend(kGuest);
  setup->write(kNoTx, be + "/params", image);
  setup->write(kNoTx, be + "/type", "file");
  setup->write(kNoTx, be + "/mode", "w");
  setup->write(kNoTx, be + "/frontend-id", std::to_string(kGuest));
  setup->write(kNoTx, be + "/state", "2");  // InitWait: the script's add checks it
  setup->write(kNoTx, fmt::format("/local/domain/{}/vm", kGuest), fmt::format("/vm/guest-{}", kGuest));

  process::ProcessOptions options = scripts.options(HotplugScriptFixture::kPath, store);
  options.loop = &race.world.loop_for_processes();
  const LoopKernelState* kernel_loop = race.world.kernel().loop_state();

  if (removing) {
    // Attached earlier by the same script: loop0 holds the image (as the script names it after readlink -f),
    // and the backend's node says so.
    loop.add(0);
    const std::string named = (fs::path("/run/xenrace") / fmt::format("dom{}.img", kGuest)).string();
    loop.create_file(named);
    LoopFd fd = loop.open(0).value;
    loop.configure(fd, named, 0);
    loop.close(fd);
    setup->write(kNoTx, be + "/node", "/dev/loop0");
    setup->write(kNoTx, be + "/physical-device", "7:0");
    setup->write(kNoTx, be + "/hotplug-status", "connected");
    const ActorId remover = scripts.spawn_block(race.ex, "remove", kGuest, std::move(options));
    kill_at_one_of(race.ex, remover, 200);
    race.at_end("no leaked loop device", [kernel_loop]() -> std::string {
      if (kernel_loop == nullptr) return {};
      for (int i : kernel_loop->indexes())
        if (auto m = kernel_loop->peek(i); m && m->bound)
          return fmt::format("loop{} is still bound to {} after its disk was removed: leaked", i, m->backing_file);
      return {};
    });
    return;
  }

  scripts.spawn_block(race.ex, "add", kGuest, std::move(options));
  spawn_udisksd(race.ex, loop);
  race.at_end("the guest's disk is its own file", [&setup, be, kernel_loop]() -> std::string {
    const auto status = setup->read(kNoTx, be + "/hotplug-status");
    if (!status.ok() || status.value != "connected")
      return fmt::format("block add did not connect the disk (hotplug-status {})", status.ok() ? status.value : "absent");
    const auto node = setup->read(kNoTx, be + "/node");
    if (!node.ok() || node.value.rfind("/dev/loop", 0) != 0) return "block add connected no loop device";
    if (kernel_loop == nullptr) return {};
    const auto m = kernel_loop->peek(std::atoi(node.value.c_str() + 9));
    if (!m || !m->bound || m->backing_file.find("dom1.img") == std::string::npos)
      return fmt::format("the guest was given {}, which holds {}", node.value, m && m->bound ? m->backing_file : "nothing");
    return {};
  });
}

}  // namespace
}  // namespace xenrace::scenario_real_loop_script
