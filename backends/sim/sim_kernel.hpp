// The simulator's Kernel (world/kernel.hpp): the variant's model is the kernel, so choose() selects it in
// the fake and always succeeds, and the fakes' internal state is what invariants observe.
#pragma once
#include <string>
#include <vector>

#include "world/kernel.hpp"

namespace xenrace {

class SimWorld;

class SimKernel final : public Kernel {
 public:
  explicit SimKernel(SimWorld& world) : world_(world) {}

  std::string choose(LoopKernel model) override;
  std::string choose(BlkbackDiskseq model) override;
  std::string choose(MdevCore model) override;
  std::string add_mdev_parent(std::string name, std::vector<std::string> types) override;

  const LoopKernelState* loop_state() override;
  const MdevKernelState* mdev_state() override;
  std::string unobservable() const override { return {}; }

 private:
  SimWorld& world_;
};

}  // namespace xenrace
