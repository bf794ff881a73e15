// What the process actors of one execution share about flock: the queue their parked lock requests wait on.
// A held flock(2) is emulated in the supervisor (process_actor.cpp): it takes the lock on the program's own
// open file (pidfd_getfd, then flock with LOCK_NB), and a request that would block is parked here, never in
// the kernel. A lock is released by LOCK_UN, by the last close of the open file, or by the holder's exit; the
// supervisor sees only the first and the last, so every step in which a process actor let its tree run (and
// every exit) counts as a possible release: the parked requests are retried then, each as a visible operation
// of its own actor. A retry that fails again parks again and wakes nobody, so two waiters never keep each
// other busy.
#pragma once
#include <cstdint>

#include "runtime/execution.hpp"

namespace xenrace::process {

struct ProcessLocks {
  explicit ProcessLocks(Execution& ex) : sched(&ex.sched()) {}
  Scheduler* sched;
  WaitQueue parked;              // actors with a lock request parked
  std::uint64_t generation = 0;  // counts possible releases; a parked request retries once it moved

  void may_have_released() {
    ++generation;
    sched->notify_all(parked);
  }
};

}  // namespace xenrace::process
