// A fingerprint of the state an execution's future depends on, for dpor's state cache
// (DporStrategy, "State cache" in docs/architecture.md). It is built from parts that each vouch for what they
// hash: the scheduler hashes each actor's status and the state it declared where it is (Scheduler::Rest),
// the world components and the scenario hash their own state (Execution::world_state, scenario_state).
// A part that cannot describe its state makes the whole key unknown, and nothing is cached there.
//
// Two 64-bit lanes with different multipliers: a collision would prune a state never explored, so the key
// is 128 bits wide (with a million states, a chance of about 10^-27).
#pragma once
#include <concepts>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "runtime/word_hash.hpp"

namespace xenrace {

struct StateKey {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  bool operator==(const StateKey&) const = default;
};

struct StateKeyHash {
  std::size_t operator()(const StateKey& k) const { return static_cast<std::size_t>(k.a ^ (k.b << 1)); }
};

class StateHasher {
 public:
  template <std::integral T>
  void add(T value) {
    const auto word = static_cast<std::uint64_t>(value);
    a_ = word_hash::absorb(a_, word);
    b_ = (b_ ^ word) * 0xff51afd7ed558ccdULL;
    b_ ^= b_ >> 29;
  }
  template <class T>
    requires std::is_enum_v<T>
  void add(T value) {
    add(static_cast<std::underlying_type_t<T>>(value));
  }
  void add(std::string_view s) {
    add(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) add(word_hash::load_le64(p + i));
    if (i < s.size()) add(word_hash::load_le_partial(p + i, s.size() - i));
  }
  void add(const char* s) { add(std::string_view(s)); }
  template <class Range>
  void add_all(const Range& r) {
    std::uint64_t n = 0;
    for (const auto& x : r) {
      add(x);
      ++n;
    }
    add(n);
  }
  StateKey key() const { return StateKey{a_, b_}; }

 private:
  std::uint64_t a_ = word_hash::kSeed;
  std::uint64_t b_ = 0x84222325cbf29ce4ULL;
};

}  // namespace xenrace
