// Small shared vocabulary of the runtime.
#pragma once
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace xenrace {

using ActorId = std::uint8_t;
using ActorMask = std::uint64_t;  // the runnable set: one bit per actor, so a scheduling step never allocates
inline constexpr ActorId kMaxActors = 64;
inline constexpr ActorId kNoActor = 0xff;

inline constexpr ActorMask actor_bit(ActorId id) { return ActorMask{1} << id; }
inline ActorId lowest_actor(ActorMask m) { return static_cast<ActorId>(std::countr_zero(m)); }

// What a recorded decision chose: the next actor, a generated value, or whether a fault fires.
enum class ChoiceKind : std::uint8_t { actor = 0, data = 1, fault = 2 };

using VirtualTime = std::uint64_t;  // nanoseconds of simulated time since the execution began
inline constexpr VirtualTime kForever = ~VirtualTime{0};

enum class Expect : std::uint8_t { pass, fail };
inline const char* to_string(Expect e) { return e == Expect::pass ? "pass" : "fail"; }

// Bad command-line input or a bad token: the CLI prints the message and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace xenrace
