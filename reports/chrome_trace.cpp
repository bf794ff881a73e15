#include "reports/chrome_trace.hpp"

#include <map>

#include "reports/event_kind.hpp"
#include "reports/racing_pair.hpp"

namespace xenrace::reports {
namespace {

constexpr int kPid = 1;
// Trace-event timestamps are microseconds. One scheduling step is shown as one millisecond, the unit declared
// in displayTimeUnit, so a viewer's time axis reads in steps.
constexpr double kStepUs = 1000.0;

// Thread ids start at 1 (tid 0 reads as "no thread" in some viewers); the harness comes last.
int track_of(const ExecutionResult& ex, const TraceEvent& e) {
  return e.actor < ex.actors.size() ? e.actor + 1 : static_cast<int>(ex.actors.size()) + 1;
}

nlohmann::json metadata(const char* name, int tid, const std::string& value) {
  return {{"ph", "M"}, {"pid", kPid}, {"tid", tid}, {"name", name}, {"args", {{"name", value}}}};
}

}  // namespace

nlohmann::json chrome_trace(const ReportEntry& entry) {
  const ExecutionResult& ex = entry.failure;
  nlohmann::json events = nlohmann::json::array();
  events.push_back(metadata("process_name", 0, "xenrace " + entry.id()));
  for (std::size_t a = 0; a < ex.actors.size(); ++a) {
    events.push_back(metadata("thread_name", static_cast<int>(a) + 1, ex.actors[a]));
    events.push_back({{"ph", "M"}, {"pid", kPid}, {"tid", a + 1}, {"name", "thread_sort_index"},
                      {"args", {{"sort_index", a}}}});
  }
  bool harness_events = false;
  for (const auto& e : ex.events) harness_events |= e.actor >= ex.actors.size();
  if (harness_events) events.push_back(metadata("thread_name", static_cast<int>(ex.actors.size()) + 1, "harness"));

  // Events that share a step split its unit of time in order.
  std::map<std::uint64_t, std::size_t> per_step;
  for (const auto& e : ex.events) ++per_step[e.step];
  std::map<std::uint64_t, std::size_t> seen;
  std::vector<double> start(ex.events.size());
  for (std::size_t i = 0; i < ex.events.size(); ++i) {
    const auto& e = ex.events[i];
    const double n = static_cast<double>(per_step[e.step]);
    start[i] = kStepUs * (static_cast<double>(e.step) + static_cast<double>(seen[e.step]++) / n);
    events.push_back({{"ph", "X"},
                      {"pid", kPid},
                      {"tid", track_of(ex, e)},
                      {"name", e.op},
                      {"cat", to_string(event_kind(e))},
                      {"ts", start[i]},
                      {"dur", kStepUs * 0.9 / n},
                      {"args",
                       {{"step", e.step},
                        {"virtual_time_ns", e.time},
                        {"args", e.args},
                        {"result", e.result},
                        {"object", event_object(e)}}}});
  }

  if (auto pair = find_racing_pair(ex)) {
    const auto& a = ex.events[pair->first];
    const auto& b = ex.events[pair->second];
    const std::string name = "racing pair on " + event_object(a);
    events.push_back({{"ph", "s"}, {"pid", kPid}, {"tid", track_of(ex, a)}, {"id", 1}, {"name", name},
                      {"cat", "racing"}, {"ts", start[pair->first]}});
    events.push_back({{"ph", "f"}, {"bp", "e"}, {"pid", kPid}, {"tid", track_of(ex, b)}, {"id", 1},
                      {"name", name}, {"cat", "racing"}, {"ts", start[pair->second]}});
  }
  const double end = ex.events.empty() ? 0.0 : kStepUs * (static_cast<double>(ex.events.back().step) + 1.0);
  events.push_back({{"ph", "i"},
                    {"s", "g"},
                    {"pid", kPid},
                    {"tid", 0},
                    {"name", "violated: " + entry.violated},
                    {"cat", "verdict"},
                    {"ts", end},
                    {"args", {{"message", entry.message}, {"replay", entry.replay_command}}}});

  return {{"traceEvents", events},
          {"displayTimeUnit", "ms"},
          {"otherData",
           {{"scenario", entry.scenario},
            {"variant", entry.variant},
            {"violated", entry.violated},
            {"message", entry.message},
            {"replay_command", entry.replay_command},
            {"timestamps", "scheduling steps, one step = 1 ms (ts = 1000 us per step)"}}}};
}

}  // namespace xenrace::reports
