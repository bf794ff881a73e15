#include "backends/dom0/dom0_world.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "backends/dom0/dom0_config.hpp"
#include "backends/dom0/dom0_kernel.hpp"
#include "backends/dom0/dom0_loop.hpp"
#include "backends/dom0/dom0_xenstore.hpp"
#include "backends/dom0/pci_sysfs.hpp"
#include "backends/dom0/real_blkback.hpp"
#include "backends/dom0/real_block_script.hpp"
#include "backends/dom0/real_pciback.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "backends/sim/blkback/sim_blkback.hpp"
#include "backends/sim/pci/sim_pciback.hpp"
#include "faults/real_faults.hpp"

namespace xenrace::dom0 {

Dom0World::Dom0World(Execution& ex, Dom0Session& session) : ex_(ex), session_(session) {
  // The failure points the components declare at their visible operations fire through libfiu here.
  use_real_faults(ex_);
}
Dom0World::~Dom0World() = default;

void Dom0World::unavailable(const std::string& why) {
  if (unavailable_.empty()) unavailable_ = why;
  throw ComponentUnavailable(why);
}

void Dom0World::note_unavailable(const std::string& why) {
  if (unavailable_.empty()) unavailable_ = why;
}

std::vector<std::string> Dom0World::real_components() const {
  std::vector<std::string> out = real_;
  if (real_pci_ && !real_pci_->map().pairs().empty()) {
    std::vector<std::string> pairs;
    for (const auto& [scenario, host] : real_pci_->map().pairs()) pairs.push_back(fmt::format("{} is host {}", scenario, host));
    out.push_back(fmt::format("pci devices: {}", fmt::join(pairs, ", ")));
  }
  return out;
}

XenStore& Dom0World::xenstore() {
  if (!xenstore_) {
    Dom0XenStoreOptions o;
    o.socket = session_.config().xenstored_path;
    o.allow_domain_management = session_.config().allow_domain_management;
    // Replay: deliver watch events as the simulator's store does (see Dom0XenStoreOptions).
    o.coalesce_undelivered_events = !ex_.options().os_threads;
    try {
      o.prefix = session_.next_xenstore_prefix();
      o.covered_by_run_entry = true;  // the session ledgered the run's node
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
  const bool host_has_blkback = ::access(kHostBlkbackDriver, F_OK) == 0;
  if (session_.config().blkback == Dom0Config::Blkback::real) {
    if (!host_has_blkback)
      unavailable("--blkback real: this host has no xen-blkback (/sys/bus/xen-backend/drivers/vbd is missing: not a "
                  "Xen dom0, or the module is not loaded)");
    // The host's driver, observed: the run's vbd backends move to real backend paths where it sees them.
    xenstore();
    LoopDevices& devices = loop();
    block_backends_ =
        std::make_unique<RealBlockBackends>(ex_, session_, *xenstore_, static_cast<Dom0Loop&>(devices), observed_);
    return *block_backends_;
  }
  // The simulated driver, as a driven actor on the real XenStore connection and the run's real loop devices.
  // A real xen-blkback on this host watches /local/domain/0/backend; the run's vbd nodes are in its own
  // subtree, so the real driver never sees them and the two cannot both act on one backend.
  XenStore& xs = xenstore();
  LoopDevices& devices = loop();
  block_backends_ = std::make_unique<SimBlockBackends>(ex_, xs, static_cast<Dom0Loop&>(devices));
  simulated_.push_back(fmt::format(
      "xen-blkback driver: backends/sim/blkback as a driven actor per vbd backend ({}), opening the run's real loop "
      "devices by number over real libxenstore",
      host_has_blkback ? "the host's own xen-blkback is loaded but never sees the run's subtree"
                       : "this host has no /sys/bus/xen-backend/drivers/vbd"));
  if (host_has_blkback)
    observed_.push_back("xen-blkback (loaded): not involved; it watches /local/domain/0/backend, the run writes its "
                        "vbd nodes below its own subtree (--blkback real to use it)");
  return *block_backends_;
}

HostBlockScript* Dom0World::host_block_script() {
  const Dom0Config& c = session_.config();
  if (c.block_script != Dom0Config::BlockScript::real) return nullptr;
  if (block_script_) return block_script_.get();
  if (::access(c.block_script_path.c_str(), X_OK) != 0)
    unavailable(fmt::format("--block-script real: this host has no block hotplug script {} ({}): not a Xen dom0 with "
                            "Xen's hotplug scripts installed",
                            c.block_script_path, std::strerror(errno)));
  auto* real = dynamic_cast<RealBlockBackends*>(&block_backends());  // unavailable without xen-blkback
  if (!real) unavailable("--block-script real needs the host's xen-blkback (--blkback real)");
  if (!ex_.options().os_threads)
    unavailable(fmt::format(
        "--block-script real: the host's {} is one process (losetup -f, losetup DEV FILE, xenstore-write ...) run as "
        "one operation, which replay cannot split into the recorded steps; free mode (--mode free) runs it",
        c.block_script_path));
  block_script_ = std::make_unique<RealBlockScript>(ex_, session_, *real, *loop_);
  real_.push_back(fmt::format(
      "block hotplug script: the host's {} add, run as libxl runs it (XENBUS_TYPE=vbd, XENBUS_PATH=backend/vbd/<domid>/"
      "<devid> of the real backend, XENBUS_BASE_PATH=backend; params is the run's file; the loop device it binds is "
      "the run's)",
      c.block_script_path));
  return block_script_.get();
}

MdevBus& Dom0World::mdev() {
  unavailable("dom0 backend has no mdev bus: creating and removing mdevs on a real parent is not built yet");
}
DeviceNodes& Dom0World::device_nodes() {
  unavailable("dom0 backend has no /dev nodes component: a real host's udev is not driven by xenrace");
}
Kernel& Dom0World::kernel() {
  if (!kernel_) kernel_ = std::make_unique<Dom0Kernel>(ex_, *this);
  return *kernel_;
}

std::string Dom0World::kernel_release() const {
  struct utsname u;
  return ::uname(&u) == 0 ? std::string(u.release) : std::string();
}

KernelModules& Dom0World::kernel_modules() {
  unavailable("dom0 backend never loads or unloads kernel modules");
}
Services& Dom0World::services() { unavailable("dom0 backend does not drive the host's service manager"); }
FileSystem& Dom0World::file_system() {
  unavailable("dom0 backend has no file-system component: it races only on the host's Xen components (xenstore, loop "
              "devices, blkback, pciback); file-system and lock races (locking.sh, libxl's userdata lock) run in the "
              "simulator");
}
PciBack& Dom0World::pci() {
  if (pci_) return *pci_;
  const Dom0Config& c = session_.config();
  const std::string pciback = pci_driver_dir(c.sysfs_root, kPcibackDriver);
  const bool host_has_pciback = ::access(pciback.c_str(), F_OK) == 0;
  if (c.pciback == Dom0Config::Pciback::real) {
    if (!host_has_pciback)
      unavailable(fmt::format("--pciback real: this host has no xen-pciback ({} is missing: not a Xen dom0, or the "
                              "module is not loaded)",
                              pciback));
    for (const auto& bdf : c.allow_pci)
      if (::access(pci_device_dir(c.sysfs_root, bdf).c_str(), F_OK) != 0)
        unavailable(fmt::format("--pciback real: the allowed PCI device {} does not exist on this host ({} is missing)",
                                bdf, pci_device_dir(c.sysfs_root, bdf)));
    xenstore();  // no xenstored: the run is skipped here, before a device is touched
    real_pci_ = std::make_unique<RealPciBack>(ex_, session_.ledger(), c.sysfs_root, c.allow_pci,
                                              [this](const std::string& why) { note_unavailable(why); });
    pci_ = std::make_unique<SimPciBack>(ex_, *this, *real_pci_);
    real_.push_back(fmt::format(
        "xen-pciback sysfs: the host's {} (new_slot, remove_slot, slots, bind, unbind) and the driver links of the "
        "allowed devices ({}), each put back as it was at the end of the execution",
        pciback, fmt::join(c.allow_pci, ", ")));
    simulated_.push_back(
        "xen-pciback xenbus driver: backends/sim/pci as a driven actor over real libxenstore; it asks the host's sysfs "
        "whether a device is bound to pciback before it exports it (a real one needs a real guest)");
  } else {
    // The simulated pciback with its simulated host devices: the host's real PCI devices and its pci_stub
    // sysfs are never touched. A real xen-pciback watches /local/domain/0/backend/pci and never sees the
    // run's subtree; there is no guest.
    xenstore();  // no xenstored: the run is skipped here, before any driver exists
    pci_ = std::make_unique<SimPciBack>(ex_, *this);
    simulated_.push_back(fmt::format(
        "xen-pciback: backends/sim/pci (pci_stub's sysfs files over simulated host PCI devices, and its xenbus driver as a "
        "driven actor) over real libxenstore; the host's PCI devices are never touched ({})",
        host_has_pciback ? "the host's own xen-pciback is loaded but never sees the run's subtree"
                         : "this host has no /sys/bus/pci/drivers/pciback"));
  }
  simulated_.push_back(
      "xen-pcifront of the guest: backends/sim/pci as a driven actor, there is no guest; its connection is a dom0 socket "
      "whose relative paths resolve below the guest's /local/domain/N, so the guest's XenStore permissions are not "
      "checked (requests are dom0's, privileged)");
  if (host_has_pciback)
    observed_.push_back("xen-pciback's xenbus driver (loaded): not involved; it watches /local/domain/0/backend/pci, "
                        "the run writes its pci backend nodes below its own subtree");
  return *pci_;
}

}  // namespace xenrace::dom0
