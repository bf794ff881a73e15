// mdev-create-remove: concurrent writers of an mdev type's `create` file and a device's `remove` file
// for one UUID, on one parent and across two parents.
//
// The real bug: "[PATCH v3] vfio/mdev: Check globally for duplicate devices" (Alex Williamson,
// linux-kernel, May 2018; seed 003) and Kirti Wankhede's review of it. Before the patch, create checked
// for duplicates only among the parent's own children under parent->lock, so the same UUID could be
// created on two parents until /sys/bus/mdev/devices/<uuid> collided ("sysfs: cannot create duplicate
// filename" with a kernel WARN); and the `remove` file was visible before the device joined mdev_list,
// so a remove in that gap said ENODEV about a device userspace could see. The patch reserves the UUID
// on the global mdev_list first, marks the device `active` when creation completes (remove in the gap:
// EAGAIN), and takes the UUID off the list only at the final release. The current code also deletes
// the `remove` file before mdev_device_remove can say EAGAIN, and never puts it back: variant
// new-core-lost-remove-file shows that the device can then no longer be removed through sysfs.
// `--param parents=N` (2 by default, up to 4) gives N GPUs: the two-parents variants create the UUID on each
// at once, the remove-then-create variants move it from A to each of the others at once; the create-gap
// variants use GPU A only.
// Kernel behaviour: backends/sim/mdev/sim_mdev_bus.hpp (the simulator's model); facts: docs/fidelity.md §5.
#include <array>
#include <string>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>

#include "world/kernel.hpp"
#include "world/mdev.hpp"
#include "world/world.hpp"

namespace xenrace::scenario_mdev_create_remove {  // names of its own (CI builds in unity batches)
namespace {

constexpr const char* kUuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
constexpr std::array<const char*, 4> kGpus = {"0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0"};
constexpr const char* kGpuA = kGpus[0];
constexpr const char* kType = "i915-GVTg_V5_4";
constexpr int kPolls = 10;  // how often a tool looks for the remove file before giving up

// What the actors saw that must not happen; the invariants report it.
struct Observed {
  const MdevKernelState* kernel = nullptr;  // null where the kernel's state is not observable (a real host)
  std::string enodev;         // remove said ENODEV on a visible device
  std::string eagain_outside_gap;
  bool remove_got_eagain = false;
};

enum class Workload : std::uint8_t { two_parents, create_gap, remove_then_create };

// echo 1 > .../remove once the file shows; retried after EAGAIN, as the 2018 thread expects users to.
void remove_when_visible(MdevBus& bus, Observed& seen) {
  for (int i = 0; i < kPolls; ++i) {
    if (!bus.remove_visible(kUuid)) continue;
    const Errno e = bus.write_remove(kUuid, "1\n");
    if (e == 0) return;
    if (e == ENODEV && seen.enodev.empty()) {
      seen.enodev = fmt::format("echo 1 > /sys/bus/mdev/devices/{}/remove returned ENODEV although the device and "
                                "its remove file were visible: creation had not reached list_add on mdev_list yet",
                                kUuid);
    }
    if (e == EAGAIN) {
      seen.remove_got_eagain = true;
      if (seen.kernel && !seen.kernel->creating(kUuid) && seen.eagain_outside_gap.empty())
        seen.eagain_outside_gap = fmt::format("remove of {} returned EAGAIN while no create of it was running", kUuid);
    }
  }
}

XENRACE_SCENARIO({
    .name = "mdev-create-remove",
    .description = "Create and remove of one mdev UUID by concurrent writers, on one parent and across two parents, "
        "with the pre-2018 per-parent mdev core and the global-list core.",
    .source = "[PATCH v3] vfio/mdev: Check globally for duplicate devices (linux-kernel, 2018-05)",
    .tags = {"mdev"},
    .variants = {
        {"old-core-two-parents", Expect::fail,
         "per-parent lock: the same UUID created on two GPUs at once; the per-parent check misses it"},
        {"new-core-two-parents", Expect::pass, "global mdev_list: the second create gets EEXIST, no WARN"},
        {"old-core-create-gap", Expect::fail,
         "per-parent lock: a tool removes the UUID as soon as its remove file shows, before list_add: ENODEV"},
        {"new-core-create-gap", Expect::pass, "global mdev_list: the same remove gets EAGAIN only inside the creation gap"},
        {"old-core-remove-then-create", Expect::fail,
         "per-parent lock: a tool sees the remove file vanish and creates the UUID on the other GPU while "
         "the old device is still registered: duplicate sysfs link"},
        {"new-core-remove-then-create", Expect::pass, "global mdev_list: that create gets EEXIST until the release"},
        {"new-core-lost-remove-file", Expect::fail,
         "current code: after EAGAIN in the creation gap the remove file stays deleted, so the live device "
         "cannot be removed through sysfs"},
    },
    .default_iterations = 1000,
    .max_steps = 2000,
    .params = {integer_param("parents", 2,
                             "how many parent GPUs (A, B, ...): the two-parents variants create the UUID on every one "
                             "at once, the remove-then-create variants move it from A to every other one",
                             2, static_cast<std::int64_t>(kGpus.size()))},
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  const bool old_core = variant.starts_with("old-core");
  const Workload workload = variant.ends_with("two-parents")  ? Workload::two_parents
                            : variant.ends_with("then-create") ? Workload::remove_then_create
                                                               : Workload::create_gap;
  Observed& seen = ex.make<Observed>();
  MdevBus& bus = world.mdev();
  Kernel& kernel = world.kernel();
  require_model(kernel, old_core ? MdevCore::per_parent_lock : MdevCore::global_list);
  const int parents = race.param<int>("parents");
  const auto gpu_name = [](int i) { return std::string(1, static_cast<char>('A' + i)); };
  for (int i = 0; i < parents; ++i)
    if (std::string why = kernel.add_mdev_parent(kGpus[i], {kType}); !why.empty()) throw ComponentUnavailable(why);
  seen.kernel = kernel.mdev_state();

  switch (workload) {
    case Workload::two_parents:
      for (int i = 0; i < parents; ++i) {
        const char* gpu = kGpus[i];
        ex.spawn("mdevctl start on " + gpu_name(i), [&bus, gpu] { bus.write_create(gpu, kType, kUuid); });
      }
      break;
    case Workload::create_gap:
      ex.spawn("mdevctl start on A", [&bus] { bus.write_create(kGpuA, kType, kUuid); });
      ex.spawn("cleanup tool", [&bus, &seen] { remove_when_visible(bus, seen); });
      break;
    case Workload::remove_then_create:
      bus.write_create(kGpuA, kType, kUuid);  // setup: the device exists on GPU A
      ex.spawn("mdevctl stop on A", [&bus, &seen] { remove_when_visible(bus, seen); });
      for (int p = 1; p < parents; ++p) {
        const char* gpu = kGpus[p];
        ex.spawn("mdevctl start on " + gpu_name(p), [&bus, gpu] {
          // Moves the UUID to this GPU once A's device is going away: its remove file has vanished.
          bool vanished = false;
          for (int i = 0; i < kPolls && !vanished; ++i) vanished = !bus.remove_visible(kUuid);
          if (!vanished) return;
          for (int i = 0; i < kPolls && bus.write_create(gpu, kType, kUuid) == EEXIST; ++i) {
          }
        });
      }
      break;
  }

  // The kernel-internal checks (devices per parent, WARNs, the creation gap) need the kernel's state.
  const auto kernel_check = [&](std::string name, Execution::Check check, bool at_end = false) {
    if (!seen.kernel) ex.unchecked(std::move(name), kernel.unobservable());
    else if (at_end) ex.at_end(std::move(name), std::move(check));
    else ex.always(std::move(name), std::move(check));
  };
  kernel_check("one device per UUID", [&seen]() -> std::string {
    const auto parents = seen.kernel->parents_with(kUuid);
    if (parents.size() < 2) return {};
    return fmt::format("mdev {} has a device under parent {} and under parent {} at once: create checked for "
                       "duplicates among its own parent's children only (mdev_device_exist under parent->lock)",
                       kUuid, parents[0], parents[1]);
  });
  kernel_check("no duplicate sysfs link", [&seen]() -> std::string {
    if (seen.kernel->kernel_warnings().empty()) return {};
    return fmt::format("kernel WARN: {} (device_add of the second {} hit the bus link of the first)",
                       seen.kernel->kernel_warnings().front(), kUuid);
  });
  ex.always("remove of a visible device never says ENODEV", [&seen] { return seen.enodev; });
  kernel_check("EAGAIN only inside the creation gap", [&seen] { return seen.eagain_outside_gap; });
  if (variant == "new-core-lost-remove-file") {
    kernel_check("a live mdev can be removed through sysfs", [&seen]() -> std::string {
      if (!seen.remove_got_eagain) return {};
      const auto parents = seen.kernel->parents_with(kUuid);
      if (parents.empty() || seen.kernel->has_remove_attribute(kUuid)) return {};
      return fmt::format("mdev {} is live on {} but /sys/bus/mdev/devices/{}/remove is gone: remove_store deleted "
                         "it (device_remove_file_self) before mdev_device_remove returned EAGAIN, and nothing "
                         "re-creates it",
                         kUuid, parents[0], kUuid);
    }, true);
  }
}

}  // namespace

}  // namespace xenrace::scenario_mdev_create_remove
