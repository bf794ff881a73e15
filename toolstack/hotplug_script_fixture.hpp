// One execution's copy of Xen's real hotplug scripts, for scenarios that run them as process actors
// (real-block-script, real-loop-script): the scripts (from --hotplug-scripts DIR, XENRACE_XEN_SCRIPTS, the
// host's /etc/xen/scripts, or ci/install-deps' cache, in that order) copied into a directory of the
// execution's own, which the actors see as /var/run (with the copy at /var/run/xenrace/scripts) beside a
// private /var/log. Everything is removed when the execution ends.
//
// Construction throws ComponentUnavailable, naming why, where the scripts cannot run here: no process actors,
// no complete set of scripts, no xenstore-utils, or no root (the fixed /var/run and /var/log are bind mounts
// in the actors' own mount namespace, and the scenarios make device nodes with mknod).
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "toolstack/xen_configure.hpp"
#include "world/world.hpp"

namespace xenrace {

class HotplugScriptFixture {
 public:
  // Where the scripts see the run's files: inside the /var/run the actors are given.
  static constexpr const char* kSeenDir = "/var/run/xenrace";
  static inline const std::vector<std::string> kPath = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};

  // `scripts`: the directory given (empty: Debian's, as found); `scenario` names the caller in errors.
  HotplugScriptFixture(std::string scripts, std::string_view scenario) {
    namespace fs = std::filesystem;
    if (scripts.empty()) scripts = default_scripts();
    if (const std::string& why = process::process_actors_unsupported(); !why.empty())
      throw ComponentUnavailable("process actors are unsupported here: " + why);
    if (const std::string missing = missing_hotplug_scripts(scripts); !missing.empty())
      throw ComponentUnavailable(fmt::format(
          "no complete set of Xen hotplug scripts in {}: no {} (give --hotplug-scripts DIR; ci/install-deps "
          "extracts Debian's xen-utils-common)", scripts, missing));
    if (process::find_program("xenstore-read", kPath).empty())
      throw ComponentUnavailable("xenstore-read is not installed (Debian package xenstore-utils)");
    if (geteuid() != 0)
      throw ComponentUnavailable("needs root: the scripts' fixed /var/run and /var/log are bind mounts, and the "
                                 "devices are made with mknod");
    std::string tmpl = (fs::temp_directory_path() / "xenrace-block-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error(fmt::format("{}: mkdtemp: {}", scenario, std::strerror(errno)));
    dir_ = tmpl;
    fs::create_directories(seen_dir());
    fs::create_directories(dir_ / "log" / "xen");
    fs::copy(scripts, scripts_dir(), fs::copy_options::recursive);
    // A source tree (a patch under test) has .in files where an installed directory has what configure
    // makes of them: make them, so the tree runs as it would be installed.
    for (const auto& [made, source] : kMadeHotplugFiles)
      if (!fs::exists(scripts_dir() / made))
        std::ofstream(scripts_dir() / made) << xen_file_text(hotplug_script_source(scripts, made)).value_or("");
  }
  ~HotplugScriptFixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  HotplugScriptFixture(const HotplugScriptFixture&) = delete;
  HotplugScriptFixture& operator=(const HotplugScriptFixture&) = delete;

  // On the host: what the actors see as kSeenDir, and the scripts' copy there (a variant may patch it).
  std::filesystem::path seen_dir() const { return dir_ / "run" / "xenrace"; }
  std::filesystem::path scripts_dir() const { return seen_dir() / "scripts"; }
  // On the host: what the actors see as /var/log.
  std::filesystem::path log_dir() const { return dir_ / "log"; }

  process::ProcessOptions options(std::vector<std::string> env, process::XenStoreService& xs) const {
    process::ProcessOptions o;
    o.env = std::move(env);
    o.xenstore = &xs;
    o.binds = {{(dir_ / "run").string(), "/var/run"}, {(dir_ / "log").string(), "/var/log"}};
    o.simulated_proc_files = true;  // check_sharing reads /proc/mounts: the simulated dom0's, not the host's
    return o;
  }

  // `block COMMAND` for the vbd of `guest` (its backend is backend/vbd/GUEST/51712). A refusal exits 1 after
  // writing hotplug-status: an outcome the invariants judge, not a crash, so the actor itself exits 0.
  ActorId spawn_block(Execution& ex, const char* command, int guest, process::ProcessOptions o) const {
    o.env.push_back(fmt::format("XENBUS_PATH=backend/vbd/{}/51712", guest));
    o.env.push_back("XENBUS_TYPE=vbd");
    o.env.push_back("XENBUS_BASE_PATH=backend");
    return process::spawn_process(ex, fmt::format("block {} (dom{})", command, guest),
                                  {"bash", "-c", fmt::format("\"$0\" {} >/dev/null 2>>/var/log/xen/block.log; exit 0", command),
                                   fmt::format("{}/scripts/block", kSeenDir)},
                                  std::move(o));
  }

  static std::string default_scripts() {
    if (const char* d = std::getenv("XENRACE_XEN_SCRIPTS"); d != nullptr && *d != '\0') return d;
    if (std::filesystem::exists("/etc/xen/scripts/block")) return "/etc/xen/scripts";
    const char* cache = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    const std::string base =
        cache != nullptr && *cache != '\0' ? cache : std::string(home != nullptr ? home : "") + "/.cache";
    return base + "/xenrace/xen-utils-common/etc/xen/scripts";
  }

 private:
  std::filesystem::path dir_;
};

// The backend path of `guest`'s vbd, as the scripts' XENBUS_PATH names it under /local/domain/0.
inline std::string vbd_backend(int guest) { return fmt::format("/local/domain/0/backend/vbd/{}/51712", guest); }

}  // namespace xenrace
