#include "reports/racing_pair.hpp"

#include <string>
#include <string_view>
#include <tuple>
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
      return RacingPair{i, j, false, std::nullopt};
    }
  }
  return std::nullopt;
}

// The value a change stores when its arguments say so ("/a=1", "counter=1" -> "1"); nullopt when they do not.
std::optional<std::string_view> stored_value(const TraceEvent& e, const std::string& object) {
  std::string_view args = e.args;
  const auto at = args.find(object);
  if (at == std::string_view::npos || at + object.size() >= args.size() || args[at + object.size()] != '=')
    return std::nullopt;
  return args.substr(at + object.size() + 1);
}

// A read that gives its actor a value: not a watch (de)registration or delivery.
bool is_value_read(const TraceEvent& e) {
  if (!is_read_only(e) || event_kind(e) == EventKind::watch) return false;
  const std::string_view op = e.op;
  const auto verb = op.substr(op.rfind('.') == std::string_view::npos ? 0 : op.rfind('.') + 1);
  return verb != "watch" && verb != "unwatch";
}

// Where a change becomes visible to other actors: at once, or at its transaction's successful commit.
// nullopt: the transaction never committed, so no other actor ever saw the change.
std::optional<std::size_t> visible_at(const std::vector<TraceEvent>& events, std::size_t index) {
  const std::string_view tx = transaction_of(events[index]);
  if (tx.empty()) return index;
  for (std::size_t k = index + 1; k < events.size(); ++k) {
    const auto& e = events[k];
    if (e.actor != events[index].actor || e.op != "xs.transaction_end" || transaction_of(e) != tx) continue;
    return e.result == "OK" ? std::optional<std::size_t>(k) : std::nullopt;
  }
  return std::nullopt;
}

// The stale read whose reader's dependent write comes last (then the latest overwrite, then the latest read).
std::optional<RacingPair> latest_stale_read(const std::vector<TraceEvent>& events,
                                            const std::vector<std::string>& objects) {
  std::optional<RacingPair> best;
  for (std::size_t r = 0; r < events.size(); ++r) {
    const auto& read = events[r];
    const std::string& object = objects[r];
    if (object.empty() || !is_value_read(read)) continue;
    // The first change by another actor that made the value read out of date...
    for (std::size_t w = r + 1; w < events.size(); ++w) {
      const auto& write = events[w];
      if (objects[w] != object || is_read_only(write)) continue;
      if (write.actor == read.actor) break;  // the reader changed it first: no longer what it read
      auto value = stored_value(write, object);
      if (value && *value == read.result) continue;  // stored what was read: nothing went stale
      const auto visible = visible_at(events, w);
      if (!visible) continue;
      // ...then the reader's own change of the object, with no fresh read of it in between.
      std::optional<std::size_t> dependent;
      for (std::size_t d = *visible + 1; d < events.size(); ++d) {
        const auto& e = events[d];
        if (e.actor != read.actor || objects[d] != object) continue;
        if (is_read_only(e)) break;  // read again: what it writes next is built on the fresh value
        dependent = d;
        break;
      }
      // A read and a write in one transaction are atomic: the commit fails when another actor changed the object.
      if (dependent && !transaction_of(read).empty() && transaction_of(read) == transaction_of(events[*dependent]))
        dependent.reset();
      if (dependent && (!best || std::tie(*dependent, w, r) > std::tie(*best->dependent, best->second, best->first)))
        best = RacingPair{r, w, true, dependent};
      break;
    }
  }
  return best;
}

// An error a change returned ("EBUSY", "EEXIST"): the change was refused, most often because of another
// actor's change of the same object.
bool refused(const TraceEvent& e) {
  const std::string_view r = e.result;
  return r.size() > 1 && r[0] == 'E' && r[1] >= 'A' && r[1] <= 'Z' && r.find(' ') == std::string_view::npos;
}

// A close gives something up; it is not what another change is refused for.
bool is_close(const TraceEvent& e) {
  const std::string_view op = e.op;
  return op.size() >= 6 && op.substr(op.size() - 6) == ".close";
}

// The last change refused with an error, and the latest change of its object by another actor before it that
// could be the reason (not a close; a close only when there is nothing else).
std::optional<RacingPair> latest_refused_change(const std::vector<TraceEvent>& events,
                                                const std::vector<std::string>& objects) {
  for (std::size_t j = events.size(); j-- > 0;) {
    if (objects[j].empty() || is_read_only(events[j]) || !refused(events[j])) continue;
    for (const bool closes_too : {false, true})
      for (std::size_t i = j; i-- > 0;)
        if (objects[i] == objects[j] && events[i].actor != events[j].actor && !is_read_only(events[i]) &&
            !refused(events[i]) && (closes_too || !is_close(events[i])))
          return RacingPair{i, j, false, std::nullopt};
  }
  return std::nullopt;
}

}  // namespace

std::string_view transaction_of(const TraceEvent& e) {
  std::string_view args = without_process_connection(e.args);
  if (e.op.rfind("xs.", 0) != 0 || args.size() < 2 || args[0] != 't' || args[1] < '0' || args[1] > '9') return {};
  return args.substr(0, args.find(' '));
}

std::optional<RacingPair> find_racing_pair(const ExecutionResult& execution) {
  const auto& events = execution.events;
  std::vector<std::string> objects;
  objects.reserve(events.size());
  // Harness events (setup, the verdict) are no actor's move, so they never race.
  for (const auto& e : events)
    objects.push_back(e.actor < execution.actors.size() ? event_object(e) : std::string());
  if (auto stale = latest_stale_read(events, objects)) return stale;
  if (auto refusal = latest_refused_change(events, objects)) return refusal;
  for (int changes_needed : {2, 1, 0})
    if (auto pair = latest_pair(events, objects, changes_needed)) return pair;
  return std::nullopt;
}

}  // namespace xenrace::reports
