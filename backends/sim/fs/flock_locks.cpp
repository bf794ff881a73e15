#include "backends/sim/fs/flock_locks.hpp"

namespace xenrace {
namespace {
bool conflicts(const FlockState& s, std::int32_t fd, FlockMode mode) {
  if (s.exclusive >= 0 && s.exclusive != fd) return true;
  return mode == FlockMode::exclusive && s.shared > 0;
}
}  // namespace

void flock_release(Execution& ex, FlockState& state, std::int32_t fd, FlockMode& held) {
  if (held == FlockMode::none) return;
  if (held == FlockMode::shared) --state.shared;
  if (held == FlockMode::exclusive && state.exclusive == fd) state.exclusive = -1;
  held = FlockMode::none;
  ex.sched().notify_all(state.released);
}

Errno flock_acquire(Execution& ex, FlockState& state, std::int32_t fd, FlockMode& held, FlockMode mode, bool nonblock,
                    std::string_view waiting_for) {
  if (held == mode) return 0;
  flock_release(ex, state, fd, held);  // a conversion drops the old lock first
  while (conflicts(state, fd, mode)) {
    if (nonblock || !ex.sched().in_actor()) return EWOULDBLOCK;
    ex.sched().wait(state.released, waiting_for);
  }
  if (mode == FlockMode::shared) ++state.shared;
  else state.exclusive = fd;
  held = mode;
  return 0;
}

}  // namespace xenrace
