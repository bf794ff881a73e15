#include "backends/sim/fs/record_locks.hpp"

namespace xenrace {
namespace {

bool conflicts(const RecordLockState& s, int slot, RecordLock type) {
  if (s.writer >= 0 && s.writer != slot) return true;
  if (type != RecordLock::write) return false;
  std::bitset<kProcessSlots> others = s.readers;
  others.reset(static_cast<std::size_t>(slot));
  return others.any();
}

// Whether `slot` asking `type` on `state` would wait, through holders that are themselves waiting, for `origin`.
bool waits_for(const RecordWaits& waits, const RecordLockState& state, int slot, RecordLock type, int origin,
               std::bitset<kProcessSlots>& seen) {
  for (int holder = 0; holder < kProcessSlots; ++holder) {
    const bool holds = state.writer == holder || state.readers.test(static_cast<std::size_t>(holder));
    if (!holds || holder == slot) continue;
    if (type == RecordLock::read && state.writer != holder) continue;  // readers do not block a reader
    if (holder == origin) return true;
    if (seen.test(static_cast<std::size_t>(holder)) || !waits.on[holder]) continue;
    seen.set(static_cast<std::size_t>(holder));
    if (waits_for(waits, *waits.on[holder], holder, waits.type[holder], origin, seen)) return true;
  }
  return false;
}

}  // namespace

void record_unlock(Execution& ex, RecordLockState& state, int slot) {
  const bool held = state.writer == slot || state.readers.test(static_cast<std::size_t>(slot));
  state.readers.reset(static_cast<std::size_t>(slot));
  if (state.writer == slot) state.writer = -1;
  if (held) ex.sched().notify_all(state.changed);
}

Errno record_lock(Execution& ex, RecordLockState& state, RecordWaits& waits, int slot, LockCmd cmd, RecordLock type,
                  std::string_view waiting_for) {
  if (type == RecordLock::unlock) {
    record_unlock(ex, state, slot);
    return 0;
  }
  while (conflicts(state, slot, type)) {
    if (cmd == LockCmd::setlk || !ex.sched().in_actor()) return EAGAIN;
    std::bitset<kProcessSlots> seen;
    if (waits_for(waits, state, slot, type, slot, seen)) return EDEADLK;
    waits.on[slot] = &state;
    waits.type[slot] = type;
    ex.sched().wait(state.changed, waiting_for);  // a kill unwinds from here: the entry is cleared at exit
    waits.on[slot] = nullptr;
  }
  const bool downgrade = state.writer == slot && type == RecordLock::read;
  if (type == RecordLock::read) {
    state.readers.set(static_cast<std::size_t>(slot));
    if (state.writer == slot) state.writer = -1;
  } else {
    state.writer = slot;
    state.readers.reset(static_cast<std::size_t>(slot));
  }
  if (downgrade) ex.sched().notify_all(state.changed);  // readers may now go in
  return 0;
}

}  // namespace xenrace
