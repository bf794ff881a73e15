// real-libxl-pci-detach: Debian's real libxl 4.17 hot-removes the two PCI devices a running PV guest booted with,
// as two `xl pci-detach` would (xenrace-libxl pci-detach, each a process actor), against the simulated
// xenstored, pciback and pcifront and the simulated hypervisor. libxl__device_pci_remove_xenstore is the remove
// half of the code 73ee2795aa fixed for add: it reads the backend's num_devs and finds the device's dev-N before
// its transactions and outside the domain's userdata lock, then moves the later devices down one slot and writes
// num_devs - 1, and when it read num_devs=1 it destroys the whole backend. Its result is ignored
// (pci_remove_done), so the command returns 0 whatever it did to XenStore.
//
// Variants:
//   xen-4.17                  both at once.
//   after-the-guest-reconnects the second starts once the first has returned and both ends are Connected again.
//
// The devices are assigned to the guest in the simulated hypervisor at boot, as `xl create` assigns those in the
// guest's configuration, and each is bound to pciback. Needs process actors, root and xenrace-libxl; without
// them the variants are skipped, saying why.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <xenrace/scenario.hpp>
#include "toolstack/libxl/real_libxl_fixture.hpp"
#include "toolstack/pv_pci_guest.hpp"
#include "world/hypervisor.hpp"
#include "world/pci.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_real_libxl_pci_detach {  // names of its own (CI builds in unity batches)
namespace {

using pv_pci_guest::kGuest;
constexpr const char* kBackend = pv_pci_guest::kBackendPath;
const std::vector<std::string> kDevices = {"0000:04:00.0", "0000:05:00.0"};

XENRACE_SCENARIO({
    .name = "real-libxl-pci-detach",
    .description = "real libxl 4.17: two `xl pci-detach` at once on a running PV guest that booted with both devices",
    .source = "tools/libs/light/libxl_pci.c libxl__device_pci_remove_xenstore, pci_remove_done; the add side's "
              "fix is 73ee2795aa",
    .tags = {"xenstore", "pci", "libxl", "process"},
    .variants = {{"xen-4.17", Expect::fail, "both at once: each reads num_devs=2 outside its transactions"},
                 {"after-the-guest-reconnects", Expect::pass,
                  "the second once the first has returned and both ends are Connected again"}},
    .default_strategy = "pct",
    .default_iterations = 100,
    .max_steps = 200000,
    .params = {RealLibxlFixture::libxl_param()},
    .shrink_budget = 10,
    // Bound 0 takes 3,744 executions (about 45 s); the unbounded search does not finish.
    .verify_budget = 5000,  // about 12 ms an execution: a minute
    .verify_by_bounds = true,
}) {
  auto& libxl = race.make<RealLibxlFixture>(race.world, std::nullopt, race.param<std::string>("libxl"),
                                            std::vector<DomId>{kGuest}, "real-libxl-pci-detach");
  auto& xs = race.make<std::unique_ptr<XsConnection>>(race.world.xenstore().connect(0));
  // The guest as `xl create` left it with both devices: assigned to it, bound to pciback, in its backend, and
  // each known to libxl under /libxl/pci.
  pv_pci_guest::xl_created_guest(*xs);
  PciBack& pci = race.world.pci();
  for (const std::string& bdf : kDevices) {
    pv_pci_guest::make_assignable(pci, bdf);
    race.world.hypervisor().assign_device(kGuest, bdf);
    xs->write(kNoTx, fmt::format("/libxl/pci/{}/domid", pv_pci_guest::bdf_key(bdf)), std::to_string(kGuest));
  }
  pv_pci_guest::coldplugged_backend(*xs, kDevices);
  libxl.add_pci_view(pci, kDevices);
  pci.start_xenbus_drivers(kGuest);

  process::XenStoreService& store = race.world.xenstore_for_processes();
  auto detach = [&race, &libxl, &store](const std::string& bdf) {
    return libxl.spawn(race.ex, fmt::format("xl pci-detach {} {}", kGuest, bdf),
                       {"pci-detach", std::to_string(kGuest), bdf}, store, nullptr);
  };
  const ActorId first = detach(kDevices[0]);
  if (race.is("after-the-guest-reconnects")) {
    race.spawn("the second command", [&race, detach, first] {
      race.wait_until([&race, first] { return race.ex.sched().finished(first); }, "the first xl pci-detach to return");
      pv_pci_guest::wait_until_both_ends_connected(race.world.xenstore());
      detach(kDevices[1]);
    });
  } else {
    detach(kDevices[1]);
  }

  // A detach that libxl failed fails its actor (xenrace-libxl exits 1). Both returned 0 here: neither device may
  // still be the guest's, in its backend or in the hypervisor.
  race.at_end("a detached device is no longer the guest's", [&race, &xs]() -> std::string {
    const int num = std::atoi(read_or(*xs, fmt::format("{}/num_devs", kBackend), "0").c_str());
    std::vector<std::string> slots;
    for (int i = 0; i < num; ++i) slots.push_back(read_or(*xs, fmt::format("{}/dev-{}", kBackend, i), "(missing)"));
    for (const std::string& bdf : kDevices) {
      if (std::count(slots.begin(), slots.end(), bdf) != 0)
        return fmt::format("{} was detached (its xl pci-detach returned 0), but {} still lists it (num_devs={}: {})",
                           bdf, kBackend, num, fmt::join(slots, ", "));
      const Result<DomId> owner = race.world.hypervisor().device_owner(bdf);
      if (owner.ok() && owner.value != 0)
        return fmt::format("{} was detached, but the hypervisor still gives it to dom{}", bdf, owner.value);
    }
    return std::string();
  });
}

}  // namespace
}  // namespace xenrace::scenario_real_libxl_pci_detach
