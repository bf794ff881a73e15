#include "reports/racing_pair.hpp"

#include <string>
#include <vector>

#include "reports/event_kind.hpp"

namespace xenrace::reports {
namespace {

// How many of the two events must change the object for them to count as a pair.
std::optional<RacingPair> latest_pair(const std::vector<TraceEvent>& events, const std::vector<std::string>& objects,
                                      int changes_needed) {
  for (std::size_t j = events.size(); j-- > 0;) {
    if (objects[j].empty()) continue;
    for (std::size_t i = j; i-- > 0;) {
      if (objects[i] != objects[j] || events[i].actor == events[j].actor) continue;
      const int changes = static_cast<int>(!is_read_only(events[i])) + static_cast<int>(!is_read_only(events[j]));
      if (changes < changes_needed) continue;
      return RacingPair{i, j};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<RacingPair> find_racing_pair(const ExecutionResult& execution) {
  const auto& events = execution.events;
  std::vector<std::string> objects;
  objects.reserve(events.size());
  // Harness events (setup, the verdict) are no actor's move, so they never race.
  for (const auto& e : events)
    objects.push_back(e.actor < execution.actors.size() ? event_object(e) : std::string());
  for (int changes_needed : {2, 1, 0})
    if (auto pair = latest_pair(events, objects, changes_needed)) return pair;
  return std::nullopt;
}

}  // namespace xenrace::reports
