#include "backends/sim/sim_kernel.hpp"

#include "backends/sim/blkback/sim_blkback.hpp"
#include "backends/sim/loop/sim_loop.hpp"
#include "backends/sim/mdev/sim_mdev_bus.hpp"
#include "backends/sim/sim_world.hpp"

namespace xenrace {

std::string SimKernel::choose(LoopKernel model) {
  world_.sim_loop().set_kernel(model);
  return {};
}

std::string SimKernel::choose(BlkbackDiskseq model) {
  world_.sim_block_backends().set_diskseq_support(model);
  return {};
}

std::string SimKernel::choose(MdevCore model) {
  world_.sim_mdev().set_core(model);
  return {};
}

std::string SimKernel::add_mdev_parent(std::string name, std::vector<std::string> types) {
  world_.sim_mdev().add_parent(std::move(name), std::move(types));
  return {};
}

const LoopKernelState* SimKernel::loop_state() { return &world_.sim_loop(); }
const MdevKernelState* SimKernel::mdev_state() { return &world_.sim_mdev(); }

}  // namespace xenrace
