#include "reports/html_timeline.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "reports/event_kind.hpp"
#include "reports/racing_pair.hpp"
#include "reports/text_escape.hpp"

namespace xenrace::reports {
namespace {

constexpr std::string_view kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 1.2em 1.5em; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.3em; margin: 0 0 0.3em; } h2 { font-size: 1.15em; margin: 1.2em 0 0.4em; }
h3 { font-size: 1em; margin: 1em 0 0.4em; color: #333; }
code, .lanes td, .seq td, .card .args { font-family: ui-monospace, monospace; font-size: 0.85em; }
table { border-collapse: collapse; }
a { color: #0b57d0; }
.overview { margin: 0 0 0.6em; color: #333; }
.summary td, .summary th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
.met { color: #186a2e; } .unmet { color: #b00020; font-weight: bold; }
.race { border: 2px solid #d12f2f; border-radius: 6px; padding: 0.6em 1em 0.8em; background: #fffafa; }
.race h2 { margin-top: 0; }
.verdict-line { margin: 0.2em 0; }
.badge { display: inline-block; padding: 0.05em 0.5em; border-radius: 3px; color: #fff; background: #b00020;
  font-weight: bold; }
.invariant { margin: 0.3em 0; } .invariant .msg { color: #333; }
.story { margin: 0.4em 0 0.6em; max-width: 75em; }
.pair { display: grid; grid-template-columns: 1fr auto 1fr; gap: 0.6em; align-items: stretch; max-width: 90em; }
.card { display: block; text-decoration: none; color: inherit; border-radius: 5px; padding: 0.5em 0.7em;
  outline: 3px solid #d12f2f; overflow-wrap: anywhere; }
.card .role { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.04em; color: #d12f2f; font-weight: bold; }
.card .who { font-weight: bold; } .card .when { color: #555; font-size: 0.85em; }
.card .op { font-weight: 600; } .card .args { display: block; }
.pair .then { align-self: center; font-size: 1.4em; color: #d12f2f; }
.seq { table-layout: fixed; width: 100%; max-width: 90em; }
.seq th { background: #f2f2f7; border-bottom: 2px solid #999; padding: 0.25em 0.4em; text-align: left; }
.seq td { padding: 0.2em 0.4em; vertical-align: top; overflow-wrap: anywhere; border-left: 1px dashed #ddd; }
.seq th.step, .seq td.step { width: 5em; text-align: right; color: #666; border-left: 0; }
.seq tr.gap td { color: #777; font-style: italic; font-family: system-ui, sans-serif; background: #fafafa;
  border-top: 1px dotted #ccc; border-bottom: 1px dotted #ccc; }
.seq .role { color: #d12f2f; font-weight: bold; font-family: system-ui, sans-serif; }
.replay-line { margin: 0.6em 0 0; }
.legend span { display: inline-block; margin-right: 1em; padding: 0.1em 0.5em; border-radius: 3px; }
.toggles label { margin-right: 1.2em; }
.lanes { width: 100%; table-layout: auto; margin-top: 0.5em; }
.lanes th { position: sticky; top: 0; background: #f2f2f7; border-bottom: 2px solid #999; padding: 0.3em; }
.lanes th.step, .lanes td.step { width: 7em; color: #666; text-align: right; padding-right: 0.6em; }
.lanes td { border-left: 1px dashed #ddd; padding: 0.15em 0.4em; vertical-align: top; overflow-wrap: anywhere; }
.lanes tr.setup, .lanes tr.other, .lanes .other-lane { display: none; }
.show-setup:checked ~ .lanes tr.setup, .show-others:checked ~ .lanes tr.other { display: table-row; }
.show-others:checked ~ .lanes .other-lane { display: table-cell; }
.lanes tr:target td { background: #ffe9a8; }
.ev { border-radius: 3px; }
.xenstore { background: #e3f0ff; } .watch { background: #fff4d6; } .device { background: #e8f6e8; }
.fault { background: #fde2e2; } .verdict-kind { background: #eee; }
.racing { outline: 3px solid #d12f2f; font-weight: bold; }
.lanes td.racing::before { content: "\26A1 race "; color: #d12f2f; }
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
// The full trace's row of event `event` of failure `index`: what the summary panel links to.
std::string row_anchor(std::size_t index, std::size_t event) { return fmt::format("f{}-e{}", index, event); }

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

// What the summary panel of one failing execution shows, read from its trace.
struct RaceView {
  std::optional<RacingPair> pair;
  std::string object;              // the object the pair races on ("" without a pair)
  std::vector<bool> involved;      // per lane (actors, then harness): in the race
  std::size_t setup_end = 0;       // events before this index are the harness's setup
  std::vector<std::size_t> steps;  // the events the sequence view shows, in trace order
};

RaceView race_view(const ExecutionResult& ex) {
  RaceView v;
  const auto& events = ex.events;
  const std::size_t harness = ex.actors.size();
  v.involved.assign(ex.actors.size() + 1, false);
  while (v.setup_end < events.size() && events[v.setup_end].actor >= harness) ++v.setup_end;
  v.pair = find_racing_pair(ex);
  if (!v.pair) {
    v.involved.assign(v.involved.size(), true);  // nothing to single out: every actor stays in view
    return v;
  }
  v.object = event_object(events[v.pair->first]);
  const auto x = events[v.pair->first].actor;
  const auto y = events[v.pair->second].actor;
  v.involved[x] = v.involved[y] = true;
  v.involved[harness] = true;  // the harness's checks and verdict after the setup stay in view
  // The racing actors' accesses to the object, the commits that made their changes visible, the verdict.
  std::vector<bool> keep(events.size(), false);
  std::vector<std::pair<std::size_t, std::string>> open;  // (actor, transaction) with a kept write
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.op == "verdict") keep[i] = true;
    if ((e.actor != x && e.actor != y) || event_object(e) != v.object) continue;
    keep[i] = true;
    if (!transaction_of(e).empty()) open.emplace_back(e.actor, std::string(transaction_of(e)));
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.op != "xs.transaction_end") continue;
    for (const auto& [actor, tx] : open)
      if (actor == e.actor && tx == transaction_of(e)) keep[i] = true;
  }
  for (std::size_t i = 0; i < events.size(); ++i)
    if (keep[i]) v.steps.push_back(i);
  return v;
}

std::string event_cell(const TraceEvent& ev) {
  return fmt::format("<span class=\"op\">{}</span> <span class=\"args\">{}</span> &rarr; <span class=\"result\">{}</span>",
                     html_text(ev.op), html_text(ev.args), html_text(ev.result));
}

void render_card(std::string& out, const ExecutionResult& ex, std::size_t index, std::size_t event,
                 std::string_view role) {
  const auto& ev = ex.events[event];
  out += fmt::format(
      "<a class=\"card ev {}\" href=\"#{}\"><div class=\"role\">{}</div><div class=\"who\">{}</div>"
      "<div class=\"when\">step {} &middot; t={}</div><div><span class=\"op\">{}</span> "
      "<span class=\"args\">{}</span></div><div class=\"result\">&rarr; {}</div></a>\n",
      kind_class(event_kind(ev)), row_anchor(index, event), role, html_text(actor_name(ex, ev)), ev.step,
      short_time(ev.time), html_text(ev.op), html_text(ev.args), html_text(ev.result));
}

// ", committed at step N" when the change was made inside a transaction that committed later.
std::string committed_at(const ExecutionResult& ex, std::size_t change) {
  const auto& c = ex.events[change];
  const std::string_view tx = transaction_of(c);
  if (tx.empty()) return {};
  for (std::size_t k = change + 1; k < ex.events.size(); ++k) {
    const auto& e = ex.events[k];
    if (e.actor == c.actor && e.op == "xs.transaction_end" && transaction_of(e) == tx)
      return e.result == "OK" ? fmt::format(", committed at step {}", e.step) : std::string();
  }
  return {};
}

// One sentence saying what the pair is, in the trace's own names.
std::string story(const ExecutionResult& ex, const RaceView& v) {
  const auto& a = ex.events[v.pair->first];
  const auto& b = ex.events[v.pair->second];
  const std::string who_a = "<b>" + html_text(actor_name(ex, a)) + "</b>";
  const std::string who_b = "<b>" + html_text(actor_name(ex, b)) + "</b>";
  const std::string obj = "<code>" + html_text(v.object) + "</code>";
  if (v.pair->stale_read && v.pair->dependent) {
    const auto& d = ex.events[*v.pair->dependent];
    return fmt::format(
        "{} read {} at step {} and got <code>{}</code>. {} then changed it at step {} (<code>{} {}</code>{}). At "
        "step {}, {} changed it too, going by the value it had read at step {}, which was stale by then.",
        who_a, obj, a.step, html_text(a.result), who_b, b.step, html_text(b.op), html_text(b.args),
        committed_at(ex, v.pair->second), d.step, who_a, a.step);
  }
  return fmt::format(
      "No read went stale before its reader's own write. The last two accesses of one object by different actors "
      "before the verdict: {} at step {} and {} at step {}, both on {}.",
      who_a, a.step, who_b, b.step, obj);
}

// The compact sequence: one column per racing actor, only the events of the race, gaps counted.
void render_sequence(std::string& out, const ExecutionResult& ex, std::size_t index, const RaceView& v) {
  std::vector<std::size_t> columns;
  for (std::size_t a = 0; a < ex.actors.size(); ++a)
    if (v.involved[a]) columns.push_back(a);
  const auto role_of = [&](std::size_t i) -> std::string_view {
    if (i == v.pair->first) return v.pair->stale_read ? "stale read" : "race";
    if (i == v.pair->second) return v.pair->stale_read ? "made it stale" : "race";
    if (v.pair->dependent && i == *v.pair->dependent) return "writes from the stale read";
    return {};
  };
  out += "<table class=\"seq\"><thead><tr><th class=\"step\">step</th>";
  for (auto a : columns) out += fmt::format("<th class=\"seq-head\">{}</th>", html_text(ex.actors[a]));
  out += "</tr></thead><tbody>\n";
  const auto gap = [&](std::size_t from, std::size_t to) {  // events [from, to) not shown
    if (from >= to) return;
    std::vector<std::size_t> per_lane(ex.actors.size() + 1, 0);
    for (std::size_t i = from; i < to; ++i)
      ++per_lane[std::min<std::size_t>(ex.events[i].actor, ex.actors.size())];
    std::string parts;
    for (std::size_t l = 0; l < per_lane.size(); ++l) {
      if (!per_lane[l]) continue;
      const std::string name = l < ex.actors.size() ? ex.actors[l] : (from < v.setup_end ? "harness setup" : "harness");
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", html_text(name), per_lane[l]);
    }
    out += fmt::format("<tr class=\"gap\"><td class=\"step\">&#8942;</td><td colspan=\"{}\">{} event{} not shown "
                       "({}) &mdash; <a href=\"#{}-trace\">full trace</a></td></tr>\n",
                       columns.size(), to - from, to - from == 1 ? "" : "s", parts, anchor(index));
  };
  std::size_t next = 0;
  for (std::size_t i : v.steps) {
    const auto& ev = ex.events[i];
    gap(next, i);
    next = i + 1;
    if (ev.op == "verdict") {
      out += fmt::format("<tr class=\"verdict\"><td colspan=\"{}\">step {}: violated invariant: {} &mdash; {}</td></tr>\n",
                         columns.size() + 1, ev.step, html_text(ev.args), html_text(ev.result));
      continue;
    }
    const bool racing = i == v.pair->first || i == v.pair->second;
    out += fmt::format("<tr><td class=\"step\"><a href=\"#{}\">{}</a></td>", row_anchor(index, i), ev.step);
    for (auto a : columns) {
      if (a != ev.actor) {
        out += "<td></td>";
        continue;
      }
      const auto role = role_of(i);
      out += fmt::format("<td class=\"ev {}{}\">{}{}</td>", kind_class(event_kind(ev)), racing ? " racing" : "",
                         role.empty() ? "" : fmt::format("<span class=\"role\">{}:</span> ", role), event_cell(ev));
    }
    out += "</tr>\n";
  }
  gap(next, ex.events.size());
  out += "</tbody></table>\n";
}

void render_failure(std::string& out, const ReportEntry& e, std::size_t index) {
  const ExecutionResult& ex = e.failure;
  std::vector<std::string> lanes = ex.actors;
  bool harness_lane = false;
  for (const auto& ev : ex.events) harness_lane |= ev.actor >= ex.actors.size();
  if (harness_lane) lanes.push_back("harness");
  const auto lane_of = [&](const TraceEvent& ev) { return ev.actor < ex.actors.size() ? ev.actor : ex.actors.size(); };
  const RaceView v = race_view(ex);
  const auto& pair = v.pair;

  // The summary panel: what broke, the pair side by side, the compact sequence, the replay.
  out += fmt::format("<section class=\"execution\" id=\"{}\">\n<div class=\"race\">\n<h2>{} &mdash; violated: {}</h2>\n",
                     anchor(index), html_text(e.id()), html_text(e.violated));
  out += fmt::format(
      "<p class=\"verdict-line\"><span class=\"badge\">FAIL</span> expected {}: <span class=\"{}\">{}</span>"
      " &middot; found after {} execution{} &middot; {} events, {} actor{}</p>\n",
      to_string(e.expect), e.met_expectation() ? "met" : "unmet",
      e.met_expectation() ? "expectation met" : "expectation NOT MET", e.executions, e.executions == 1 ? "" : "s",
      ex.events.size(), ex.actors.size(), ex.actors.size() == 1 ? "" : "s");
  out += fmt::format("<p class=\"invariant\"><b>Violated invariant:</b> {} &mdash; <span class=\"msg\">{}</span></p>\n",
                     html_text(e.violated), html_text(e.message));
  if (pair) {
    out += "<h3>The racing pair</h3>\n";
    out += fmt::format("<p class=\"story\">{}</p>\n<div class=\"pair\">\n", story(ex, v));
    render_card(out, ex, index, pair->first, pair->stale_read ? "the stale read" : "first access");
    out += "<div class=\"then\">&rarr;</div>\n";
    render_card(out, ex, index, pair->second, pair->stale_read ? "the write that made it stale" : "second access");
    out += "</div>\n<h3>Sequence</h3>\n";
    render_sequence(out, ex, index, v);
  } else {
    out += "<p class=\"note\">No two actors touched the same object, so there is no racing pair to single out; "
           "the full trace is below.</p>\n";
  }
  out += fmt::format("<p class=\"replay-line\">replay: <code class=\"replay\">{}</code></p>\n</div>\n",
                     html_text(e.replay_command));

  // The full trace: every event as swimlanes; setup and the actors outside the race behind toggles.
  std::size_t others = 0;
  std::string other_names;
  for (std::size_t a = 0; a < ex.actors.size(); ++a)
    if (!v.involved[a]) {
      ++others;
      other_names += (other_names.empty() ? "" : ", ") + html_text(ex.actors[a]);
    }
  out += fmt::format("<h3 id=\"{}-trace\">Full trace</h3>\n", anchor(index));
  out += "<p class=\"legend\"><span class=\"xenstore\">XenStore operation</span><span class=\"watch\">watch "
         "delivery</span><span class=\"device\">device operation</span><span class=\"fault\">fault "
         "injection</span></p>\n<div class=\"toggles\">\n";
  if (v.setup_end)
    out += fmt::format("<input type=\"checkbox\" class=\"show-setup\" id=\"{0}-setup\"><label for=\"{0}-setup\">show the "
                       "{1} harness setup row{2}</label>\n",
                       anchor(index), v.setup_end, v.setup_end == 1 ? "" : "s");
  if (others)
    out += fmt::format("<input type=\"checkbox\" class=\"show-others\" id=\"{0}-others\"><label for=\"{0}-others\">show "
                       "the actor{1} outside the race ({2})</label>\n",
                       anchor(index), others == 1 ? "" : "s", other_names);
  out += "<table class=\"lanes\"><thead><tr><th class=\"step\">step / time</th>";
  for (std::size_t l = 0; l < lanes.size(); ++l)
    out += fmt::format("<th class=\"lane-head{}\">{}</th>", v.involved[l] ? "" : " other-lane", html_text(lanes[l]));
  out += "</tr></thead><tbody>\n";
  for (std::size_t i = 0; i < ex.events.size(); ++i) {
    const auto& ev = ex.events[i];
    const bool racing = pair && (i == pair->first || i == pair->second);
    const char* row_class = i < v.setup_end ? " class=\"setup\"" : v.involved[lane_of(ev)] ? "" : " class=\"other\"";
    out += fmt::format("<tr id=\"{}\"{}><td class=\"step\">{}<br>t={}</td>", row_anchor(index, i), row_class, ev.step,
                       short_time(ev.time));
    for (std::size_t l = 0; l < lanes.size(); ++l) {
      const char* other = v.involved[l] ? "" : " class=\"other-lane\"";
      if (l != lane_of(ev)) {
        out += fmt::format("<td{}></td>", other);
        continue;
      }
      out += fmt::format("<td class=\"ev {}{}{}\" data-kind=\"{}\">{}</td>", kind_class(event_kind(ev)),
                         racing ? " racing" : "", v.involved[l] ? "" : " other-lane", to_string(event_kind(ev)),
                         event_cell(ev));
    }
    out += "</tr>\n";
  }
  out += fmt::format("<tr class=\"verdict\"><td colspan=\"{}\">violated invariant: {} &mdash; {}</td></tr>\n",
                     lanes.size() + 1, html_text(e.violated), html_text(e.message));
  out += "</tbody></table>\n</div>\n</section>\n";
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
  // The page opens on the first failing execution's race: only one line stands before it.
  std::size_t failing = 0;
  std::string links;
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].failed) {
      ++failing;
      links += fmt::format("{}<a href=\"#{}\">{}</a>", links.empty() ? "" : " &middot; ", anchor(i),
                           html_text(entries[i].id()));
    }
  out += fmt::format("<p class=\"overview\">{} variant{}, {} failing execution{}{}{} &mdash; <a href=\"#variants\">all "
                     "variants</a></p>\n",
                     entries.size(), entries.size() == 1 ? "" : "s", failing, failing == 1 ? "" : "s",
                     failing ? ": " : "", links);
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i].failed) render_failure(out, entries[i], i);
  if (failing == 0) out += "<p class=\"note\">No execution failed, so there is no timeline to show.</p>\n";
  out += "<h2 id=\"variants\">All variants</h2>\n";
  render_summary(out, entries);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace xenrace::reports
