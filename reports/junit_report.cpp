#include "reports/junit_report.hpp"

#include <map>

#include <fmt/format.h>

#include "reports/text_escape.hpp"
#include "reports/trace_text.hpp"

namespace xenrace::reports {
namespace {

std::string seconds_text(double s) { return fmt::format("{:.3f}", s < 0 ? 0.0 : s); }

std::string verdict_line(const ReportEntry& e) {
  if (!e.skipped.empty()) return fmt::format("{}: skipped: {}", e.id(), e.skipped);
  if (!e.failed && !e.shown_text.empty())
    return fmt::format("{}: verdict pass (expected {}): {}", e.id(), to_string(e.expect), e.shown_text);
  return fmt::format("{}: verdict {} (expected {}) after {} executions [{} seed {}]", e.id(),
                     e.failed ? "fail" : "pass", to_string(e.expect), e.executions, e.strategy, e.seed);
}

struct Suite {
  std::vector<const ReportEntry*> cases;
  int failures = 0;
  int skipped = 0;
  double seconds = 0;
};

}  // namespace

std::string failure_text(const ReportEntry& e) {
  std::string out = verdict_line(e) + "\n";
  if (!e.failed) {
    out += e.shown_text.empty()
               ? fmt::format("expected the race to be found, but none of {} executions broke a check\n", e.executions)
               : fmt::format("expected the race to be found, but {}\n", e.shown_text);
    return out;
  }
  out += fmt::format("violated: {}: {}\n", e.violated, e.message);
  if (const std::string race = race_summary(e.failure); !race.empty()) out += race + "\n";
  out += "trace (step, virtual time ns, actor, operation, arguments -> result):\n";
  const std::vector<TraceMark> marks = race_marks(e.failure);
  auto mark = marks.begin();
  for (std::size_t i = 0; i < e.failure.events.size(); ++i) {
    const auto& ev = e.failure.events[i];
    out += fmt::format("  {:>4} {:>12} {:<16} {:<20} {} -> {}", ev.step, ev.time, actor_name(e.failure, ev), ev.op,
                       ev.args, ev.result);
    for (const char* sep = "  <- "; mark != marks.end() && mark->event == i; ++mark, sep = "; ") out += sep + mark->text;
    out += "\n";
  }
  out += "replay: " + e.replay_command + "\n";
  return out;
}

std::string junit_xml(const std::vector<ReportEntry>& entries, const std::string& timeline) {
  std::map<std::string, Suite> suites;  // by scenario, in name order
  int failures = 0;
  double seconds = 0;
  for (const auto& e : entries) {
    auto& s = suites[e.scenario];
    s.cases.push_back(&e);
    s.seconds += e.seconds;
    seconds += e.seconds;
    if (!e.skipped.empty()) {
      ++s.skipped;
    } else if (!e.met_expectation()) {
      ++s.failures;
      ++failures;
    }
  }

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"xenrace\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">\n",
                     entries.size(), failures, seconds_text(seconds));
  for (const auto& [scenario, s] : suites) {
    const std::string suite_name = xml_attribute("xenrace." + scenario);
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">\n",
        suite_name, s.cases.size(), s.failures, s.skipped, seconds_text(s.seconds));
    for (const auto* e : s.cases) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\">\n", suite_name,
                         xml_attribute(e->variant), seconds_text(e->seconds));
      if (!e->skipped.empty()) {
        out += fmt::format("      <skipped message=\"{}\"/>\n", xml_attribute(e->skipped));
      } else if (!e->met_expectation()) {
        const std::string message =
            !e->divergence.empty() ? "replay diverged: " + e->divergence
            : e->failed            ? fmt::format("violated: {}: {}", e->violated, e->message)
            : !e->shown_text.empty() ? "expected a failure, but " + e->shown_text
                                   : fmt::format("expected a failure, but {} executions all passed", e->executions);
        const char* type = !e->divergence.empty() ? "replay-diverged"
                           : e->failed            ? "unexpected-failure"
                                                  : "race-not-found";
        out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_attribute(message), type,
                           xml_text(failure_text(*e)));
      }
      std::string system_out = e->failed ? failure_text(*e) : verdict_line(*e) + "\n";
      // On a line of its own, nothing before or after it: how GitLab and junit-attachments find it.
      if (e->failed && !timeline.empty()) system_out += "[[ATTACHMENT|" + timeline + "]]\n";
      out += fmt::format("      <system-out>{}</system-out>\n", xml_text(system_out));
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace xenrace::reports
