#include "fakes/sim_world.hpp"

#include "fakes/xenstore/sim_xenstore.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

SimWorld::SimWorld(Execution& ex) : ex_(ex) {}
SimWorld::~SimWorld() = default;

XenStore& SimWorld::xenstore() {
  if (!xenstore_) xenstore_ = std::make_unique<SimXenStore>(ex_);
  return *xenstore_;
}

}  // namespace xenrace
