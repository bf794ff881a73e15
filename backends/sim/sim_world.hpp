// The simulated World: every component is a fake that runs under the execution's scheduler. Components
// are built on first use, so a scenario pays only for what it touches.
#pragma once
#include <memory>

#include "runtime/execution.hpp"
#include "world/world.hpp"

namespace xenrace {

class SimLoop;
class ProcessLoop;
class SimBlockBackends;
class SimMdevBus;
class SimKernelDevices;
class SimUdevd;
class SimServiceManager;
class SimPciBack;
class SimHypervisor;
class ProcessHypervisor;
class SimKernel;
class SimBoot;
class SimFileSystem;

class SimWorld final : public World {
 public:
  explicit SimWorld(Execution& ex);
  ~SimWorld() override;
  std::string_view backend() const override { return "sim"; }
  XenStore& xenstore() override;
  process::XenStoreService& xenstore_for_processes() override;
  process::LoopService& loop_for_processes() override;
  LoopDevices& loop() override;
  BlockBackends& block_backends() override;
  MdevBus& mdev() override;
  DeviceNodes& device_nodes() override;
  KernelModules& kernel_modules() override;
  Services& services() override;
  PciBack& pci() override;
  Hypervisor& hypervisor() override;
  std::vector<std::string> libxl_environment() override;
  process::HypervisorService& hypervisor_for_processes() override;
  Kernel& kernel() override;  // the variant's models, and the fakes' state for invariants
  Boot& boot() override;      // sim_kernel_devices, sim_udevd and sim_services as one boot
  FileSystem& file_system() override;
  // The fakes themselves, for the simulator's own tests (scenarios go through kernel() and boot()).
  SimLoop& sim_loop();
  SimBlockBackends& sim_block_backends();
  SimMdevBus& sim_mdev();
  SimKernelDevices& sim_kernel_devices();
  SimUdevd& sim_udevd();  // wired to sim_services(): tagged devices plug .device units
  SimServiceManager& sim_services();
  SimPciBack& sim_pci();
  SimFileSystem& sim_file_system();

  Execution& execution() { return ex_; }

 private:
  bool hash_state(StateHasher& h) const;
  Execution& ex_;
  std::unique_ptr<XenStore> xenstore_;
  std::unique_ptr<SimHypervisor> hypervisor_;
  std::unique_ptr<ProcessHypervisor> process_hypervisor_;
  std::unique_ptr<SimPciBack> pci_;  // its xenbus drivers hold XenStore connections: destroyed first
  std::unique_ptr<SimLoop> loop_;
  std::unique_ptr<ProcessLoop> process_loop_;
  std::unique_ptr<SimBlockBackends> block_backends_;  // after what it refers to: destroyed first
  std::unique_ptr<SimMdevBus> mdev_;
  std::unique_ptr<SimKernelDevices> kernel_devices_;
  std::unique_ptr<SimServiceManager> services_;
  std::unique_ptr<SimUdevd> udevd_;  // after what it refers to: destroyed first
  std::unique_ptr<SimKernel> kernel_;
  std::unique_ptr<SimFileSystem> file_system_;
  std::unique_ptr<SimBoot> boot_;
};

}  // namespace xenrace
