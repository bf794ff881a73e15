// Real libxl as a toolstack actor (issue 17): what one execution needs to run xenrace-libxl (xenrace_libxl.c,
// real libxl's block-attach, block-detach and pci-attach) as process actors, beside Xen's real hotplug scripts
// when disks need them.
//
//   - The hotplug scripts, for disks: a HotplugScriptFixture (the actors' /var/run and /var/log). Each disk
//     names the copy's `block` as its script, as `xl block-attach ... script=PATH` does, since
//     /etc/xen/scripts is a fixed path libxl was built with and need not exist on the host. Without scripts
//     (PCI passthrough runs none) the actors get an empty /var/run and /var/log of the fixture's own.
//   - libxl's own state: a private /var/lib, whose xen/ holds each guest's domain configuration
//     (userdata-d.<domid>.<uuid>.libxl-json, which `xl create` leaves behind and every device add updates under
//     libxl's flock on userdata-l.<domid>.<uuid>.domain-userdata-lock).
//   - The hypervisor: World::libxl_environment (in the simulator, the fake libxenctrl) and, when given, a
//     directory with another libxenlight.so.4.17 (a build with a fix reverted) first on LD_LIBRARY_PATH. Each
//     guest is created in the World's hypervisor, and libxl's xc_* calls reach World::hypervisor_for_processes,
//     one step each.
//   - For PCI passthrough (add_pci_view): a private /sys/bus/pci with the devices' `resource` and `irq` and
//     pciback's directory, written once from the World's PciBack when the execution is set up. libxl reads them
//     (and writes `do_flr`) as plain files: not steps.
//
// Construction throws ComponentUnavailable, naming why, where this cannot run: no process actors, no root (the
// private directories are bind mounts), what HotplugScriptFixture needs when scripts are wanted, no
// xenrace-libxl built (no libxen-dev at configure time), or no hypervisor library for libxl.
#pragma once
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/process/process_actor.hpp"
#include "runtime/scenario.hpp"
#include "toolstack/hotplug_script_fixture.hpp"
#include "world/hypervisor.hpp"
#include "world/pci.hpp"
#include "world/world.hpp"

namespace xenrace {

class RealLibxlFixture {
 public:
  // `scripts`: the hotplug scripts' directory (empty: Debian's; nullopt: none wanted); `libxenlight`: a
  // directory holding the libxenlight.so.4.17 to run (empty: the host's); `guests`: the running PV guests libxl
  // may act on.
  RealLibxlFixture(World& world, std::optional<std::string> scripts, std::string libxenlight,
                   const std::vector<DomId>& guests, std::string_view scenario) {
    namespace fs = std::filesystem;
    if (scripts) {
      scripts_.emplace(std::move(*scripts), scenario);
    } else {
      if (const std::string& why = process::process_actors_unsupported(); !why.empty())
        throw ComponentUnavailable("process actors are unsupported here: " + why);
      if (geteuid() != 0)
        throw ComponentUnavailable("needs root: libxl's fixed /var/lib, /var/run and /var/log are bind mounts");
    }
    driver_ = find_driver();
    if (driver_.empty())
      throw ComponentUnavailable(
          "xenrace-libxl was not built: Debian's libxenlight 4.17 and libxlutil (libxen-dev) were missing when "
          "xenrace was configured");
    if (!libxenlight.empty() && access((fs::path(libxenlight) / "libxenlight.so.4.17").c_str(), R_OK) != 0)
      throw std::invalid_argument(fmt::format("{}: no libxenlight.so.4.17 in {}", scenario, libxenlight));
    env_ = HotplugScriptFixture::kPath;
    for (std::string& e : world.libxl_environment()) {
      if (!libxenlight.empty() && e.rfind("LD_LIBRARY_PATH=", 0) == 0) e += ":" + libxenlight;
      env_.push_back(std::move(e));
    }
    std::string tmpl = (fs::temp_directory_path() / "xenrace-libxl-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error(fmt::format("{}: mkdtemp: {}", scenario, std::strerror(errno)));
    root_ = tmpl;
    fs::create_directories(root_ / "lib" / "xen");
    if (!scripts_) {
      fs::create_directories(root_ / "run");
      fs::create_directories(root_ / "log" / "xen");
    }
    hypervisor_ = &world.hypervisor_for_processes();
    for (DomId g : guests) {
      const Errno e = world.hypervisor().create_domain(g);  // EEXIST: the scenario created it already
      if (e != 0 && e != EEXIST)
        throw std::runtime_error(fmt::format("{}: creating guest {}: {}", scenario, g, errno_name(e)));
      write_domain_config(g);
    }
  }
  ~RealLibxlFixture() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  RealLibxlFixture(const RealLibxlFixture&) = delete;
  RealLibxlFixture& operator=(const RealLibxlFixture&) = delete;

  // The `libxl` parameter of a scenario that runs real libxl (`explore --libxl DIR` sets it); pass its value to
  // the constructor.
  static ParamInfo libxl_param() {
    return text_param("libxl", "",
                      "a directory holding the libxenlight.so.4.17 to run (a build from a patched tree); empty: the host's");
  }

  // The scripts' copy; only for a fixture made with scripts.
  const HotplugScriptFixture& scripts() const { return *scripts_; }

  // `xenrace-libxl ARGS...` as a process actor named `name`, with the loop driver given to its programs (the
  // hotplug scripts it forks run losetup). libxl's messages go to the actors' /var/log/xen/libxl-N.log, and a
  // failed actor's verdict ends with libxl's first error.
  ActorId spawn(Execution& ex, std::string name, std::vector<std::string> args, process::XenStoreService& xs,
                process::LoopService* loop) {
    process::ProcessOptions o;
    if (scripts_) {
      o = scripts_->options(env_, xs);
    } else {
      o.env = env_;
      o.xenstore = &xs;
      o.binds = {{(root_ / "run").string(), "/var/run"}, {(root_ / "log").string(), "/var/log"}};
    }
    o.binds.push_back({(root_ / "lib").string(), "/var/lib"});
    if (std::filesystem::exists(root_ / "pci")) o.binds.push_back({(root_ / "pci").string(), "/sys/bus/pci"});
    o.loop = loop;
    o.hypervisor = hypervisor_;
    // One log per actor, so a failure quotes its own libxl's first error.
    const std::string log = fmt::format("libxl-{}.log", log_count_++);
    o.failure_log = ((scripts_ ? scripts_->log_dir() : root_ / "log") / "xen" / log).string();
    args.insert(args.begin(), {driver_, "--log", "/var/log/xen/" + log});
    return process::spawn_process(ex, std::move(name), std::move(args), std::move(o));
  }

  // The /sys/bus/pci the actors see: each of `bdfs` as a device with one memory BAR and a legacy interrupt, and
  // pciback's directory listing those bound to it (what libxl_device_pci_assignable_list reads). Call from
  // setup code, after the devices are bound.
  void add_pci_view(PciBack& pci, const std::vector<std::string>& bdfs) const {
    namespace fs = std::filesystem;
    const fs::path view = root_ / "pci", pciback = view / "drivers" / "pciback";
    fs::create_directories(pciback);
    for (const char* file : {"do_flr", "slots", "permissive", "new_slot", "remove_slot", "bind", "unbind"})
      std::ofstream(pciback / file) << "";
    int n = 0;
    for (const std::string& bdf : bdfs) {
      const fs::path dev = view / "devices" / bdf;
      fs::create_directories(dev);
      // PROC_PCI_NUM_RESOURCES lines of "start end flags": BAR 0 is 4 KiB of memory, the rest unused.
      std::ofstream resource(dev / "resource");
      const unsigned long long start = 0xf0000000ULL + 0x100000ULL * n++;
      resource << fmt::format("0x{:016x} 0x{:016x} 0x{:016x}\n", start, start + 0xfff, 0x40200);
      for (int i = 1; i < 7; ++i) resource << fmt::format("0x{:016x} 0x{:016x} 0x{:016x}\n", 0, 0, 0);
      std::ofstream(dev / "irq") << 16 + n << "\n";
      std::ofstream(dev / "reset") << "";
      const Result<std::string> driver = pci.driver(bdf);
      if (driver.ok() && driver.value == "pciback") fs::create_directories(pciback / bdf);
    }
  }

  // xl's disk specification of a raw image attached read-write, with the fixture's block script.
  std::string disk_spec(std::string_view vdev, std::string_view target) const {
    return fmt::format("format=raw,vdev={},access=rw,script={}/scripts/block,target={}", vdev,
                       HotplugScriptFixture::kSeenDir, target);
  }

 private:
  static std::string find_driver() {
#ifdef XENRACE_LIBXL_DRIVER_BUILT
    for (const char* c : {XENRACE_LIBXL_DRIVER_BUILT, XENRACE_LIBXL_DRIVER_INSTALLED})
      if (access(c, X_OK) == 0) return c;
#endif
    return {};
  }

  // What `xl create` saves of a PV guest: libxl reads it back, adds the disk and writes it again. The fake
  // libxenctrl reports every domain's handle as the nil UUID.
  void write_domain_config(DomId guest) const {
    std::ofstream(root_ / "lib" / "xen" / fmt::format("userdata-d.{}.00000000-0000-0000-0000-000000000000.libxl-json", guest))
        << fmt::format(R"({{"c_info": {{"type": "pv", "name": "guest-{0}"}}, "b_info": {{"type.pv": {{}}}}}})", guest)
        << "\n";
  }

  std::optional<HotplugScriptFixture> scripts_;
  std::string driver_;
  process::HypervisorService* hypervisor_ = nullptr;  // the World's, for the fake libxenctrl's calls
  std::vector<std::string> env_;
  int log_count_ = 0;  // the logs of the actors spawned so far
  std::filesystem::path root_;  // lib/ (the actors' /var/lib) and pci/ (their /sys/bus/pci)
};

}  // namespace xenrace
