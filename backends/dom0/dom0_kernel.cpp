#include "backends/dom0/dom0_kernel.hpp"

#include <fmt/format.h>

#include "backends/dom0/dom0_world.hpp"
#include "backends/dom0/host_kernel.hpp"
#include "backends/sim/blkback/sim_blkback.hpp"

namespace xenrace::dom0 {

std::string Dom0Kernel::choose(LoopKernel model) {
  world_.loop();  // a host without loop devices is skipped for that, first
  const std::string release = world_.kernel_release();
  if (std::string why = host_cannot_run(model, release); !why.empty()) return why;
  // The v6.1 window is inside one LOOP_CLR_FD system call: replay forces the order of the actors' calls,
  // never the kernel's steps within one, so there only free runs can meet it.
  if (model == LoopKernel::v6_1 && !ex_.sched().os_threads())
    return fmt::format(
        "on {} this variant's race is inside one LOOP_CLR_FD system call, which replay cannot split; free mode "
        "(--mode free) runs it",
        release);
  return {};
}

std::string Dom0Kernel::choose(BlkbackDiskseq model) {
  // The simulated driver stands in for the host's (blkback = simulated): it runs the variant's check.
  if (auto* sim = dynamic_cast<SimBlockBackends*>(&world_.block_backends())) {
    sim->set_diskseq_support(model);
    return {};
  }
  if (model == BlkbackDiskseq::unsupported) return {};
  return fmt::format("this variant needs a blkback with {} (never merged upstream); a real xen-blkback has no diskseq "
                     "check",
                     to_string(model));
}

std::string Dom0Kernel::choose(MdevCore model) { return host_cannot_run(model, world_.kernel_release()); }

std::string Dom0Kernel::add_mdev_parent(std::string name, std::vector<std::string>) {
  return fmt::format("dom0 backend has no mdev bus: a real host's mdev parents ({} here) are its own devices, "
                     "registered by their drivers, and creating mdevs on them is not built yet",
                     name);
}

std::string Dom0Kernel::unobservable() const {
  return "on a real host the kernel is seen only through its system calls and sysfs; its internal state (loop "
         "detach history and openers, mdev lists, kernel WARNs) is not observable";
}

}  // namespace xenrace::dom0
