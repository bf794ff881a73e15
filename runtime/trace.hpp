// The Trace of an execution: one event per visible operation (actor, operation, arguments, result,
// virtual time). Its 64-bit hash covers every field and is built the same way whether events are kept
// or not, so exploration (hash only: no allocation per event) and replay (events kept) agree.
// The hash depends only on contents, never on addresses or the wall clock.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/types.hpp"

namespace xenrace {

struct TraceEvent {
  std::uint64_t step;     // scheduling step during which the operation ran
  ActorId actor;
  VirtualTime time;
  std::string op;         // e.g. "xs.write", "loop.configure", "watch.fire"
  std::string args;
  std::string result;     // "OK", an errno name, or a value
};

class Trace {
 public:
  explicit Trace(bool keep_events) : keep_(keep_events) {}

  void record(std::uint64_t step, ActorId actor, VirtualTime time, std::string_view op, std::string_view args,
              std::string_view result);
  void name_actor(ActorId id, std::string_view name);

  std::uint64_t hash() const { return hash_; }
  bool keeps_events() const { return keep_; }
  const std::vector<TraceEvent>& events() const { return events_; }
  const std::vector<std::string>& actor_names() const { return names_; }
  std::size_t event_count() const { return count_; }

 private:
  void mix(std::string_view bytes);
  void mix(std::uint64_t v);

  bool keep_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::size_t count_ = 0;
  std::vector<TraceEvent> events_;
  std::vector<std::string> names_;
};

std::string format_hash(std::uint64_t h);  // 16 lowercase hex digits

}  // namespace xenrace
