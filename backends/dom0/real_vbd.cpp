#include "backends/dom0/real_vbd.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "backends/dom0/xs_handle.hpp"

namespace xenrace::dom0 {
namespace {

// Domids 32000..32699: below DOMID_FIRST_RESERVED (0x7ff0) and far above what a test host creates.
constexpr int kFirstDomid = 32000;
constexpr int kDomids = 700;

bool exists(XsHandle& h, const std::string& path) { return h.read(kNoTx, path).err != ENOENT; }

std::string parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

// The topmost of `path` and its ancestors that does not exist yet (`path` itself when its parent exists).
std::string topmost_missing(XsHandle& h, const std::string& path) {
  std::string top = path;
  for (std::string p = parent(path); p.size() > 1 && !exists(h, p); p = parent(p)) top = p;
  return top;
}

bool sysfs_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// rm -r `dir`, then its parents up to `top` while each is empty, each check-and-remove in one transaction
// so that a node another toolstack adds meanwhile is never removed.
Errno remove_with_parents(XsHandle& h, const std::string& dir, const std::string& top) {
  Errno e = h.rm(dir);
  if (e != 0 && e != ENOENT) return e;
  if (top.size() >= dir.size() || dir.compare(0, top.size(), top) != 0) return 0;  // no parent of ours
  for (std::string p = parent(dir); p.size() >= top.size(); p = parent(p)) {
    for (int attempt = 0;; ++attempt) {
      auto tx = h.transaction_start();
      if (!tx.ok()) return tx.err;
      auto children = h.directory(tx.value, p);
      if (!children.ok() || !children.value.empty()) {
        h.transaction_end(tx.value, false);
        return 0;  // gone already, or someone else's nodes live there now
      }
      e = h.rm(p, tx.value);
      if (e != 0) {
        h.transaction_end(tx.value, false);
        return e;
      }
      e = h.transaction_end(tx.value, true);
      if (e == 0) break;
      if (e != EAGAIN || attempt == 8) return e;
    }
    if (p == top) break;
  }
  return 0;
}

}  // namespace

std::vector<std::string> RealVbdPaths::ledger_fields() const {
  return {backend, backend_top, error, error_top, socket.empty() ? "-" : socket};
}

RealVbdPaths RealVbdPaths::from_ledger(const std::vector<std::string>& f) {
  if (f.size() != 5) throw std::runtime_error("xs-vbd entry needs 5 fields");
  RealVbdPaths v;
  v.backend = f[0];
  v.backend_top = f[1];
  v.error = f[2];
  v.error_top = f[3];
  v.socket = f[4] == "-" ? std::string() : f[4];
  const std::string prefix = "/local/domain/0/backend/vbd/";
  if (v.backend.rfind(prefix, 0) != 0 || std::sscanf(v.backend.c_str() + prefix.size(), "%d/%d", &v.domid, &v.devid) != 2)
    throw std::runtime_error("xs-vbd entry does not name a vbd backend: " + v.backend);
  return v;
}

std::string RealVbdPaths::sysfs_device() const {
  return fmt::format("/sys/bus/xen-backend/devices/vbd-{}-{}", domid, devid);
}

RealVbdPaths create_real_vbd(Ledger& ledger, const std::string& socket, int devid, const std::string& frontend,
                             std::uint64_t* ledger_id) {
  XsHandle h(socket);
  if (!h) throw std::runtime_error(fmt::format("no xenstored answers: {}", std::strerror(h.open_error())));
  RealVbdPaths v;
  v.socket = socket;
  v.devid = devid;
  const int start = static_cast<int>(::getpid() % kDomids);
  for (int i = 0; i < kDomids && v.backend.empty(); ++i) {
    const int d = kFirstDomid + (start + i) % kDomids;
    const std::string be = fmt::format("/local/domain/0/backend/vbd/{}/{}", d, devid);
    const std::string err = fmt::format("/local/domain/0/error/backend/vbd/{}/{}", d, devid);
    if (exists(h, fmt::format("/local/domain/{}", d)) || exists(h, parent(be)) || exists(h, parent(err)) ||
        sysfs_exists(fmt::format("/sys/bus/xen-backend/devices/vbd-{}-{}", d, devid)))
      continue;
    v.domid = d;
    v.backend = be;
    v.error = err;
  }
  if (v.backend.empty()) throw std::runtime_error("no unused domid for a real vbd backend in 32000..32699");
  v.backend_top = topmost_missing(h, v.backend);
  v.error_top = topmost_missing(h, v.error);

  Ledger::Creation c(ledger, kRealVbdLedgerKind, v.ledger_fields());
  if (ledger_id) *ledger_id = c.id();
  auto write = [&](TxId tx, const std::string& path, const std::string& value) {
    if (Errno e = h.write(tx, path, value))
      throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(e)));
  };
  // The frontend first (the run's subtree: no driver watches it), so it exists when the backend appears.
  write(kNoTx, frontend + "/state", "1");
  write(kNoTx, frontend + "/device-type", "disk");
  write(kNoTx, frontend + "/backend-id", "0");
  write(kNoTx, frontend + "/backend", v.backend);
  for (int attempt = 0;; ++attempt) {
    auto tx = h.transaction_start();
    if (!tx.ok()) throw std::runtime_error(fmt::format("transaction_start: {}", std::strerror(tx.err)));
    write(tx.value, v.backend + "/" + kRunMarkerNode, ledger.run_id());
    write(tx.value, v.backend + "/frontend", frontend);
    write(tx.value, v.backend + "/frontend-id", std::to_string(v.domid));
    write(tx.value, v.backend + "/state", "1");
    const Errno e = h.transaction_end(tx.value, true);
    if (e == 0) break;
    if (e != EAGAIN || attempt == 8)
      throw std::runtime_error(fmt::format("creating {}: {}", v.backend, std::strerror(e)));
  }
  return v;
}

CleanupItem remove_real_vbd(const RealVbdPaths& v, const std::string& run_id, int wait_ms) {
  CleanupItem item;
  item.what = fmt::format("xenstore {} (real vbd backend for xen-blkback)", v.backend);
  XsHandle h(v.socket);
  if (!h) {
    item.ok = false;
    item.result = fmt::format("failed: no xenstored: {}", std::strerror(h.open_error()));
    return item;
  }
  auto marker = h.read(kNoTx, v.backend + "/" + kRunMarkerNode);
  if (marker.ok() && marker.value != run_id) {
    item.ok = false;
    item.result = fmt::format("left alone: it belongs to run {} now", marker.value);
    return item;
  }
  if (!marker.ok() && exists(h, v.backend)) {
    item.ok = false;
    item.result = "left alone: it carries no xenrace-run marker";
    return item;
  }
  const bool was_there = marker.ok();
  if (Errno e = remove_with_parents(h, v.backend, v.backend_top)) {
    item.ok = false;
    item.result = fmt::format("failed: {}", std::strerror(e));
    return item;
  }
  // xenbus unregisters the device when its directory goes; blkback then closes the block device. Polled:
  // sysfs gives no notification for a device's removal that a plain process can wait on here.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (sysfs_exists(v.sysfs_device()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (sysfs_exists(v.sysfs_device())) {
    item.ok = false;
    item.result = fmt::format("failed: {} still exists {} ms after its directory was removed (blkback may still "
                              "hold the device)",
                              v.sysfs_device(), wait_ms);
    return item;
  }
  if (Errno e = remove_with_parents(h, v.error, v.error_top)) {
    item.ok = false;
    item.result = fmt::format("failed: removing {}: {}", v.error, std::strerror(e));
    return item;
  }
  item.result = was_there ? "removed" : "already gone";
  return item;
}

}  // namespace xenrace::dom0
