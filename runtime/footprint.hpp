// What one scheduling step touched: the shared objects it read and wrote. Partial-order reduction (dpor)
// needs it to tell two steps that commute from two that do not: steps are *dependent* when one writes an
// object the other reads or writes, or when either is global. Everything else is independent, and so the
// order of two adjacent independent steps of different actors cannot be observed: both orders reach the
// same state, each step sees the same values, and neither enables nor disables the other.
//
// Updates are changes that commute with each other but not with a read: adding distinct children to one
// XenStore directory, say. Two updates reach states that differ only in the order of what they added, which
// only an *ordered* read can see (a listing in creation order). So updates of one object are independent of
// each other, dependent with every read and write of it, and an ordered read (read_order, write_order) makes
// dpor explore both orders of every two concurrent updates it sees (observers, as in Aronis et al., "Optimal
// dynamic partial order reduction with observers", TACAS 2018). A global step counts as an ordered read of
// everything.
//
// Soundness rests on the footprints being complete, so the default is the safe one: a step is global
// (dependent with every step) unless every visible operation in it declared what it touches. A component
// declares with Scheduler::declare_footprint() and then names its accesses with Scheduler::access();
// a visible operation that declares nothing makes its step global. Objects are named by a 64-bit hash of
// a kind and a name (a XenStore path, a lock's file): a collision only adds a dependency, never hides one.
//
// Collected only when the strategy asks (Strategy::observes_steps); otherwise access() is one branch.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "runtime/word_hash.hpp"

namespace xenrace {

// A bit set: read 1, write 2, update 4, "sees the order of the updates" 8.
enum class AccessMode : std::uint8_t { read = 1, write = 2, update = 4, read_order = 9, write_order = 10 };

inline bool writes(AccessMode m) { return (static_cast<unsigned>(m) & 2) != 0; }
inline bool updates(AccessMode m) { return static_cast<unsigned>(m) == 4; }
inline bool only_reads(AccessMode m) { return (static_cast<unsigned>(m) & 6) == 0; }
inline bool sees_update_order(AccessMode m) { return (static_cast<unsigned>(m) & 8) != 0; }

// What two accesses of one step to one object amount to: a read and an update together are a write (the step
// saw the value it changed); a write covers reads and updates; seeing the order is kept.
inline AccessMode merged(AccessMode a, AccessMode b) {
  unsigned bits = static_cast<unsigned>(a) | static_cast<unsigned>(b);
  if ((bits & 1) && (bits & 4)) bits |= 2;
  if (bits & 2) bits &= ~5u;
  return static_cast<AccessMode>(bits);
}

// Whether two accesses to one object keep their steps' order for a sleep set: anything but two reads. Two
// updates do too, although they commute for race detection: a sleeper stands for the sibling order, which
// reaches another state when an ordered read comes later.
inline bool conflicting(AccessMode a, AccessMode b) { return !(only_reads(a) && only_reads(b)); }

struct Access {
  std::uint64_t object;
  AccessMode mode;
};

// The object key of ('n', "/local/domain/1/state"): a hash of the kind tag and then the name's bytes, taken
// eight at a time as little-endian words (one multiply per word: paths are hashed on every XenStore request
// under dpor), then the length. ObjectKeyStream builds the same key a byte at a time, so that after feeding
// a prefix of a name its key() is the prefix's key: the keys of every ancestor of a path cost one pass.
class ObjectKeyStream {
 public:
  explicit ObjectKeyStream(char kind) { feed(kind); }
  void feed(char c) {
    word_ |= static_cast<std::uint64_t>(static_cast<unsigned char>(c)) << (8 * (length_ % 8));
    if (++length_ % 8 == 0) {
      h_ = word_hash::absorb(h_, word_);
      word_ = 0;
    }
  }
  std::uint64_t key() const {
    return word_hash::absorb(word_hash::absorb(h_, word_), length_);
  }

 private:
  std::uint64_t h_ = word_hash::kSeed;
  std::uint64_t word_ = 0;       // the bytes of the word not yet complete
  std::uint64_t length_ = 0;     // bytes fed, the kind included
};

inline std::uint64_t object_key(char kind, std::string_view name) {
  using word_hash::absorb;
  const auto* p = reinterpret_cast<const unsigned char*>(name.data());
  const std::size_t n = name.size();
  // The first word: the kind, then up to seven bytes of the name.
  const std::size_t first = n < 7 ? n : 7;
  const std::uint64_t word = static_cast<unsigned char>(kind) | word_hash::load_le_partial(p, first) << 8;
  if (n < 7) return absorb(absorb(word_hash::kSeed, word), n + 1);
  std::uint64_t h = absorb(word_hash::kSeed, word);
  std::size_t i = 7;
  for (; i + 8 <= n; i += 8) h = absorb(h, word_hash::load_le64(p + i));
  return absorb(absorb(h, word_hash::load_le_partial(p + i, n - i)), n + 1);
}

// A numbered object (a loop device, a connection): its own seed, so it never shares a string's key by design.
inline std::uint64_t object_key(char kind, std::uint64_t number) {
  using word_hash::absorb;
  return absorb(absorb(absorb(~word_hash::kSeed, static_cast<unsigned char>(kind)), number), 9);
}

// One step's accesses, in a fixed array: collecting them allocates nothing. A step that touches more
// objects than fit is global, which is safe.
class StepFootprint {
 public:
  static constexpr std::size_t kCapacity = 96;

  void clear() {
    count_ = 0;
    global_ = false;
    undeclared_ = false;
  }
  void add(std::uint64_t object, AccessMode mode) {
    if (global_) return;
    for (std::size_t i = 0; i < count_; ++i)
      if (entries_[i].object == object) {
        entries_[i].mode = merged(entries_[i].mode, mode);
        return;
      }
    if (count_ == kCapacity) {
      global_ = true;
      return;
    }
    entries_[count_++] = Access{object, mode};
  }
  void make_global() { global_ = true; }
  // A visible operation began; until it declares its footprint, the step counts as global.
  void operation_began() { undeclared_ = true; }
  void operation_declared() { undeclared_ = false; }

  bool global() const { return global_ || undeclared_; }
  std::size_t size() const { return count_; }
  const Access* begin() const { return entries_.data(); }
  const Access* end() const { return entries_.data() + count_; }

 private:
  std::array<Access, kCapacity> entries_{};
  std::size_t count_ = 0;
  bool global_ = false;
  bool undeclared_ = false;
};

}  // namespace xenrace
