// One vbd backend directory at a REAL backend path, made by a dom0 run for the host's xen-blkback, and its
// undoing. xen-blkback only probes /local/domain/0/backend/vbd/<domid>/<devid> (the xenbus backend bus
// watches `backend`), so the run's subtree cannot hold it.
//
// What the kernel needs before it probes (drivers/xen/xenbus/xenbus_probe{,_backend}.c): the directory's
// `state` must read 1 (Initialising) or xenbus_probe_node ignores it; `frontend-id` and `frontend` (a path
// that exists, whose last component is a number: the vbd handle) are read before the driver's probe, which
// is never retried for that device. libxl writes them all in one transaction; so does create(). The
// frontend is a directory in the run's subtree with state=1 and device-type=disk; it never connects, so
// blkback never maps a ring of the (absent) frontend domain.
//
// Safety: the domid is one no domain, backend or error directory uses; the ledger entry (kind `xs-vbd`) is
// fsync'd before anything is written; the directory carries `xenrace-run = RUN-ID`, and removal touches it
// only while it does. Removal also takes away what the kernel made for it (xenbus_dev_fatal's
// /local/domain/0/error/backend/vbd/<domid>/<devid>) and the parents that did not exist before (only when
// empty, checked and removed in one transaction), and waits (bounded) for blkback to let go of the device.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/ledger.hpp"

namespace xenrace::dom0 {

struct RealVbdPaths {
  int domid = 0;
  int devid = 0;
  std::string backend;      // /local/domain/0/backend/vbd/<domid>/<devid>
  std::string backend_top;  // the topmost path of `backend` that did not exist before (removed if empty)
  std::string error;        // /local/domain/0/error/backend/vbd/<domid>/<devid>
  std::string error_top;
  std::string socket;       // XENSTORED_PATH, "" for libxenstore's default

  std::vector<std::string> ledger_fields() const;  // BACKEND BACKEND_TOP ERROR ERROR_TOP SOCKET("-")
  static RealVbdPaths from_ledger(const std::vector<std::string>& fields);  // throws on a malformed entry
  std::string sysfs_device() const;  // /sys/bus/xen-backend/devices/vbd-<domid>-<devid>
};

inline constexpr const char* kRealVbdLedgerKind = "xs-vbd";
inline constexpr const char* kRunMarkerNode = "xenrace-run";

// Creates the frontend directory `frontend` (a host path in the run's subtree) and then the backend
// directory for `devid`, ledgered first. Throws std::runtime_error when no domid is free or xenstored
// refuses; whatever was made is in the ledger by then. `ledger_id` receives the entry's id.
RealVbdPaths create_real_vbd(Ledger& ledger, const std::string& socket, int devid, const std::string& frontend,
                             std::uint64_t* ledger_id = nullptr);

// Removes what create_real_vbd made, if it is still the run's; `wait_ms` bounds the wait for blkback to
// release the device (its sysfs device gone). Used by the run and by `xenrace cleanup`.
CleanupItem remove_real_vbd(const RealVbdPaths& vbd, const std::string& run_id, int wait_ms);

}  // namespace xenrace::dom0
