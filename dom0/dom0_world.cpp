#include "dom0/dom0_world.hpp"

#include <unistd.h>

#include "dom0/dom0_loop.hpp"
#include "dom0/dom0_xenstore.hpp"

namespace xenrace::dom0 {

Dom0World::Dom0World(Execution& ex, Dom0Session& session) : ex_(ex), session_(session) {}
Dom0World::~Dom0World() = default;

void Dom0World::unavailable(const std::string& why) {
  if (unavailable_.empty()) unavailable_ = why;
  throw ComponentUnavailable(why);
}

XenStore& Dom0World::xenstore() {
  if (!xenstore_) {
    Dom0XenStoreOptions o;
    o.socket = session_.config().xenstored_path;
    o.allow_domain_management = session_.config().allow_domain_management;
    try {
      o.prefix = session_.next_xenstore_prefix();
      xenstore_ = std::make_unique<Dom0XenStore>(ex_, session_.ledger(), o);
    } catch (const ComponentUnavailable& e) {
      unavailable(e.what());
    }
  }
  return *xenstore_;
}

LoopDevices& Dom0World::loop() {
  if (!loop_) {
    try {
      loop_ = std::make_unique<Dom0Loop>(ex_, session_);
    } catch (const ComponentUnavailable& e) {
      unavailable(e.what());
    }
  }
  return *loop_;
}

BlockBackends& Dom0World::block_backends() {
  // The real xen-blkback is a kernel driver: a dom0 run observes it, never drives it. Without it (no Xen,
  // or the module not loaded) there is nothing to observe, and the scenario is skipped.
  if (::access("/sys/bus/xen-backend/drivers/vbd", F_OK) != 0)
    unavailable("xen-blkback: /sys/bus/xen-backend/drivers/vbd is absent (not a Xen dom0, or xen-blkback is not "
                "loaded); blkback is observed on dom0, never simulated");
  unavailable("xen-blkback is loaded, but observing it (reading what it opened for a vbd) is not built yet in the "
              "dom0 backend");
}

}  // namespace xenrace::dom0
