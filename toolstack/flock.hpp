// A lock file held with flock(2), as libxl's per-domain userdata lock (libxl__lock_domain_userdata) and
// the hotplug scripts' claim_lock (tools/hotplug/Linux/locking.sh) are. Taking and dropping it are
// visible operations; the kernel drops it when the holder exits (its fd closes), so a killed holder
// does not wedge the others — and an actor that exits after releasing never drops someone else's hold.
#pragma once
#include <string_view>

#include "runtime/execution.hpp"
#include "world/visible_op.hpp"

namespace xenrace {

class FlockLock {
 public:
  // Trace names: the operations recorded on acquire and release, the lock's object (a path or a
  // domain) and what a blocked actor is reported as waiting for.
  struct Names {
    std::string_view acquire_op;
    std::string_view release_op;
    std::string_view object;
    std::string_view waiting_for;
  };

  FlockLock(Execution& ex, Names names) : ex_(ex), names_(names) {}

  void acquire() {
    // flock(LOCK_EX) blocks inside the call: the wait is part of the operation.
    visible_op(ex_, names_.acquire_op, names_.object, [&] {
      touch();
      while (holder_ != kNoActor) {
        ex_.sched().wait(released_, names_.waiting_for);
        touch();
      }
      const ActorId me = ex_.sched().current();
      holder_ = me;
      ex_.sched().at_exit([this, me] {
        if (holder_ == me) {
          ex_.sched().access(object_key('l', names_.object), AccessMode::write);
          drop();
        }
      });
    });
  }

  // Its part of a state key: who holds it (its waiters are the actors blocked on it).
  void hash_state(StateHasher& h) const { h.add(holder_); }

  void release() {
    visible_op(ex_, names_.release_op, names_.object, [&] {
      touch();
      drop();
    });
  }

 private:
  // The lock is the one shared thing either operation touches (partial-order reduction's footprint).
  void touch() {
    ex_.sched().declare_footprint();
    ex_.sched().access(object_key('l', names_.object), AccessMode::write);
  }

  void drop() {
    holder_ = kNoActor;
    ex_.sched().notify_all(released_);
  }

  Execution& ex_;
  Names names_;
  WaitQueue released_;
  ActorId holder_ = kNoActor;
};

// The hotplug scripts' lock on /var/run/xen-hotplug/block.
inline FlockLock::Names hotplug_block_lock_names() {
  return {"flock", "release_lock", "/var/run/xen-hotplug/block", "hotplug lock"};
}

}  // namespace xenrace
