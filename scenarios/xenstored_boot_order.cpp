// xenstored-boot-order: dom0 boot, where systemd starts xenstored by unit ordering while the xen-gntdev
// module registers /dev/xen/gntdev and udev handles its uevent.
//
// The real bug: "[PATCH v1] tools/hotplug: systemd: Make dependency on Xen device nodes" (Leo Yan,
// xen-devel, 2023-08; seed 000). xenstored failed at boot because /dev/xen/gntdev was missing
// (xengnttab_open in domain_early_init is fatal since Xen ecdeb7f883). The patch proposed
// Requires=/After=dev-xen-gntdev.device plus a udev rule tagging the node for systemd; the reviewer
// (Erik Schilling) doubted that a dependency on a device unit helps when nothing pulls it in, and
// pointed out that the default dependencies already order xenstored after sysinit.target, which
// systemd-modules-load.service precedes. The root cause was a customised modules-load unit that broke
// that ordering; the patch was withdrawn.
//
// Units are written as in tools/hotplug/Linux/systemd/*.in and systemd's units/ (fidelity.md §7);
// systemd, udevd and the kernel side: world/boot.hpp, simulated in backends/sim/udev/. With devtmpfs (every
// current distribution) the node exists as soon as modprobe returns, so module loading before xenstored is all
// the ordering needed.
#include <string>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>

#include "world/boot.hpp"
#include "world/services.hpp"
#include "world/world.hpp"

namespace xenrace {
namespace {

// tools/hotplug/Linux/systemd/proc-xen.mount.in
constexpr const char* kProcXenMount = R"(
[proc-xen.mount]
Description=Mount /proc/xen files
)";

// tools/hotplug/Linux/systemd/xenstored.service.in, reduced to what orders it.
constexpr const char* kXenstoredStandard = R"(
[xenstored.service]
Description=The Xen xenstore
Requires=proc-xen.mount
After=proc-xen.mount
Before=libvirtd.service libvirt-guests.service
Type=notify
RemainAfterExit=true
ExecStart=launch-xenstore
WantedBy=multi-user.target
)";

// The same unit started early: no default dependencies, ordered only on the mount.
constexpr const char* kXenstoredMountOnly = R"(
[xenstored.service]
Description=The Xen xenstore
DefaultDependencies=no
Requires=proc-xen.mount
After=proc-xen.mount
Type=notify
RemainAfterExit=true
ExecStart=launch-xenstore
WantedBy=multi-user.target
)";

// Leo Yan's patch.
constexpr const char* kXenstoredRequiresAfterDevice = R"(
[xenstored.service]
Description=The Xen xenstore
Requires=proc-xen.mount dev-xen-gntdev.device
After=proc-xen.mount dev-xen-gntdev.device
Before=libvirtd.service libvirt-guests.service
Type=notify
RemainAfterExit=true
ExecStart=launch-xenstore
WantedBy=multi-user.target
)";

// The device dependency without the ordering.
constexpr const char* kXenstoredRequiresDeviceOnly = R"(
[xenstored.service]
Description=The Xen xenstore
Requires=proc-xen.mount dev-xen-gntdev.device
After=proc-xen.mount
Before=libvirtd.service libvirt-guests.service
Type=notify
RemainAfterExit=true
ExecStart=launch-xenstore
WantedBy=multi-user.target
)";

// A local copy of systemd-modules-load.service without Before=sysinit.target. It has no default
// dependencies, so sysinit.target pulling it in does not order the target after it.
constexpr const char* kCustomModulesLoad = R"(
[systemd-modules-load.service]
Description=Load Kernel Modules
DefaultDependencies=no
WantedBy=sysinit.target
Type=oneshot
RemainAfterExit=yes
ExecStart=systemd-modules-load
)";

// modules-load.d/xen.conf from tools/configure.ac LINUX_BACKEND_MODULES (first names; the legacy ones fail).
constexpr const char* kXenConf[] = {"xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-blkback",
                                    "xen-netback", "xen-pciback", "evtchn", "gntdev"};

struct Variant {
  const char* xenstored_unit;
  bool custom_modules_load;
  bool udev_tags_gntdev;
  bool devtmpfs;
};

Variant variant_config(std::string_view v) {
  if (v == "custom-modules-load") return {kXenstoredStandard, true, false, true};
  if (v == "mount-only-ordering") return {kXenstoredMountOnly, false, false, true};
  if (v == "requires-device-no-after") return {kXenstoredRequiresDeviceOnly, true, true, true};
  if (v == "requires-device-untagged") return {kXenstoredRequiresAfterDevice, true, false, true};
  if (v == "requires-device-tagged") return {kXenstoredRequiresAfterDevice, true, true, true};
  if (v == "standard-without-devtmpfs") return {kXenstoredStandard, false, false, false};
  return {kXenstoredStandard, false, false, true};  // standard
}

struct XenstoredLog {
  std::string missing_node;  // what xenstored failed to open
};

XENRACE_SCENARIO({
    .name = "xenstored-boot-order",
    .description = "dom0 boot: systemd starts xenstored by unit ordering while xen-gntdev registers /dev/xen/gntdev and "
        "udev handles its uevent; xenstored exits if the node is missing.",
    .source = "[PATCH v1] tools/hotplug: systemd: Make dependency on Xen device nodes (xen-devel, 2023-08)",
    .tags = {"udev", "services"},
    .variants = {
        {"custom-modules-load", Expect::fail,
         "the seed's root cause: a local systemd-modules-load.service without Before=sysinit.target"},
        {"mount-only-ordering", Expect::fail,
         "xenstored.service with DefaultDependencies=no, ordered only on proc-xen.mount"},
        {"standard", Expect::pass,
         "Xen's units as shipped: default dependencies put xenstored after sysinit.target, which modules-load precedes"},
        {"requires-device-no-after", Expect::fail,
         "customised modules-load, xenstored Requires=dev-xen-gntdev.device without After=: Requires= orders "
         "nothing, both jobs start together and the race stays"},
        {"requires-device-untagged", Expect::fail,
         "customised modules-load, the proposed Requires=+After=dev-xen-gntdev.device but no udev rule tags the "
         "node for systemd: the device unit never appears, its job times out after 90 s and xenstored is not started"},
        {"requires-device-tagged", Expect::pass,
         "the proposed patch together with its udev rule (TAG+=\"systemd\"): xenstored waits for the device unit"},
        {"standard-without-devtmpfs", Expect::fail,
         "standard units, but /dev filled only by udevd: sysinit.target does not wait for udev to create nodes"},
    },
    .default_iterations = 400,
    .max_steps = 2000,
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  Boot& systemd = world.boot();  // a whole boot: the simulator's only
  const Variant config = variant_config(variant);

  systemd.add_xen_dom0_modules();
  systemd.set_devtmpfs(config.devtmpfs);
  if (config.udev_tags_gntdev) systemd.udev_tag_for_systemd("xen/gntdev");
  systemd.start_udevd();

  if (config.custom_modules_load) systemd.load_units(kCustomModulesLoad);
  systemd.load_units(kProcXenMount);
  systemd.load_units(config.xenstored_unit);

  XenstoredLog& log = ex.make<XenstoredLog>();
  DeviceNodes& dev = world.device_nodes();
  KernelModules& modules = world.kernel_modules();
  Services& services = world.services();
  systemd.bind_program("systemd-modules-load", [&modules] {
    int status = 0;
    for (const char* m : kXenConf)
      if (modules.modprobe(m) != 0) status = 1;  // "Failed to find module 'evtchn'"
    return status;
  });
  // xenstored's main (tools/xenstored/core.c): domain_early_init opens gntdev, domain_init evtchn;
  // both fatal. Then sd_notify READY=1.
  systemd.bind_program("launch-xenstore", [&dev, &services, &log] {
    for (const char* node : {"/dev/xen/gntdev", "/dev/xen/evtchn"}) {
      if (dev.open_node(node) != 0) {
        log.missing_node = node;
        return 1;
      }
    }
    services.notify_ready();
    return 0;
  });
  systemd.boot();

  ex.always("xenstored never opens a missing node", [&log]() -> std::string {
    if (log.missing_node.empty()) return {};
    return fmt::format("xenstored started before {} existed: its open failed (ENOENT) and xenstored exited, "
                       "so dom0 has no xenstore",
                       log.missing_node);
  });
  ex.at_end("xenstored is running after boot", [&systemd]() -> std::string {
    const std::string state = systemd.state_of("xenstored.service");
    if (state == "active") return {};
    std::string journal;
    for (const std::string& line : systemd.journal())
      if (line.find("xenstored") != std::string::npos || line.find("gntdev") != std::string::npos)
        journal += " " + line;
    return fmt::format("xenstored.service is {} after boot (job result: {});{}", state,
                       systemd.job_result_of("xenstored.service"), journal);
  });
}

}  // namespace

}  // namespace xenrace
