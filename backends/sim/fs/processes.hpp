// Process identity in the simulated file system: every actor is a process with a pid assigned by spawn order
// (actor id N is pid 100 + N; setup code runs as pid 1), and /proc/<pid> exists until the actor has exited or
// was killed. An exiting process's /proc entry goes at once: there is no zombie state to observe, as the
// parent of a hotplug script (udevd, libxl) reaps it immediately.
#pragma once
#include <bitset>

#include "backends/sim/fs/record_locks.hpp"
#include "runtime/scheduler.hpp"
#include "world/file_system.hpp"

namespace xenrace {

class Processes {
 public:
  static constexpr Pid kHarnessPid = 1;
  static constexpr Pid kFirstActorPid = 100;

  explicit Processes(Scheduler& sched) : sched_(sched) {}

  // The calling actor's slot (its id) and pid; setup code's outside any actor.
  int current_slot() const { return sched_.in_actor() ? sched_.current() : kHarnessSlot; }
  Pid current_pid() const { return pid_of(current_slot()); }
  static Pid pid_of(int slot) { return slot == kHarnessSlot ? kHarnessPid : kFirstActorPid + slot; }
  bool exists(Pid pid) const;

  // True once per actor, on its first call: register its exit handler now.
  bool take_exit_hook() {
    const int slot = current_slot();
    if (slot == kHarnessSlot || hooked_.test(static_cast<std::size_t>(slot))) return false;
    hooked_.set(static_cast<std::size_t>(slot));
    return true;
  }

 private:
  Scheduler& sched_;
  std::bitset<kProcessSlots> hooked_;
};

}  // namespace xenrace
