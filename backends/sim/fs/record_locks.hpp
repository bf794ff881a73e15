// fcntl(2) record locks over a whole file (F_SETLK / F_SETLKW with l_start 0, l_len 0), in the simulated file
// system: Linux fs/locks.c posix_lock_inode. A record lock belongs to a process and a file:
//  - F_RDLCK is shared between processes, F_WRLCK excludes every other process; a process's own locks never
//    conflict with each other, and a new request replaces its old lock on the file at once (atomically).
//  - F_SETLK fails with EAGAIN on a conflict; F_SETLKW waits inside the call, and fails with EDEADLK when the
//    holder it would wait for is itself (through a chain of waits) waiting for the caller.
//  - close() of ANY fd the process has on the file drops the process's locks on it (POSIX), and so does exit.
// Processes are slots: an actor's id, or kHarnessSlot for setup code. No allocation: a bitset per inode.
#pragma once
#include <bitset>
#include <cstdint>
#include <string_view>

#include "runtime/execution.hpp"
#include "world/file_system.hpp"
#include "world/result.hpp"

namespace xenrace {

inline constexpr int kHarnessSlot = kMaxActors;
inline constexpr int kProcessSlots = kMaxActors + 1;

struct RecordLockState {
  std::bitset<kProcessSlots> readers;  // processes holding F_RDLCK
  int writer = -1;                     // the process holding F_WRLCK, or -1
  WaitQueue changed;                   // F_SETLKW requests waiting for a holder to go
};

// What each process's F_SETLKW waits for now (for EDEADLK): the inode's lock state and the type asked.
struct RecordWaits {
  const RecordLockState* on[kProcessSlots] = {};
  RecordLock type[kProcessSlots] = {};
};

Errno record_lock(Execution& ex, RecordLockState& state, RecordWaits& waits, int slot, LockCmd cmd, RecordLock type,
                  std::string_view waiting_for);
// The process's lock on the file goes (close of any of its fds on it, or exit); waiters are woken.
void record_unlock(Execution& ex, RecordLockState& state, int slot);

}  // namespace xenrace
