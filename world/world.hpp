// The World is everything a scenario's actors can touch, as interfaces: one implementation per backend
// (backends/sim/sim_world: simulated components under the scheduler; backends/dom0/: the real host). A scenario is
// written once against these and runs unchanged on both.
//
// A backend that lacks a component throws ComponentUnavailable from its accessor, naming what is
// missing; the scenario is then reported as skipped on that backend, never as passed.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "world/sysfs.hpp"
#include "world/xenstore.hpp"

namespace xenrace {
namespace process {
class XenStoreService;
class HypervisorService;
class LoopService;
}

class XenStore;
class Hypervisor;
class LoopDevices;
class BlockBackends;
class MdevBus;
class DeviceNodes;
class KernelModules;
class Services;
class PciBack;
class HostBlockScript;
class Kernel;
class Boot;
class FileSystem;
class Sysfs;

struct ComponentUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class World {
 public:
  virtual ~World() = default;
  virtual std::string_view backend() const = 0;  // "sim" or "dom0"
  virtual XenStore& xenstore() = 0;
  // The same XenStore for process actors' programs (libxenstore over XENSTORED_PATH: spawn_process's
  // ProcessOptions::xenstore). The simulator serves it; a host has its own xenstored, not scheduled yet.
  virtual process::XenStoreService& xenstore_for_processes() {
    throw ComponentUnavailable(std::string(backend()) + " backend does not schedule process actors' XenStore requests");
  }
  // Domain lifecycle (create, shutdown, destroy); the real host's is not driven by scenarios.
  virtual Hypervisor& hypervisor() {
    throw ComponentUnavailable(std::string(backend()) + " backend cannot create or destroy domains");
  }
  // What a real libxl, run as a process actor, needs in its environment to reach this world's hypervisor
  // ("NAME=VALUE" entries). The simulator's is the fake libxenctrl put first by LD_LIBRARY_PATH
  // (backends/sim/hypervisor/fake_xenctrl), whose calls go to hypervisor_for_processes(). Throws
  // ComponentUnavailable, saying why, where there is none.
  virtual std::vector<std::string> libxl_environment() {
    throw ComponentUnavailable(std::string(backend()) + " backend does not run real libxl under the scheduler");
  }
  // The same domains for process actors' programs (the fake libxenctrl's calls: spawn_process's
  // ProcessOptions::hypervisor), each call a step. The simulator serves it; a host's hypervisor is its own.
  virtual process::HypervisorService& hypervisor_for_processes() {
    throw ComponentUnavailable(std::string(backend()) + " backend does not schedule process actors' hypervisor calls");
  }
  // Device components (loop, blkback, mdev, pciback, udev/services) are added beside these.
  virtual LoopDevices& loop() { throw ComponentUnavailable(std::string(backend()) + " backend has no loop devices"); }
  // The same loop driver for process actors' programs (/dev/loopN and LOOP_* ioctls: spawn_process's
  // ProcessOptions::loop). The simulator serves it; a host's loop devices are its own, not scheduled.
  virtual process::LoopService& loop_for_processes() {
    throw ComponentUnavailable(std::string(backend()) + " backend does not schedule process actors' loop devices");
  }
  virtual BlockBackends& block_backends() {
    throw ComponentUnavailable(std::string(backend()) + " backend has no xen-blkback");
  }
  virtual MdevBus& mdev() { throw ComponentUnavailable(std::string(backend()) + " backend has no mdev bus"); }
  virtual DeviceNodes& device_nodes() { throw ComponentUnavailable(std::string(backend()) + " backend has no /dev nodes"); }
  virtual KernelModules& kernel_modules() {
    throw ComponentUnavailable(std::string(backend()) + " backend has no kernel modules");
  }
  virtual Services& services() { throw ComponentUnavailable(std::string(backend()) + " backend has no service manager"); }
  virtual PciBack& pci() { throw ComponentUnavailable(std::string(backend()) + " backend has no xen-pciback"); }
  // The sysfs files of the components above, by path (world/sysfs.hpp): each access is the owning
  // component's visible operation, so it exists wherever that component does.
  Sysfs sysfs() { return Sysfs(*this); }
  // The host's block hotplug script, when the run is to use it instead of the scenario's model of its steps;
  // null (the default, and always in the simulator) means "model it". Throws ComponentUnavailable when the
  // run asked for it and the host cannot run it.
  virtual HostBlockScript* host_block_script() { return nullptr; }
  // The kernel behind the devices: the model a variant claims (choose) and its internal state for invariants
  // (world/kernel.hpp).
  virtual Kernel& kernel() { throw ComponentUnavailable(std::string(backend()) + " backend has no kernel model"); }
  // A whole modelled dom0 boot: kernel devices, udevd, systemd (world/boot.hpp). The simulator's only.
  virtual Boot& boot() {
    throw ComponentUnavailable(std::string(backend()) +
                               " backend cannot boot a dom0: a real host has booted already; the boot is simulated only");
  }
  // Files, directories, their locks (flock, fcntl) and process identity, as hotplug scripts' and libxl's locks
  // use them (world/file_system.hpp).
  virtual FileSystem& file_system() {
    throw ComponentUnavailable(std::string(backend()) + " backend has no file system component");
  }
  // The release (uname -r) of the real kernel behind the devices, which decides which kernel models a
  // variant may claim there; empty in the simulator, where the variant's model is the kernel.
  virtual std::string kernel_release() const { return {}; }
};

}  // namespace xenrace
