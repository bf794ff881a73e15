#include "reports/trace_text.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace xenrace::reports {
namespace {

bool same(const TraceEvent& a, const TraceEvent& b) {
  return a.actor == b.actor && a.op == b.op && a.args == b.args && a.result == b.result;
}

// How many consecutive copies of events[i, i + length) start at i.
std::size_t copies(const std::vector<TraceEvent>& events, std::size_t i, std::size_t length) {
  std::size_t k = 1;
  for (std::size_t at = i + length; at + length <= events.size(); at += length, ++k)
    for (std::size_t j = 0; j < length; ++j)
      if (!same(events[i + j], events[at + j])) return k;
  return k;
}

}  // namespace

std::vector<TraceRun> fold_repeats(const std::vector<TraceEvent>& events, std::size_t max_cycle) {
  std::vector<TraceRun> runs;
  for (std::size_t i = 0; i < events.size();) {
    TraceRun best{i, 1, 1};
    for (std::size_t length = 1; length <= max_cycle && i + 2 * length <= events.size(); ++length) {
      const std::size_t k = copies(events, i, length);
      if (k >= 2 && k * length > best.length * best.repeats) best = {i, length, k};
    }
    runs.push_back(best);
    i += best.length * best.repeats;
  }
  return runs;
}

std::string format_virtual_time(VirtualTime t) {
  return fmt::format("{}.{:06}s", t / 1000000000ULL, (t % 1000000000ULL) / 1000ULL);
}

std::string trace_text(const ExecutionResult& r, const TraceTextOptions& options) {
  const auto& events = r.events;
  std::vector<TraceRun> runs;
  if (options.fold)
    runs = fold_repeats(events);
  else
    for (std::size_t i = 0; i < events.size(); ++i) runs.push_back({i, 1, 1});

  auto actor_of = [&](const TraceEvent& e) -> const std::string& {
    static const std::string harness = "harness";
    return e.actor < r.actors.size() ? r.actors[e.actor] : harness;
  };
  // Columns as wide as what they show: the step, the time (only when the clock moves), the actor.
  std::size_t step_width = 4, actor_width = 7, time_width = 0;
  bool clock_moves = false;
  for (const auto& e : events) {
    step_width = std::max(step_width, fmt::formatted_size("{}", e.step));
    actor_width = std::max(actor_width, actor_of(e).size());
    clock_moves |= e.time != events.front().time;
    time_width = std::max(time_width, format_virtual_time(e.time).size());
  }

  std::string out;
  bool first_line = true;
  VirtualTime shown = 0;
  auto line = [&](const TraceEvent& e, const std::string& tail) {
    std::string time;
    if (clock_moves) {
      // The clock only where it moved (and on the first line): a column of equal times says nothing.
      time = first_line || e.time != shown ? format_virtual_time(e.time) : std::string();
      time = fmt::format("  {:>{}}", time, time_width);
      shown = e.time;
    }
    first_line = false;
    out += fmt::format("{}{:>{}}{}  {:<{}}  {:<18} {}  -> {}{}\n", options.indent, e.step, step_width, time,
                       actor_of(e), actor_width, e.op, e.args, e.result, tail);
  };
  for (const TraceRun& run : runs) {
    const TraceEvent& last = events[run.first + run.length * run.repeats - 1];
    std::string span = fmt::format("to step {}", last.step);
    if (last.time != events[run.first].time) span += ", " + format_virtual_time(last.time);
    if (run.repeats == 1) {
      line(events[run.first], "");
    } else if (run.length == 1) {
      line(events[run.first], fmt::format("  …×{} ({})", run.repeats, span));
    } else {
      for (std::size_t j = 0; j < run.length; ++j) line(events[run.first + j], "");
      out += fmt::format("{}{:>{}}  …×{} (the {} lines above, {})\n", options.indent, "", step_width, run.repeats,
                         run.length, span);
    }
    shown = last.time;
  }
  return out;
}

}  // namespace xenrace::reports
