// The simulated World: every component is a fake that runs under the execution's scheduler. Components
// are built on first use, so a scenario pays only for what it touches.
#pragma once
#include <memory>

#include "harness/execution.hpp"
#include "world/world.hpp"

namespace xenrace {

class SimWorld final : public World {
 public:
  explicit SimWorld(Execution& ex);
  ~SimWorld() override;
  std::string_view backend() const override { return "sim"; }
  XenStore& xenstore() override;

  Execution& execution() { return ex_; }

 private:
  Execution& ex_;
  std::unique_ptr<XenStore> xenstore_;
};

}  // namespace xenrace
