#include "dom0/dom0_world.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "dom0/dom0_loop.hpp"
#include "dom0/dom0_xenstore.hpp"
#include "dom0/xs_handle.hpp"
#include "fakes/blkback/sim_blkback.hpp"

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
      real_.push_back(fmt::format("xenstore: libxenstore against {}", xenstored_socket_in_use()));
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
      real_.push_back("loop devices: the host kernel's (/dev/loop-control, LOOP_CONFIGURE, BLKGETDISKSEQ, sysfs)");
    } catch (const ComponentUnavailable& e) {
      unavailable(e.what());
    }
  }
  return *loop_;
}

BlockBackends& Dom0World::block_backends() {
  if (block_backends_) return *block_backends_;
  // The real xen-blkback is a kernel driver: a dom0 run would observe it, never drive it.
  if (::access("/sys/bus/xen-backend/drivers/vbd", F_OK) == 0)
    unavailable("xen-blkback is loaded, but observing it (reading what it opened for a vbd) is not built yet in the "
                "dom0 backend");
  // No real blkback on this host (not a Xen dom0, or the module is not loaded): the simulated driver stands
  // in, as a driven actor on the real XenStore connection and the run's real loop devices.
  XenStore& xs = xenstore();
  LoopDevices& devices = loop();
  block_backends_ = std::make_unique<SimBlockBackends>(ex_, xs, static_cast<Dom0Loop&>(devices));
  simulated_.push_back(
      "xen-blkback driver: fakes/blkback as a driven actor per vbd backend (this host has no "
      "/sys/bus/xen-backend/drivers/vbd), opening the run's real loop devices by number over real libxenstore");
  return *block_backends_;
}

}  // namespace xenrace::dom0
