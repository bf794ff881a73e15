// block-script-killed: the Linux block hotplug script, type "file", is killed half-way through `add`
// (libxl's LIBXL_HOTPLUG_TIMEOUT of 40 s expired, or the OOM killer), and libxl then tears the disk
// down, running the script with `remove`.
//
// The real code (tools/hotplug/Linux/block; ../shared/docs/fidelity.md §3): `add` does
//   loopdev=$(losetup -f); losetup "$loopdev" "$file"; xenstore_write "$XENBUS_PATH/node" "$loopdev";
//   write_dev "$loopdev"   (physical-device, then hotplug-status=connected)
// and `remove` does `losetup -d "$(xenstore_read "$XENBUS_PATH/node")"`. losetup binds without
// AUTOCLEAR, so the binding outlives the process that made it. A script killed after the bind and before
// the `node` write leaves a loop device bound to the guest's image that `remove` cannot find: a leak that
// holds the image open and uses up a loop device per failed attach (the older add/remove race of the same
// kind was fixed by 92e6cb5673 "Linux vbd hotplug: Avoid 'leaked' loopback devices").
//
// Only a fault makes this fail: without the kill, `add` always reaches the `node` write. The script is
// killable by default here (fault point actor/kill, see docs/faults.md); `--faults none` turns it off.
//
// Variants:
//   buggy  `remove` trusts `node` only.
//   fixed  `remove` falls back to `losetup -j "$file"` when `node` is missing and detaches what it finds.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "faults/sim_faults.hpp"
#include <xenrace/scenario.hpp>
#include "world/loop.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_block_script_killed {  // names of its own (CI builds in unity batches)
namespace {

constexpr const char* kBackend = "/local/domain/0/backend/vbd/1/51712";
constexpr const char* kImage = "/var/lib/xen/images/guest.img";

struct BlockScriptState {
  bool add_exited = false;
  WaitQueue add_done;
  std::unique_ptr<XsConnection> setup;  // the toolstack's view at setup; never scheduled
};

std::string node(const char* leaf) { return fmt::format("{}/{}", kBackend, leaf); }

// fatal() in xen-hotplug-common.sh: report the error to libxl through xenstore and exit.
void hotplug_error(XsConnection& xs, const std::string& message) {
  xs.write(kNoTx, node("hotplug-error"), message);
  xs.write(kNoTx, node("hotplug-status"), "error");
}

void block_add(World& world) {
  auto xs = world.xenstore().connect(0);
  auto file = xs->read(kNoTx, node("params"));
  if (!file.ok()) return hotplug_error(*xs, "reading params");
  LoopDevices& loop = world.loop();
  auto loopdev = loop.get_free();  // losetup -f
  if (!loopdev.ok()) return hotplug_error(*xs, "losetup -f failed");
  auto fd = loop.open(loopdev.value);  // losetup "$loopdev" "$file"
  if (!fd.ok()) return hotplug_error(*xs, "losetup: cannot open the loop device");
  const Errno bound = loop.configure(fd.value, file.value, 0);
  loop.close(fd.value);
  if (bound) return hotplug_error(*xs, fmt::format("losetup failed: {}", errno_name(bound)));
  xs->write(kNoTx, node("node"), fmt::format("/dev/loop{}", loopdev.value));
  xs->write(kNoTx, node("physical-device"), fmt::format("{:x}:{:x}", kLoopMajor, loopdev.value));
  xs->write(kNoTx, node("hotplug-status"), "connected");
}

void detach(LoopDevices& loop, int index) {  // losetup -d /dev/loopN
  auto fd = loop.open(index);
  if (!fd.ok()) return;
  loop.clr_fd(fd.value);
  loop.close(fd.value);
}

void block_remove(World& world, bool search_by_file) {
  auto xs = world.xenstore().connect(0);
  LoopDevices& loop = world.loop();
  auto dev = xs->read(kNoTx, node("node"));
  int index = -1;
  if (dev.ok() && std::sscanf(dev.value.c_str(), "/dev/loop%d", &index) == 1) {
    detach(loop, index);
  } else if (search_by_file) {
    auto found = loop.find_by_file(kImage);
    if (found.ok())
      for (int i : found.value) detach(loop, i);
  }
  xs->rm(kNoTx, kBackend);
}

XENRACE_SCENARIO({
    .name = "block-script-killed",
    .description = "The block hotplug script is killed between binding a loop device and recording it in xenstore; "
        "the remove that follows cannot find the device (needs fault actor/kill, on by default)",
    .source = "tools/hotplug/Linux/block add/remove (losetup -f; losetup; node written after); cf. 92e6cb5673",
    .tags = {"loop", "xenstore", "faults"},
    .variants = {
        {"buggy", Expect::fail, "remove detaches only the device named by the node `add` writes last"},
        {"fixed", Expect::pass, "remove falls back to `losetup -j` on the image when node is missing"},
    },
    .default_iterations = 500,
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  auto& st = ex.make<BlockScriptState>();
  world.loop().create_file(kImage);
  st.setup = world.xenstore().connect(0);
  st.setup->write(kNoTx, node("params"), kImage);
  st.setup->write(kNoTx, node("type"), "file");
  st.setup->write(kNoTx, node("state"), "2");  // InitWait: libxl runs the script now

  const ActorId add = ex.spawn("block add", [&ex, &st, &world] {
    // Runs however the script ends, killed included: libxl's child-exit callback.
    ex.sched().at_exit([&ex, &st] {
      st.add_exited = true;
      ex.sched().notify_all(st.add_done);
    });
    block_add(world);
  });
  make_killable(ex, add, FaultDefault::on);

  const bool search_by_file = variant == "fixed";
  ex.spawn("block remove", [&ex, &st, &world, search_by_file] {
    while (!st.add_exited) ex.sched().wait(st.add_done, "block add to exit");
    block_remove(world, search_by_file);
  });

  ex.at_end("no loop device left bound to the image", [&world] {
    auto found = world.loop().find_by_file(kImage);
    if (!found.ok() || found.value.empty()) return std::string();
    return fmt::format("/dev/loop{} is still bound to {} after `block remove`: leaked", found.value.front(), kImage);
  });
}

}  // namespace

}  // namespace xenrace::scenario_block_script_killed
