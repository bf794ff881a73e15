// Real libxl as a toolstack actor (issue 17): what one execution needs to run xenrace-libxl (xenrace_libxl.c,
// real libxl's block-attach and block-detach) as process actors beside Xen's real hotplug scripts.
//
//   - The hotplug scripts: a HotplugScriptFixture (the actors' /var/run and /var/log). Each disk names the
//     copy's `block` as its script, as `xl block-attach ... script=PATH` does, since /etc/xen/scripts is a
//     fixed path libxl was built with and need not exist on the host.
//   - libxl's own state: a private /var/lib, whose xen/ holds each guest's domain configuration
//     (userdata-d.<domid>.<uuid>.libxl-json, which `xl create` leaves behind and every device add updates under
//     libxl's fcntl lock on userdata-l.<domid>.<uuid>.domain-userdata-lock).
//   - The hypervisor: World::libxl_environment (in the simulator, the fake libxenctrl) and, when given, a
//     directory with another libxenlight.so.4.17 (a build with a fix reverted) first on LD_LIBRARY_PATH.
//
// Construction throws ComponentUnavailable, naming why, where this cannot run: what HotplugScriptFixture
// needs, no xenrace-libxl built (no libxen-dev at configure time), or no hypervisor library for libxl.
#pragma once
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/process/process_actor.hpp"
#include "toolstack/hotplug_script_fixture.hpp"
#include "world/world.hpp"

namespace xenrace {

class RealLibxlFixture {
 public:
  // `scripts`: the hotplug scripts' directory (empty: Debian's); `libxenlight`: a directory holding the
  // libxenlight.so.4.17 to run (empty: the host's); `guests`: the running PV guests libxl may act on.
  RealLibxlFixture(World& world, std::string scripts, std::string libxenlight, const std::vector<DomId>& guests,
                   std::string_view scenario)
      : scripts_(std::move(scripts), scenario) {
    namespace fs = std::filesystem;
    driver_ = find_driver();
    if (driver_.empty())
      throw ComponentUnavailable(
          "xenrace-libxl was not built: Debian's libxenlight 4.17 and libxlutil (libxen-dev) were missing when "
          "xenrace was configured");
    if (!libxenlight.empty() && access((fs::path(libxenlight) / "libxenlight.so.4.17").c_str(), R_OK) != 0)
      throw std::invalid_argument(fmt::format("{}: no libxenlight.so.4.17 in {}", scenario, libxenlight));
    env_ = HotplugScriptFixture::kPath;
    for (std::string& e : world.libxl_environment(guests)) {
      if (!libxenlight.empty() && e.rfind("LD_LIBRARY_PATH=", 0) == 0) e += ":" + libxenlight;
      env_.push_back(std::move(e));
    }
    std::string tmpl = (fs::temp_directory_path() / "xenrace-libxl-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error(fmt::format("{}: mkdtemp: {}", scenario, std::strerror(errno)));
    lib_ = tmpl;
    fs::create_directories(lib_ / "xen");
    for (DomId g : guests) write_domain_config(g);
  }
  ~RealLibxlFixture() {
    std::error_code ignored;
    std::filesystem::remove_all(lib_, ignored);
  }
  RealLibxlFixture(const RealLibxlFixture&) = delete;
  RealLibxlFixture& operator=(const RealLibxlFixture&) = delete;

  const HotplugScriptFixture& scripts() const { return scripts_; }

  // `xenrace-libxl ARGS...` as a process actor named `name`, with the loop driver given to its programs (the
  // hotplug scripts it forks run losetup). libxl's messages go to the actors' /var/log/xen/libxl.log.
  ActorId spawn(Execution& ex, std::string name, std::vector<std::string> args, process::XenStoreService& xs,
                process::LoopService* loop) const {
    process::ProcessOptions o = scripts_.options(env_, xs);
    o.binds.push_back({lib_.string(), "/var/lib"});
    o.loop = loop;
    args.insert(args.begin(), {driver_, "--log", "/var/log/xen/libxl.log"});
    return process::spawn_process(ex, std::move(name), std::move(args), std::move(o));
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
    std::ofstream(lib_ / "xen" / fmt::format("userdata-d.{}.00000000-0000-0000-0000-000000000000.libxl-json", guest))
        << fmt::format(R"({{"c_info": {{"type": "pv", "name": "guest-{0}"}}, "b_info": {{"type.pv": {{}}}}}})", guest)
        << "\n";
  }

  HotplugScriptFixture scripts_;
  std::string driver_;
  std::vector<std::string> env_;
  std::filesystem::path lib_;
};

}  // namespace xenrace
