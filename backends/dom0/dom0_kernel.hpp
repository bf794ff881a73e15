// The real host's Kernel (world/kernel.hpp). The host's kernel is what runs, so choose() only says whether it
// matches the variant's model (backends/dom0/host_kernel.hpp, from uname -r) and refuses otherwise; the one
// model dom0 does select is blkback's diskseq check where the simulated xen-blkback stands in for the host's
// (blkback = simulated). The kernel's internal state is not observable here: loop_state() and mdev_state()
// are null, and scenarios report the invariants that need them as unchecked.
#pragma once
#include <string>
#include <vector>

#include "runtime/execution.hpp"
#include "world/kernel.hpp"

namespace xenrace::dom0 {

class Dom0World;

class Dom0Kernel final : public Kernel {
 public:
  Dom0Kernel(Execution& ex, Dom0World& world) : ex_(ex), world_(world) {}

  std::string choose(LoopKernel model) override;
  std::string choose(BlkbackDiskseq model) override;
  std::string choose(MdevCore model) override;
  std::string add_mdev_parent(std::string name, std::vector<std::string> types) override;

  const LoopKernelState* loop_state() override { return nullptr; }
  const MdevKernelState* mdev_state() override { return nullptr; }
  std::string unobservable() const override;

 private:
  Execution& ex_;
  Dom0World& world_;
};

}  // namespace xenrace::dom0
