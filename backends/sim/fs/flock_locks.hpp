// flock(2) in the simulated file system: Linux fs/locks.c flock_lock_inode. A flock belongs to an open file
// (here: one fd; there is no dup or fork), so it is dropped when that fd closes, whichever process closes it.
//  - LOCK_SH is shared with other LOCK_SH holders; LOCK_EX excludes every other open file, also another fd of
//    the same process on the same file.
//  - A conflicting request waits inside the call (the caller is blocked on the inode's queue) and is retried
//    when a holder drops its lock; with LOCK_NB it fails with EWOULDBLOCK instead.
//  - Converting a held lock (SH <-> EX) first drops the old one and wakes the waiters, then asks for the new
//    one: not atomic, as flock(2) says.
// No allocation: the state lives in the inode and the open file.
#pragma once
#include <cstdint>
#include <string_view>

#include "runtime/execution.hpp"
#include "world/result.hpp"

namespace xenrace {

enum class FlockMode : std::uint8_t { none, shared, exclusive };

// An inode's flock holders.
struct FlockState {
  std::uint32_t shared = 0;    // open files holding LOCK_SH
  std::int32_t exclusive = -1;  // the fd id holding LOCK_EX, or -1
  WaitQueue released;           // requests waiting for a holder to go
};

// Takes `mode` for the open file `fd` (whose current mode is `held`, updated here). Blocks the calling actor
// while another open file conflicts, unless `nonblock` (then EWOULDBLOCK); setup code never blocks (EWOULDBLOCK).
// `waiting_for` names the wait in deadlock reports.
Errno flock_acquire(Execution& ex, FlockState& state, std::int32_t fd, FlockMode& held, FlockMode mode, bool nonblock,
                    std::string_view waiting_for);
// Drops the open file's lock, if any, and wakes the waiters.
void flock_release(Execution& ex, FlockState& state, std::int32_t fd, FlockMode& held);

}  // namespace xenrace
