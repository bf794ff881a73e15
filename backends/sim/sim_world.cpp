#include "backends/sim/sim_world.hpp"

#include "backends/sim/blkback/sim_blkback.hpp"
#include "backends/sim/fs/sim_file_system.hpp"
#include "backends/sim/hypervisor/process_hypervisor.hpp"
#include "backends/sim/hypervisor/sim_hypervisor.hpp"
#include "backends/sim/loop/process_loop.hpp"
#include "backends/sim/loop/sim_loop.hpp"
#include "backends/sim/mdev/sim_mdev_bus.hpp"
#include "backends/sim/pci/sim_pciback.hpp"
#include "backends/sim/sim_kernel.hpp"
#include "backends/sim/udev/sim_boot.hpp"
#include "backends/sim/udev/sim_kernel_devices.hpp"
#include "backends/sim/udev/sim_service_manager.hpp"
#include "backends/sim/udev/sim_udevd.hpp"
#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "faults/sim_faults.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

SimWorld::SimWorld(Execution& ex) : ex_(ex) {
  use_sim_faults(ex_);
  ex_.world_state([this](StateHasher& h) { return hash_state(h); });
}
SimWorld::~SimWorld() = default;

// The world's part of a state key: the components made so far, each by value. Those that cannot describe
// their state yet make the key unknown. The kernel keeps nothing of its own (its models live in the fakes).
bool SimWorld::hash_state(StateHasher& h) const {
  if (hypervisor_ || process_hypervisor_ || process_loop_ || mdev_ || kernel_devices_ || services_ || udevd_ ||
      file_system_ || boot_)
    return false;
  h.add(xenstore_ != nullptr);
  if (xenstore_ && !static_cast<const SimXenStore&>(*xenstore_).model().hash_state(h)) return false;
  h.add(loop_ != nullptr);
  if (loop_) loop_->hash_state(h);
  h.add(block_backends_ != nullptr);
  if (block_backends_) block_backends_->hash_state(h);
  h.add(pci_ != nullptr);
  return !pci_ || pci_->hash_state(h);
}

XenStore& SimWorld::xenstore() {
  if (!xenstore_) xenstore_ = std::make_unique<SimXenStore>(ex_);
  return *xenstore_;
}

process::XenStoreService& SimWorld::xenstore_for_processes() {
  return static_cast<SimXenStore&>(xenstore()).for_processes();
}

Hypervisor& SimWorld::hypervisor() {
  if (!hypervisor_) hypervisor_ = std::make_unique<SimHypervisor>(ex_, static_cast<SimXenStore&>(xenstore()).model());
  return *hypervisor_;
}

std::vector<std::string> SimWorld::libxl_environment() { return fake_xenctrl_environment(); }

process::HypervisorService& SimWorld::hypervisor_for_processes() {
  if (!process_hypervisor_)
    process_hypervisor_ = std::make_unique<ProcessHypervisor>(static_cast<SimXenStore&>(xenstore()).model(),
                                                              static_cast<SimHypervisor&>(hypervisor()));
  return *process_hypervisor_;
}

Kernel& SimWorld::kernel() {
  if (!kernel_) kernel_ = std::make_unique<SimKernel>(*this);
  return *kernel_;
}

Boot& SimWorld::boot() {
  if (!boot_) boot_ = std::make_unique<SimBoot>(*this);
  return *boot_;
}

FileSystem& SimWorld::file_system() { return sim_file_system(); }
SimFileSystem& SimWorld::sim_file_system() {
  if (!file_system_) file_system_ = std::make_unique<SimFileSystem>(ex_);
  return *file_system_;
}

LoopDevices& SimWorld::loop() { return sim_loop(); }
process::LoopService& SimWorld::loop_for_processes() {
  if (!process_loop_) process_loop_ = std::make_unique<ProcessLoop>(sim_loop());
  return *process_loop_;
}
PciBack& SimWorld::pci() { return sim_pci(); }

SimPciBack& SimWorld::sim_pci() {
  if (!pci_) pci_ = std::make_unique<SimPciBack>(ex_, *this);
  return *pci_;
}
BlockBackends& SimWorld::block_backends() { return sim_block_backends(); }

SimLoop& SimWorld::sim_loop() {
  if (!loop_) loop_ = std::make_unique<SimLoop>(ex_);
  return *loop_;
}

SimBlockBackends& SimWorld::sim_block_backends() {
  if (!block_backends_) block_backends_ = std::make_unique<SimBlockBackends>(ex_, xenstore(), sim_loop());
  return *block_backends_;
}

MdevBus& SimWorld::mdev() { return sim_mdev(); }
DeviceNodes& SimWorld::device_nodes() { return sim_kernel_devices(); }
KernelModules& SimWorld::kernel_modules() { return sim_kernel_devices(); }
Services& SimWorld::services() { return sim_services(); }

SimMdevBus& SimWorld::sim_mdev() {
  if (!mdev_) mdev_ = std::make_unique<SimMdevBus>(ex_);
  return *mdev_;
}

SimKernelDevices& SimWorld::sim_kernel_devices() {
  if (!kernel_devices_) kernel_devices_ = std::make_unique<SimKernelDevices>(ex_);
  return *kernel_devices_;
}

SimServiceManager& SimWorld::sim_services() {
  if (!services_) services_ = std::make_unique<SimServiceManager>(ex_);
  return *services_;
}

SimUdevd& SimWorld::sim_udevd() {
  if (!udevd_)
    udevd_ = std::make_unique<SimUdevd>(ex_, sim_kernel_devices(),
                                        [this](std::string_view unit) { sim_services().device_plugged(unit); });
  return *udevd_;
}

}  // namespace xenrace
