// The one hash step of xenrace's content hashes (trace hashes, object keys): eight bytes at a time as a
// little-endian word, one multiply and one xorshift per word. The same on every host and build, so a trace
// hash recorded in a replay token means the same everywhere; fast because paths are hashed on every
// XenStore request and every trace event.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace xenrace::word_hash {

inline constexpr std::uint64_t kSeed = 0xcbf29ce484222325ULL;

inline std::uint64_t absorb(std::uint64_t h, std::uint64_t word) {
  h = (h ^ word) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 32);
}

// Eight bytes as a little-endian word: one load where the host is little-endian.
inline std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// The last n < 8 bytes as a little-endian word, zero above them.
inline std::uint64_t load_le_partial(const unsigned char* p, std::size_t n) {
  std::uint64_t w = 0;
  for (std::size_t i = n; i-- > 0;) w = (w << 8) | p[i];
  return w;
}

}  // namespace xenrace::word_hash
