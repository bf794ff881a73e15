#include "runtime/trace.hpp"

#include <cstdio>

#include "runtime/word_hash.hpp"

namespace xenrace {

// Eight bytes at a time, read little-endian whatever the host (so the hash is the same on every build and
// host), the last word padded with zeros, then the length: "ab" and "ab\0" differ.
void Trace::mix(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  for (; n >= 8; p += 8, n -= 8) hash_ = word_hash::absorb(hash_, word_hash::load_le64(p));
  hash_ = word_hash::absorb(hash_, word_hash::load_le_partial(p, n));
  mix(static_cast<std::uint64_t>(bytes.size()));
}

void Trace::mix(std::uint64_t v) { hash_ = word_hash::absorb(hash_, v); }

void Trace::record(std::uint64_t step, ActorId actor, VirtualTime time, std::string_view op, std::string_view args,
                   std::string_view result) {
  mix(step);
  mix(static_cast<std::uint64_t>(actor));
  mix(time);
  mix(op);
  mix(args);
  mix(result);
  ++count_;
  if (keep_) events_.push_back(TraceEvent{step, actor, time, std::string(op), std::string(args), std::string(result)});
}

void Trace::name_actor(ActorId id, std::string_view name) {
  mix(static_cast<std::uint64_t>(id));
  mix(name);
  if (names_.size() <= id) names_.resize(id + 1);
  names_[id] = std::string(name);
}

std::string format_hash(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace xenrace
