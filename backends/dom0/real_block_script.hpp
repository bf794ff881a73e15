// The host's REAL block hotplug script (block_script = real; needs blkback = real): the scenario actor that
// plays the script's `add` runs Xen's /etc/xen/scripts/block instead of the scenario's model of its steps.
// What libxl does for a vbd (tools/libs/light/libxl_device.c, libxl_linux.c), reproduced here:
//  - it waits for the backend to reach InitWait (2): xen-blkback's probe switches to it, and the script's
//    file branch refuses any other state;
//  - it runs SCRIPT add with XENBUS_TYPE=vbd, XENBUS_PATH=backend/vbd/<domid>/<devid> (relative: the
//    xenstore CLIs resolve it below /local/domain/0), XENBUS_BASE_PATH=backend and script=SCRIPT over its own
//    environment (so XENSTORED_PATH reaches the script's xenstore-read/-write), stdout joined to stderr;
//  - a non-zero exit is reported with the script's own hotplug-error node (what libxl logs) and the tail of
//    its output.
// It is ONE visible operation ("block.script add ... -> exit 0"): the script's losetup calls and xenstore
// writes happen inside it, unseen by the scheduler, so replay cannot force an order among them and the run
// must be free (Dom0World refuses replay). The script's params is the run's file (RealBlockBackends
// translates it); the loop device it binds is the run's (Dom0Loop::expect_bindings_by_others, ledgered before
// the script starts) and gets the run's next index when first seen.
#pragma once
#include <string>
#include <string_view>

#include "runtime/execution.hpp"
#include "world/host_block_script.hpp"

namespace xenrace::dom0 {

class Dom0Session;
class Dom0Loop;
class RealBlockBackends;

class RealBlockScript final : public HostBlockScript {
 public:
  // Bounds: params block-script-wait-ms (InitWait; default 10 s, libxl's LIBXL_INIT_TIMEOUT) and
  // block-script-timeout-ms (the script; default 40 s, LIBXL_HOTPLUG_TIMEOUT, after which libxl kills it).
  RealBlockScript(Execution& ex, Dom0Session& session, RealBlockBackends& backends, Dom0Loop& loop);
  std::string add(std::string_view backend_path) override;

 private:
  Execution& ex_;
  Dom0Session& session_;
  RealBlockBackends& backends_;
  Dom0Loop& loop_;
  int wait_ms_ = 10000;
  int timeout_ms_ = 40000;
};

}  // namespace xenrace::dom0
