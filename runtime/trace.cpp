#include "runtime/trace.hpp"

#include <cstdio>

namespace xenrace {

// FNV-1a over bytes with a length separator, then a final avalanche: stable across builds and hosts.
void Trace::mix(std::string_view bytes) {
  for (unsigned char c : bytes) hash_ = (hash_ ^ c) * 0x100000001b3ULL;
  mix(static_cast<std::uint64_t>(bytes.size()));
}

void Trace::mix(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) hash_ = (hash_ ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
}

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
