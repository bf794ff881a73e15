// The simulated World: every component is a fake that runs under the execution's scheduler. Components
// are built on first use, so a scenario pays only for what it touches.
#pragma once
#include <memory>

#include "harness/execution.hpp"
#include "world/world.hpp"

namespace xenrace {

class SimLoop;
class SimBlockBackends;

class SimWorld final : public World {
 public:
  explicit SimWorld(Execution& ex);
  ~SimWorld() override;
  std::string_view backend() const override { return "sim"; }
  XenStore& xenstore() override;
  LoopDevices& loop() override;
  BlockBackends& block_backends() override;
  // The fakes themselves, to select kernel variants and observe them in invariants.
  SimLoop& sim_loop();
  SimBlockBackends& sim_block_backends();

  Execution& execution() { return ex_; }

 private:
  Execution& ex_;
  std::unique_ptr<XenStore> xenstore_;
  std::unique_ptr<SimLoop> loop_;
  std::unique_ptr<SimBlockBackends> block_backends_;  // after what it refers to: destroyed first
};

}  // namespace xenrace
