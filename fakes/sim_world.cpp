#include "fakes/sim_world.hpp"

#include "fakes/blkback/sim_blkback.hpp"
#include "fakes/loop/sim_loop.hpp"
#include "fakes/xenstore/sim_xenstore.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

SimWorld::SimWorld(Execution& ex) : ex_(ex) {}
SimWorld::~SimWorld() = default;

XenStore& SimWorld::xenstore() {
  if (!xenstore_) xenstore_ = std::make_unique<SimXenStore>(ex_);
  return *xenstore_;
}

LoopDevices& SimWorld::loop() { return sim_loop(); }
BlockBackends& SimWorld::block_backends() { return sim_block_backends(); }

SimLoop& SimWorld::sim_loop() {
  if (!loop_) loop_ = std::make_unique<SimLoop>(ex_);
  return *loop_;
}

SimBlockBackends& SimWorld::sim_block_backends() {
  if (!block_backends_) block_backends_ = std::make_unique<SimBlockBackends>(ex_, xenstore(), sim_loop());
  return *block_backends_;
}

}  // namespace xenrace
