#include "fakes/sim_world.hpp"

#include "world/xenstore.hpp"

namespace xenrace {

SimWorld::SimWorld(Execution& ex) : ex_(ex) {}
SimWorld::~SimWorld() = default;

XenStore& SimWorld::xenstore() {
  if (!xenstore_) throw ComponentUnavailable("the simulated XenStore is not built yet");
  return *xenstore_;
}

}  // namespace xenrace
