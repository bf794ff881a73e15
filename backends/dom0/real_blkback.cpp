#include "backends/dom0/real_blkback.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "backends/dom0/dom0_config.hpp"
#include "backends/dom0/dom0_loop.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/dom0_xenstore.hpp"
#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "world/world.hpp"
#include "world/visible_op.hpp"

namespace xenrace::dom0 {
namespace {

constexpr std::string_view kVbdBackends = "/local/domain/0/backend/vbd/";

// "/local/domain/0/backend/vbd/<d>/<dev>[/...]" (decimal numbers) -> (d, dev); false for anything else.
bool parse_backend(std::string_view abs, int& domid, int& devid) {
  if (abs.compare(0, kVbdBackends.size(), kVbdBackends) != 0) return false;
  std::size_t pos = kVbdBackends.size();
  auto number = [&](int& out, bool last) {
    const std::size_t start = pos;
    long n = 0;
    while (pos < abs.size() && abs[pos] >= '0' && abs[pos] <= '9' && n < 1000000) n = n * 10 + (abs[pos++] - '0');
    out = static_cast<int>(n);
    if (pos == start || n >= 1000000) return false;
    if (pos == abs.size()) return last;
    return abs[pos++] == '/';
  };
  return number(domid, false) && number(devid, true);
}

// blkback's own parse of physical-device (xenbus_scanf "%x:%x"): what it would open.
bool parse_devnum(std::string_view value, unsigned& major, unsigned& minor) {
  const std::string v(value);
  return std::sscanf(v.c_str(), "%x:%x", &major, &minor) == 2;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

RealBlockBackends::RealBlockBackends(Execution& ex, Dom0Session& session, Dom0XenStore& xenstore, Dom0Loop& loop,
                                     std::vector<std::string>& observed)
    : ex_(ex), session_(session), xenstore_(xenstore), loop_(loop), observed_(observed) {
  if (const std::string* w = ex.param("real-blkback-wait-ms")) wait_ms_ = std::stoi(*w);
  xenstore_.set_real_dirs(this);
  ex_.settle("xen-blkback acted", [this] { return settle(); });
}

RealBlockBackends::~RealBlockBackends() {
  xenstore_.set_real_dirs(nullptr);
  for (const Vbd& v : vbds_) {
    // blkback closes the device when xenbus unregisters it; the session's cleanup retries what fails here.
    CleanupItem item = remove_real_vbd(v.real, session_.run_id(), wait_ms_);
    if (item.ok) session_.ledger().released(v.ledger_id);
  }
}

RealBlockBackends::Vbd* RealBlockBackends::find(std::string_view path) {
  const std::string abs = XsPathMap::absolute(path);
  for (Vbd& v : vbds_)
    if (abs == v.scenario || (abs.size() > v.scenario.size() && abs.compare(0, v.scenario.size(), v.scenario) == 0 &&
                              abs[v.scenario.size()] == '/'))
      return &v;
  return nullptr;
}

const RealBlockBackends::Vbd* RealBlockBackends::find(std::string_view path) const {
  return const_cast<RealBlockBackends*>(this)->find(path);
}

Errno RealBlockBackends::before_create(std::string_view path) {
  const std::string abs = XsPathMap::absolute(path);
  int domid = 0, devid = 0;
  if (!parse_backend(abs, domid, devid) || find(abs)) return 0;
  Vbd v;
  v.scenario = fmt::format("{}{}/{}", kVbdBackends, domid, devid);
  const std::string frontend = xenstore_.paths().to_host(fmt::format("/local/domain/{}/device/vbd/{}", domid, devid));
  try {
    v.real = create_real_vbd(session_.ledger(), xenstore_.options().socket, devid, frontend, &v.ledger_id);
  } catch (const std::exception& e) {
    // Without its backend directory the scenario cannot run against the real driver: skipped, not failed.
    throw ComponentUnavailable(fmt::format("--blkback real: cannot make a real vbd backend for {}: {}", v.scenario,
                                           e.what()));
  }
  xenstore_.paths_to_redirect().redirect(v.scenario, v.real.backend);
  observed_.push_back(fmt::format(
      "xen-blkback: the host's driver, observed, never driven: the scenario's {} is the real {} (frontend {} in the "
      "run's subtree, frontend-id {}: no such domain, never connects); what it opened is read from {}/physical_device "
      "and the loop device's sysfs backing_file and diskseq{}",
      v.scenario, v.real.backend, frontend, v.real.domid, v.real.sysfs_device(),
      ex_.options().os_threads ? ""
                               : "; replay orders the scenario's actors only: when the kernel opens the device is "
                                 "not forced, so the verdict is the host's, not the recorded one"));
  vbds_.push_back(std::move(v));
  return 0;
}

std::string RealBlockBackends::real_backend(std::string_view scenario_path) const {
  const Vbd* v = find(scenario_path);
  return v ? v->real.backend : std::string();
}

Result<std::string> RealBlockBackends::host_value(std::string_view path, std::string_view value) {
  Vbd* v = find(path);
  // The host's block script opens `params` itself: it must name the run's file, never a host path.
  if (v && session_.config().block_script == Dom0Config::BlockScript::real &&
      XsPathMap::absolute(path) == v->scenario + "/params")
    return Result<std::string>::success(loop_.host_file(value));
  if (!v || XsPathMap::absolute(path) != v->scenario + "/physical-device") return Result<std::string>::success(std::string(value));
  unsigned major = 0, minor = 0;
  if (!parse_devnum(value, major, minor)) return Result<std::string>::success(std::string(value));  // blkback refuses it
  // The scenario's numbers are the run's: 7:N is the run's loopN. Anything else would be a host device.
  const int host = major == kLoopMajor ? loop_.host_index(static_cast<int>(minor)) : -1;
  if (host < 0) return Result<std::string>::error(EACCES);
  v->physical_device_written = true;
  return Result<std::string>::success(fmt::format("{:x}:{:x}", major, host));
}

std::string RealBlockBackends::scenario_value(std::string_view path, std::string_view value) {
  const Vbd* v = find(path);
  if (v && session_.config().block_script == Dom0Config::BlockScript::real) {
    const std::string abs = XsPathMap::absolute(path);
    if (abs == v->scenario + "/params") return loop_.scenario_file(std::string(value));
    int host = -1;
    if ((abs == v->scenario + "/node" || abs == v->scenario + "/physical-device-path") &&
        parse_loop_path(std::string(value), host)) {
      const int index = loop_.scenario_index_of(host);
      return index < 0 ? std::string(value) : loop_path(index);
    }
  }
  unsigned major = 0, minor = 0;
  if (!v || XsPathMap::absolute(path) != v->scenario + "/physical-device" || !parse_devnum(value, major, minor) ||
      major != kLoopMajor)
    return std::string(value);
  const int index = loop_.scenario_index_of(static_cast<int>(minor));
  return index < 0 ? std::string(value) : fmt::format("{:x}:{:x}", major, index);
}

Errno RealBlockBackends::probe(std::string_view backend_path) {
  const Vbd* v = find(backend_path);
  // The kernel probes by itself when the directory appears; nothing to start, so no scheduling point.
  note_event(ex_, "blkback.probe", backend_path,
             v ? fmt::format("real xen-blkback watches {}", v->real.backend) : std::string("ENOENT"));
  return v ? 0 : ENOENT;
}

std::optional<ExportedDisk> RealBlockBackends::read_export(const Vbd& v) const {
  std::string text;
  if (read_file(v.real.sysfs_device() + "/physical_device", text) != 0) return std::nullopt;  // not opened
  unsigned major = 0, minor = 0;
  if (!parse_devnum(text, major, minor)) return std::nullopt;
  ExportedDisk e;
  e.major = major;
  const int index = loop_.scenario_index_of(static_cast<int>(minor));
  e.minor = index >= 0 ? static_cast<unsigned>(index) : minor;
  if (major != kLoopMajor) return e;
  std::string backing;
  if (loop_backing_file(static_cast<int>(minor), backing) == 0) {
    e.has_medium = true;
    e.backing_file = loop_.scenario_file(backing);
    const std::string deleted = " (deleted)";
    if (ends_with(backing, deleted)) backing.erase(backing.size() - deleted.size());
    struct stat st{};
    if (::stat(backing.c_str(), &st) == 0) e.file = FileIdentity{st.st_dev, st.st_ino};
  }
  (void)loop_diskseq(static_cast<int>(minor), e.diskseq);
  return e;
}

std::optional<ExportedDisk> RealBlockBackends::exported(std::string_view backend_path) const {
  const Vbd* v = find(backend_path);
  if (!v) return std::nullopt;
  std::lock_guard<std::mutex> lock(seen_mutex_);
  if (!v->seen) v->seen = read_export(*v);
  return v->seen;
}

// Polled: blkback's successful open writes nothing to XenStore (xen_update_blkif_status returns early with
// no frontend ring), and its sysfs attribute appears without an event a process could wait for.
std::string RealBlockBackends::settle() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_);
  XsHandle h(xenstore_.options().socket);
  for (const Vbd& v : vbds_) {
    if (!v.physical_device_written) continue;  // nothing asked blkback to open anything
    for (;;) {
      if (::access((v.real.sysfs_device() + "/physical_device").c_str(), F_OK) == 0) break;  // opened
      auto state = h.read(kNoTx, v.real.backend + "/state");
      if (state.ok() && (state.value == "5" || state.value == "6")) break;  // refused (xenbus_dev_fatal) or closed
      if (h.read(kNoTx, v.real.error + "/error").ok()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        const bool probed = ::access(v.real.sysfs_device().c_str(), F_OK) == 0;
        return fmt::format("the host's xen-blkback neither opened nor refused {} within {} ms of the run's end ({}; "
                           "backend state {})",
                           v.real.backend, wait_ms_,
                           probed ? "the device was probed" : "xenbus never probed " + v.real.sysfs_device(),
                           state.ok() ? state.value : errno_name(state.err));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return {};
}

}  // namespace xenrace::dom0
