#include "reports/trace_text.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "reports/racing_pair.hpp"
#include "reports/report_entry.hpp"

namespace xenrace::reports {
namespace {

bool same(const TraceEvent& a, const TraceEvent& b) {
  return a.actor == b.actor && a.op == b.op && a.args == b.args && a.result == b.result;
}

// How many consecutive copies of events[i, i + length) start at i, none reaching past `end`.
std::size_t copies(const std::vector<TraceEvent>& events, std::size_t i, std::size_t length, std::size_t end) {
  std::size_t k = 1;
  for (std::size_t at = i + length; at + length <= end; at += length, ++k)
    for (std::size_t j = 0; j < length; ++j)
      if (!same(events[i + j], events[at + j])) return k;
  return k;
}

// fold_repeats over events[begin, end), appended to `runs`.
void fold_range(const std::vector<TraceEvent>& events, std::size_t begin, std::size_t end, std::size_t max_cycle,
                std::vector<TraceRun>& runs) {
  for (std::size_t i = begin; i < end;) {
    TraceRun best{i, 1, 1};
    for (std::size_t length = 1; length <= max_cycle && i + 2 * length <= end; ++length) {
      const std::size_t k = copies(events, i, length, end);
      if (k >= 2 && k * length > best.length * best.repeats) best = {i, length, k};
    }
    runs.push_back(best);
    i += best.length * best.repeats;
  }
}

// "xl pci-attach 1: xs.read /n -> 1": an event in a summary line.
std::string describe(const ExecutionResult& r, const TraceEvent& e) {
  return fmt::format("{}: {} {} -> {}", actor_name(r, e), e.op, e.args, e.result);
}

}  // namespace

std::vector<TraceRun> fold_repeats(const std::vector<TraceEvent>& events, std::size_t max_cycle) {
  std::vector<TraceRun> runs;
  fold_range(events, 0, events.size(), max_cycle, runs);
  return runs;
}

std::vector<TraceMark> race_marks(const ExecutionResult& r) {
  std::vector<TraceMark> marks;
  if (!r.failed()) return marks;  // a passing run went wrong nowhere: nothing to single out
  const auto pair = find_racing_pair(r);
  if (!pair) return marks;
  const auto& events = r.events;
  if (pair->stale_read && pair->dependent) {
    marks.push_back({pair->first, "the stale read"});
    marks.push_back({pair->second, "made it stale"});
    marks.push_back({*pair->dependent, fmt::format("uses the stale value (read at step {})", events[pair->first].step)});
  } else {
    marks.push_back({pair->first, fmt::format("races with step {}", events[pair->second].step)});
    marks.push_back({pair->second, fmt::format("races with step {}", events[pair->first].step)});
  }
  std::sort(marks.begin(), marks.end(), [](const TraceMark& a, const TraceMark& b) { return a.event < b.event; });
  return marks;
}

std::string race_summary(const ExecutionResult& r) {
  if (!r.failed()) return {};
  const auto pair = find_racing_pair(r);
  if (!pair) return {};
  const auto& a = r.events[pair->first];
  const auto& b = r.events[pair->second];
  if (pair->stale_read && pair->dependent) {
    const auto& d = r.events[*pair->dependent];
    return fmt::format("stale read at step {} ({}), made stale at step {} by {} ({} {}), used at step {} ({} {})",
                       a.step, describe(r, a), b.step, actor_name(r, b), b.op, b.args, d.step, d.op, d.args);
  }
  return fmt::format("racing pair: step {} ({}) and step {} ({})", a.step, describe(r, a), b.step, describe(r, b));
}

std::string format_virtual_time(VirtualTime t) {
  return fmt::format("{}.{:06}s", t / 1000000000ULL, (t % 1000000000ULL) / 1000ULL);
}

std::string trace_text(const ExecutionResult& r, const TraceTextOptions& options) {
  const auto& events = r.events;
  const std::vector<TraceMark> marks = options.mark_race ? race_marks(r) : std::vector<TraceMark>{};
  std::vector<TraceRun> runs;
  if (options.fold) {
    // A marked event stands alone: the folds stop on either side of it.
    std::size_t begin = 0;
    for (const TraceMark& m : marks) {
      if (m.event < begin) continue;  // two marks on one event: already alone
      fold_range(events, begin, m.event, 8, runs);
      runs.push_back({m.event, 1, 1});
      begin = m.event + 1;
    }
    fold_range(events, begin, events.size(), 8, runs);
  } else {
    for (std::size_t i = 0; i < events.size(); ++i) runs.push_back({i, 1, 1});
  }
  auto mark_of = [&](std::size_t index) {
    std::string text;
    for (const TraceMark& m : marks)
      if (m.event == index) text += (text.empty() ? "  <- " : "; ") + m.text;
    return text;
  };

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
      line(events[run.first], mark_of(run.first));
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
