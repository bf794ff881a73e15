#include "backends/sim/fs/processes.hpp"

namespace xenrace {

bool Processes::exists(Pid pid) const {
  if (pid == kHarnessPid) return true;
  if (pid < kFirstActorPid || pid >= kFirstActorPid + sched_.actor_count()) return false;
  const auto id = static_cast<ActorId>(pid - kFirstActorPid);
  return !sched_.finished(id) && !sched_.exiting(id);
}

}  // namespace xenrace
