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
// udev rules files are read from the `rules` directory (a patch's new rule), and the tagged variant's rule is
// read as a rules file too; keys the model does not apply are reported as not modelled.
// Xen's units are read from the `units` directory (a patched tree's tools/hotplug/Linux/systemd, configured
// from its .in files, or an installed unit directory), else from built-in copies of Xen 4.17's; each variant
// adds its lines to xenstored.service's [Unit], as a patch would. Keys the model does not apply are reported
// as not modelled. systemd's own units (sysinit.target, basic.target, multi-user.target,
// systemd-modules-load.service) are read from the `system-units` directory (the host's /lib/systemd/system,
// say), else the model's reduced copies (fidelity.md §7); a unit they pull in or order against that the
// directory has but the model does not load is reported as not modelled;
// systemd, udevd and the kernel side: world/boot.hpp, simulated in backends/sim/udev/. With devtmpfs (every
// current distribution) the node exists as soon as modprobe returns, so module loading before xenstored is all
// the ordering needed.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>

#include "toolstack/xen_configure.hpp"
#include "world/boot.hpp"
#include "world/services.hpp"
#include "world/world.hpp"

namespace xenrace::scenario_xenstored_boot_order {  // names of its own (CI builds in unity batches)
namespace {

// Xen 4.17's tools/hotplug/Linux/systemd/proc-xen.mount.in and xenstored.service.in, as installed and reduced
// to what the model applies: used when the `units` parameter names no directory (Debian does not ship Xen's units).
constexpr const char* kProcXenMount = R"([Unit]
Description=Mount /proc/xen files
)";
constexpr const char* kXenstoredService = R"([Unit]
Description=The Xen xenstore
Requires=proc-xen.mount
After=proc-xen.mount
Before=libvirtd.service libvirt-guests.service

[Service]
Type=notify
RemainAfterExit=true
ExecStart=/etc/xen/scripts/launch-xenstore

[Install]
WantedBy=multi-user.target
)";

// A unit file's text: DIR/NAME (installed) or DIR/NAME.in (a source tree's, configured), or the built-in
// copy when no directory is given.
std::string unit_text(const std::string& dir, const std::string& name, const char* builtin) {
  if (dir.empty()) return builtin;
  for (const std::string& file : {dir + "/" + name, dir + "/" + name + ".in"})
    if (std::optional<std::string> text = xen_file_text(file)) return *text;
  throw UsageError(fmt::format("xenstored-boot-order: --param units={}: neither {} nor {}.in is there", dir, name, name));
}

// systemd's own units that the boot model runs, read from the `system-units` search path when it names one.
constexpr const char* kSystemdUnits[] = {"sysinit.target", "basic.target", "multi-user.target",
                                         "systemd-modules-load.service"};

// The `system-units` parameter: directories in precedence order, "/etc/systemd/system:/lib/systemd/system",
// as systemd's unit search path (an administrator's copy in /etc replaces the packaged one).
std::vector<std::filesystem::path> unit_search_path(const std::string& param) {
  std::vector<std::filesystem::path> dirs;
  std::istringstream parts(param);
  for (std::string dir; std::getline(parts, dir, ':');)
    if (!dir.empty()) dirs.emplace_back(dir);
  return dirs;
}

// The first DIR/name on the search path; a usage error naming the path when none is readable.
std::string systemd_unit_text(const std::vector<std::filesystem::path>& dirs, const std::string& param,
                              const std::string& name, std::filesystem::path* found) {
  for (const auto& dir : dirs) {
    std::ifstream in(dir / name);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    *found = dir;
    return text.str();
  }
  throw UsageError(fmt::format("xenstored-boot-order: --param system-units={}: no readable {} there (give "
                               "directories of systemd's units, such as /etc/systemd/system:/lib/systemd/system)",
                               param, name));
}

bool on_search_path(const std::vector<std::filesystem::path>& dirs, const std::string& unit) {
  std::error_code ec;
  for (const auto& dir : dirs)
    if (std::filesystem::exists(dir / unit, ec)) return true;
  return false;
}

// What `name` pulls in through NAME.wants/ and NAME.requires/ on the search path (how systemd's own targets
// pull in systemd-modules-load.service): lines to add to its [Unit] for the units the model loads, and
// one not-modelled line per directory for the rest.
std::string dependency_dirs(const std::vector<std::filesystem::path>& dirs, const std::string& name,
                            const std::vector<std::string>& loaded, std::vector<std::string>& not_loaded) {
  std::string lines;
  for (const char* kind : {"wants", "requires"}) {
    std::vector<std::string> modelled, others;
    for (const auto& dir : dirs) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(dir / (name + "." + kind), ec)) {
        const std::string unit = entry.path().filename().string();
        auto& into = std::find(loaded.begin(), loaded.end(), unit) != loaded.end() ? modelled : others;
        if (std::find(into.begin(), into.end(), unit) == into.end()) into.push_back(unit);
      }
    }
    std::sort(modelled.begin(), modelled.end());
    std::sort(others.begin(), others.end());
    for (const std::string& unit : modelled) lines += fmt::format("{}={}\n", kind == std::string("wants") ? "Wants" : "Requires", unit);
    if (!others.empty())
      not_loaded.push_back(fmt::format("{}.{}/: {} unit(s) the model does not load ({})", name, kind, others.size(),
                                       fmt::join(others, ", ")));
  }
  return lines.empty() ? lines : "\n[Unit]\n" + lines;
}

// The units `name` pulls in or orders against (Requires=, Wants=, After=, Before=, as the service manager
// read them) that the search path has but the model does not load, for the not-modelled list. One that is
// nowhere has no effect, as in systemd.
std::vector<std::string> units_left_out(const Boot& systemd, const std::vector<std::filesystem::path>& dirs,
                                        const std::string& name, const std::vector<std::string>& loaded) {
  std::vector<std::string> out;
  for (const auto& [key, unit] : systemd.references_of(name))
    if (std::find(loaded.begin(), loaded.end(), unit) == loaded.end() && on_search_path(dirs, unit))
      out.push_back(fmt::format("{}: {}={} (a unit the model does not load)", name, key, unit));
  return out;
}

// The udev rule that went with the proposed patch (systemd pull request 28962, linked from seed 000): Xen's
// gntdev node tagged for systemd, so that systemd makes dev-xen-gntdev.device for it. Read as a rules file.
constexpr const char* kGntdevSystemdRule = R"(# tag Xen's grant device for systemd
SUBSYSTEM=="misc", KERNEL=="gntdev", TAG+="systemd"
)";

// The udev rules files of the `rules` directory (`*.rules`, or a source tree's `*.rules.in`, configured), by
// name; none when no directory is given.
std::vector<std::pair<std::string, std::string>> rules_files(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  if (dir.empty()) return out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw UsageError(fmt::format("xenstored-boot-order: --param rules={}: {}", dir, ec.message()));
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".rules") && !name.ends_with(".rules.in")) continue;
    if (std::optional<std::string> text = xen_file_text(entry.path())) out.emplace_back(name, *text);
  }
  std::sort(out.begin(), out.end());  // udevd reads rules files in lexical order
  return out;
}

// A variant's change to xenstored.service, as lines added to its [Unit] section (what a patch adds).
std::string with_unit_lines(std::string text, const std::vector<const char*>& lines) {
  if (lines.empty()) return text;
  const std::size_t unit = text.find("[Unit]");
  if (unit == std::string::npos) throw std::invalid_argument("xenstored-boot-order: xenstored.service has no [Unit] section");
  std::string added;
  for (const char* line : lines) added += std::string(line) + "\n";
  text.insert(text.find('\n', unit) + 1, added);
  return text;
}

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
  std::vector<const char*> unit_lines;  // added to xenstored.service's [Unit]
  bool custom_modules_load;
  bool udev_tags_gntdev;
  bool devtmpfs;
};

Variant variant_config(std::string_view v) {
  const std::vector<const char*> device = {"Requires=dev-xen-gntdev.device", "After=dev-xen-gntdev.device"};
  if (v == "custom-modules-load") return {{}, true, false, true};
  if (v == "mount-only-ordering") return {{"DefaultDependencies=no"}, false, false, true};
  if (v == "requires-device-no-after") return {{"Requires=dev-xen-gntdev.device"}, true, true, true};
  if (v == "requires-device-untagged") return {device, true, false, true};
  if (v == "requires-device-tagged") return {device, true, true, true};
  if (v == "standard-without-devtmpfs") return {{}, false, false, false};
  return {{}, false, false, true};  // standard
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
    .params = {text_param("units", "", "the directory of Xen's systemd units (xenstored.service, proc-xen.mount; "
                                       "a source tree's tools/hotplug/Linux/systemd with .in files, or an installed "
                                       "unit directory); empty: xenrace's copy of Xen 4.17's"),
               text_param("rules", "", "a directory of udev rules files (*.rules, or a source tree's *.rules.in) "
                                       "read before the variant's own rule; empty: none"),
               text_param("system-units", "", "where systemd's own units are read from (sysinit.target, "
                                              "basic.target, multi-user.target, systemd-modules-load.service, and "
                                              "their .wants/ directories): directories in precedence order, such "
                                              "as the host's /etc/systemd/system:/lib/systemd/system; empty: the "
                                              "model's reduced copies")},
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  Boot& systemd = world.boot();  // a whole boot: the simulator's only
  const Variant config = variant_config(variant);

  systemd.add_xen_dom0_modules();
  systemd.set_devtmpfs(config.devtmpfs);
  // udev rules: the `rules` directory's files (a patch's new rule), then the variant's own rule.
  std::vector<std::pair<std::string, std::string>> rules = rules_files(race.param<std::string>("rules"));
  if (config.udev_tags_gntdev) rules.emplace_back("99-xen-gntdev.rules", kGntdevSystemdRule);
  for (const auto& [name, text] : rules)
    try {
      for (std::string& what : systemd.load_udev_rules(name, text)) ex.not_modelled(std::move(what));
    } catch (const std::invalid_argument& e) {  // a malformed rules file given with --param rules
      throw UsageError(fmt::format("xenstored-boot-order: {}", e.what()));
    }
  systemd.start_udevd();

  // systemd's own units: from the `system-units` directory (the host's, say), else the model's copies. The
  // variant's customised modules-load unit replaces the directory's, as a local copy in /etc would.
  const std::string system_units = race.param<std::string>("system-units");
  if (!system_units.empty()) {
    const std::vector<std::filesystem::path> dirs = unit_search_path(system_units);
    std::vector<std::string> loaded(std::begin(kSystemdUnits), std::end(kSystemdUnits));
    loaded.insert(loaded.end(), {"proc-xen.mount", "xenstored.service"});
    for (const char* name : kSystemdUnits) {
      std::filesystem::path dir;
      std::vector<std::string> left_out;
      const std::string text = systemd_unit_text(dirs, system_units, name, &dir) +
                               dependency_dirs(dirs, name, loaded, left_out);
      try {
        for (std::string& what : systemd.load_unit_file(name, text)) ex.not_modelled(std::move(what));
      } catch (const std::invalid_argument& e) {  // a malformed unit file
        throw UsageError(fmt::format("xenstored-boot-order: {} (from {})", e.what(), dir.string()));
      }
      for (std::string& what : units_left_out(systemd, dirs, name, loaded)) ex.not_modelled(std::move(what));
      for (std::string& what : left_out) ex.not_modelled(std::move(what));
    }
  }
  if (config.custom_modules_load) systemd.load_units(kCustomModulesLoad);
  // Xen's own units: from the `units` directory (a patched tree's tools/hotplug/Linux/systemd, or an
  // installed unit directory), else the built-in copies. What the model does not apply is reported.
  const std::string units = race.param<std::string>("units");
  for (const auto& [name, text] :
       {std::pair{std::string("proc-xen.mount"), unit_text(units, "proc-xen.mount", kProcXenMount)},
        std::pair{std::string("xenstored.service"),
                  with_unit_lines(unit_text(units, "xenstored.service", kXenstoredService), config.unit_lines)}})
    try {
      for (std::string& what : systemd.load_unit_file(name, text)) ex.not_modelled(std::move(what));
    } catch (const std::invalid_argument& e) {  // a malformed unit file given with --param units
      throw UsageError(fmt::format("xenstored-boot-order: {}", e.what()));
    }

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

}  // namespace xenrace::scenario_xenstored_boot_order
