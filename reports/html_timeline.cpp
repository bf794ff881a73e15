#include "reports/html_timeline.hpp"

#include <fmt/format.h>

#include "reports/event_kind.hpp"
#include "reports/racing_pair.hpp"
#include "reports/text_escape.hpp"

namespace xenrace::reports {
namespace {

constexpr std::string_view kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
code, .lanes td { font-family: ui-monospace, monospace; font-size: 0.85em; }
table { border-collapse: collapse; }
.summary td, .summary th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
.met { color: #186a2e; } .unmet { color: #b00020; font-weight: bold; }
.legend span { display: inline-block; margin-right: 1em; padding: 0.1em 0.5em; border-radius: 3px; }
.lanes { width: 100%; table-layout: fixed; margin-top: 0.5em; }
.lanes th { position: sticky; top: 0; background: #f2f2f7; border-bottom: 2px solid #999; padding: 0.3em; }
.lanes th.step, .lanes td.step { width: 7em; color: #666; text-align: right; padding-right: 0.6em; }
.lanes td { border-left: 1px dashed #ddd; padding: 0.15em 0.4em; vertical-align: top; overflow-wrap: anywhere; }
.ev { border-radius: 3px; }
.xenstore { background: #e3f0ff; } .watch { background: #fff4d6; } .device { background: #e8f6e8; }
.fault { background: #fde2e2; } .verdict-kind { background: #eee; }
.racing { outline: 3px solid #d12f2f; font-weight: bold; }
.racing::before { content: "\26A1 race "; color: #d12f2f; }
.op { font-weight: 600; } .result { color: #555; }
tr.verdict td { background: #b00020; color: #fff; padding: 0.5em; font-weight: bold; }
.note { color: #555; }
)";

std::string kind_class(EventKind k) { return k == EventKind::verdict ? "verdict-kind" : to_string(k); }

// Virtual time in the largest unit that keeps it short: "0", "250ns", "12.5us", "3ms", "1.5s".
std::string short_time(VirtualTime ns) {
  if (ns == 0) return "0";
  if (ns < 1000) return fmt::format("{}ns", ns);
  if (ns < 1000000) return fmt::format("{:.4g}us", static_cast<double>(ns) / 1e3);
  if (ns < 1000000000) return fmt::format("{:.4g}ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.4g}s", static_cast<double>(ns) / 1e9);
}

std::string anchor(std::size_t index) { return fmt::format("failure-{}", index); }

void render_summary(std::string& out, const std::vector<ReportEntry>& entries) {
  out += "<table class=\"summary\"><tr><th>scenario/variant</th><th>expected</th><th>verdict</th>"
         "<th>expectation</th><th>executions</th><th>details</th></tr>\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>\n",
                       html_text(e.id()), to_string(e.expect), e.failed ? "fail" : "pass",
                       e.met_expectation() ? "met" : "unmet", e.met_expectation() ? "met" : "NOT MET", e.executions,
                       e.failed ? fmt::format("<a href=\"#{}\">timeline</a>", anchor(i)) : "");
  }
  out += "</table>\n";
}

void render_failure(std::string& out, const ReportEntry& e, std::size_t index) {
  const ExecutionResult& ex = e.failure;
  std::vector<std::string> lanes = ex.actors;
  bool harness_lane = false;
  for (const auto& ev : ex.events) harness_lane |= ev.actor >= ex.actors.size();
  if (harness_lane) lanes.push_back("harness");
  const auto lane_of = [&](const TraceEvent& ev) { return ev.actor < ex.actors.size() ? ev.actor : ex.actors.size(); };
  const auto pair = find_racing_pair(ex);

  out += fmt::format("<section class=\"execution\" id=\"{}\">\n<h2>{} &mdash; violated: {}</h2>\n", anchor(index),
                     html_text(e.id()), html_text(e.violated));
  out += fmt::format("<p>{}</p>\n<p>replay: <code class=\"replay\">{}</code></p>\n", html_text(e.message),
                     html_text(e.replay_command));
  if (pair)
    out += fmt::format("<p class=\"note\">racing pair: steps {} and {} on <code>{}</code> ({} / {})</p>\n",
                       ex.events[pair->first].step, ex.events[pair->second].step,
                       html_text(event_object(ex.events[pair->first])),
                       html_text(actor_name(ex, ex.events[pair->first])),
                       html_text(actor_name(ex, ex.events[pair->second])));
  out += "<p class=\"legend\"><span class=\"xenstore\">XenStore operation</span><span class=\"watch\">watch "
         "delivery</span><span class=\"device\">device operation</span><span class=\"fault\">fault "
         "injection</span></p>\n";
  out += "<table class=\"lanes\"><thead><tr><th class=\"step\">step / time</th>";
  for (const auto& lane : lanes) out += fmt::format("<th class=\"lane-head\">{}</th>", html_text(lane));
  out += "</tr></thead><tbody>\n";
  for (std::size_t i = 0; i < ex.events.size(); ++i) {
    const auto& ev = ex.events[i];
    const bool racing = pair && (i == pair->first || i == pair->second);
    out += fmt::format("<tr><td class=\"step\">{}<br>t={}</td>", ev.step, short_time(ev.time));
    for (std::size_t l = 0; l < lanes.size(); ++l) {
      if (l != lane_of(ev)) {
        out += "<td></td>";
        continue;
      }
      out += fmt::format(
          "<td class=\"ev {}{}\" data-kind=\"{}\"><span class=\"op\">{}</span> <span class=\"args\">{}</span> "
          "&rarr; <span class=\"result\">{}</span></td>",
          kind_class(event_kind(ev)), racing ? " racing" : "", to_string(event_kind(ev)), html_text(ev.op),
          html_text(ev.args), html_text(ev.result));
    }
    out += "</tr>\n";
  }
  out += fmt::format("<tr class=\"verdict\"><td colspan=\"{}\">violated invariant: {} &mdash; {}</td></tr>\n",
                     lanes.size() + 1, html_text(e.violated), html_text(e.message));
  out += "</tbody></table>\n</section>\n";
}

}  // namespace

std::string html_timeline(const std::vector<ReportEntry>& entries, const std::string& source) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>xenrace timeline</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<h1>xenrace timeline";
  if (!source.empty()) out += " &mdash; " + html_text(source);
  out += "</h1>\n";
  std::size_t failing = 0;
  for (const auto& e : entries) failing += e.failed;
  out += fmt::format("<p>{} variant(s), {} failing execution(s) shown below as swimlanes, one column per "
                     "actor, events in trace order.</p>\n",
                     entries.size(), failing);
  render_summary(out, entries);
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].failed) render_failure(out, entries[i], i);
  if (failing == 0) out += "<p class=\"note\">No execution failed, so there is no timeline to show.</p>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace xenrace::reports
