// The World of a real host: each component is the real thing, reached the way a toolstack reaches it
// (libxenstore; loop ioctls and sysfs). Components are built on first use; one the host lacks throws
// ComponentUnavailable with the reason, and the run reports the scenario as skipped, never as passed.
// xen-blkback: by default (blkback = simulated) the simulated driver (backends/sim/blkback) serves the run's vbd
// backends: one driven actor per vbd backend, replayed step for step like any other actor, on the real
// libxenstore connection and the run's real loop devices. That holds on a Xen dom0 too: the host's
// xen-blkback watches /local/domain/0/backend and never sees the run's subtree. The report lists it under
// simulated_components(), so nothing simulated is reported as real. blkback = real observes the host's
// driver instead.
// xen-pciback: by default (pciback = simulated) the simulated one (backends/sim/pci) over simulated host PCI devices,
// so the host's real PCI devices are never touched; its xenbus driver and the guest's pcifront are driven
// actors on real libxenstore. pciback = real swaps in the host's pciback sysfs files (backends/dom0/real_pciback) for
// the devices the run was allowed, under the same simulated xenbus half (a real one needs a real guest).
// The pcifront's connection is a privileged dom0 one that resolves relative paths as guest N's would
// (XenStore::connect_simulated_guest): there is no guest, and so no guest permission checks.
// All of it is confined by the session: the execution's own XenStore subtree, the run's scratch directory,
// and only devices and files recorded in the ledger before they were created.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/dom0/dom0_session.hpp"
#include "runtime/execution.hpp"
#include "world/world.hpp"

namespace xenrace::dom0 {

class Dom0XenStore;
class Dom0Loop;
class RealPciBack;
class Dom0Kernel;

class Dom0World final : public World {
 public:
  Dom0World(Execution& ex, Dom0Session& session);
  ~Dom0World() override;
  std::string_view backend() const override { return "dom0"; }
  XenStore& xenstore() override;
  LoopDevices& loop() override;
  BlockBackends& block_backends() override;
  // The simulated xen-pciback (backends/sim/pci) with simulated host devices, or (pciback = real) over the host's
  // pciback sysfs; its xenbus driver and the guest's pcifront run as driven actors on real libxenstore
  // (listed under simulated_components()).
  PciBack& pci() override;
  // block_script = real: the host's block script (backends/dom0/real_block_script), over the real xen-blkback. Null
  // with the modelled script. Unavailable (the run is skipped) without the script or xen-blkback, and in
  // replay mode: the script is one process whose steps replay cannot order.
  HostBlockScript* host_block_script() override;
  // Not built for a real host yet: each says so, through unavailable(), so that an actor that reaches one
  // makes the run skipped rather than failed.
  MdevBus& mdev() override;
  DeviceNodes& device_nodes() override;
  KernelModules& kernel_modules() override;
  Services& services() override;
  // Refused: the dom0 backend races only on the host's Xen components; lock and file races run in the simulator.
  FileSystem& file_system() override;
  std::string kernel_release() const override;  // uname(2)
  // Whether the host's kernel matches a variant's model (backends/dom0/host_kernel), and no internal state.
  Kernel& kernel() override;

  // Why a component was unavailable (empty when none was): the run's skip reason. Kept here as well as
  // thrown, because an actor that hits it ends as an ordinary actor failure.
  const std::string& unavailable() const { return unavailable_; }
  // Components the host runs by itself and the run only observes (kernel drivers): for the report.
  const std::vector<std::string>& observed_components() const { return observed_; }
  // The host's own components the run used (driven through their real interfaces), and the components
  // that ran as the simulator's model on top of them: for the report.
  std::vector<std::string> real_components() const;  // with the PCI devices mapped so far
  const std::vector<std::string>& simulated_components() const { return simulated_; }

 private:
  [[noreturn]] void unavailable(const std::string& why);
  // The same, for a component that refuses one request (an error result) without ending the actor.
  void note_unavailable(const std::string& why);

  Execution& ex_;
  Dom0Session& session_;
  std::unique_ptr<Dom0XenStore> xenstore_;
  std::unique_ptr<Dom0Kernel> kernel_;
  std::unique_ptr<Dom0Loop> loop_;
  std::unique_ptr<BlockBackends> block_backends_;  // after what it uses: destroyed first
  std::unique_ptr<HostBlockScript> block_script_;  // after the backends and loop devices it uses
  std::unique_ptr<RealPciBack> real_pci_;          // before pci_, which forwards to it
  std::unique_ptr<PciBack> pci_;                   // likewise: its drivers hold XenStore connections
  std::string unavailable_;
  std::vector<std::string> observed_;
  std::vector<std::string> real_;
  std::vector<std::string> simulated_;
};

}  // namespace xenrace::dom0
