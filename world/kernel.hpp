// The kernel behind the devices, as a scenario sees it: which model of a kernel component a variant claims
// (`choose`), and what the kernel holds internally, for invariants (`loop_state`, `mdev_state`).
//
// In the simulator the variant's model *is* the kernel: choose() selects it in the fake and always succeeds,
// and the fakes' internal state is observable. On a real host the host's kernel decides: choose() says why
// a variant whose model the host does not run proves nothing there (the variant is then skipped), and the
// kernel's internal state is not observable (null), so an invariant that needs it is reported as unchecked
// (Execution::unchecked), never as passed.
//
//   if (std::string why = world.kernel().choose(LoopKernel::v6_1); !why.empty()) throw ComponentUnavailable(why);
//   if (const LoopKernelState* loop = world.kernel().loop_state()) ex.always("...", [loop] { ... });
//   else ex.unchecked("...", world.kernel().unobservable());
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "world/loop.hpp"
#include "world/world.hpp"

namespace xenrace {

// --- the models a variant can claim ---

// drivers/block/loop.c (backends/sim/loop/sim_loop.hpp says what each one does).
enum class LoopKernel : std::uint8_t {
  before_b90ecc0379eb,  // diskseq set only at allocation; a sole opener's LOOP_CLR_FD detaches at once
  v6_5,                 // diskseq bumped on every media change (configure and detach)
  v6_11,                // LOOP_CLR_FD always defers the detach to the last close (this machine's behaviour)
  v6_1,                 // v6.5's rules, and a sole opener's LOOP_CLR_FD tears down in a step opens can enter
};
const char* to_string(LoopKernel k);

// xen-blkback's diskseq check (Demi Marie Obenour's unmerged series, seed 002; backends/sim/blkback).
enum class BlkbackDiskseq : std::uint8_t {
  unsupported,         // every released kernel: physical-device only
  node,                // v2 2023-05-30: a separate `diskseq` node, read when physical-device fires
  in_physical_device,  // RFC 2023-01-26: physical-device = "diskseq@major:minor"
};
const char* to_string(BlkbackDiskseq d);

// The vfio mdev core (backends/sim/mdev/sim_mdev_bus.hpp): per_parent_lock v4.10 .. v4.17, global_list v4.18 on.
enum class MdevCore : std::uint8_t { per_parent_lock, global_list };
const char* to_string(MdevCore core);

// --- what the kernel holds, for invariants: read without a scheduling point or a trace event ---

// What a kernel-side opener finds behind a loop device number, and what a device is bound to now.
struct LoopMedium {
  int index = -1;
  bool bound = false;
  std::string backing_file;  // empty when unbound
  FileIdentity file;
  std::uint64_t diskseq = 0;
  std::uint32_t flags = 0;  // lo_flags
};

// A detach that actually happened (not a deferred request): what the device was backed by and who caused it.
struct LoopDetach {
  int index = -1;
  std::string backing_file;
  FileIdentity file;
  std::string by;      // the actor whose call or exit detached it
  std::string reason;  // "clr_fd" or "autoclear"
};

class LoopKernelState {
 public:
  virtual ~LoopKernelState() = default;
  virtual std::vector<int> indexes() const = 0;                 // every loop device that exists
  virtual std::optional<LoopMedium> peek(int index) const = 0;  // nullopt: no such device
  virtual int openers(int index) const = 0;                     // disk_openers(): fds and kernel references
  virtual const std::vector<LoopDetach>& detaches() const = 0;  // every detach so far, in order
};

class MdevKernelState {
 public:
  virtual ~MdevKernelState() = default;
  // Parents that have a device directory /sys/devices/.../PARENT/UUID now.
  virtual std::vector<std::string> parents_with(std::string_view uuid) const = 0;
  virtual bool has_remove_attribute(std::string_view uuid) const = 0;  // /sys/bus/mdev/devices/UUID/remove exists
  virtual bool creating(std::string_view uuid) const = 0;  // a create of uuid has started and not returned
  virtual const std::vector<std::string>& kernel_warnings() const = 0;  // WARNs so far
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // "" when this backend runs the model (the simulator: it is now the fake's model); else why a variant
  // that claims it proves nothing here, to skip it with (throw ComponentUnavailable(why)).
  [[nodiscard]] virtual std::string choose(LoopKernel model) = 0;
  [[nodiscard]] virtual std::string choose(BlkbackDiskseq model) = 0;
  [[nodiscard]] virtual std::string choose(MdevCore model) = 0;
  // Setup: a parent device registered with mdev_register_parent, offering these types ("nvidia-63"...).
  // "" when added; else why this backend cannot.
  [[nodiscard]] virtual std::string add_mdev_parent(std::string name, std::vector<std::string> types) = 0;

  // The kernel's internal state; null when this backend cannot observe it (unobservable() says why).
  virtual const LoopKernelState* loop_state() = 0;
  virtual const MdevKernelState* mdev_state() = 0;
  virtual std::string unobservable() const = 0;
};

// choose(), or skip the variant with the reason.
template <class Model>
void require_model(Kernel& kernel, Model model) {
  if (std::string why = kernel.choose(model); !why.empty()) throw ComponentUnavailable(why);
}

}  // namespace xenrace
