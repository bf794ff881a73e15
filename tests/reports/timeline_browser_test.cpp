// timeline.html in a real browser: headless Chromium loads it from disk (no server), must log nothing to
// the console (a script error, a blocked resource, a CSP violation all show up there), and the rendered
// DOM must show a swimlane for every actor of the trace, the racing pair and the violated check.
// Skipped when Chromium is not installed (Debian package `chromium`).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "report_fixtures.hpp"
#include "reports/html_timeline.hpp"
#include "reports/racing_pair.hpp"
#include "reports/text_escape.hpp"

namespace xenrace::reports {
namespace {

using testing::TempDir;

struct PageLoad {
  int status = -1;
  std::string dom;
  std::string console;  // Chromium's log lines of console messages
};

std::string chromium() { return testing::find_program({"chromium", "chromium-browser", "google-chrome"}); }

PageLoad load(const std::string& browser, const std::string& html) {
  TempDir tmp;
  const auto page = tmp.path() / "timeline.html";
  std::ofstream(page, std::ios::binary) << html;
  const std::string command =
      browser +
      " --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
      " --disable-sync --no-first-run --disable-quic --disable-extensions --user-data-dir='" +
      (tmp.path() / "profile").string() + "' --enable-logging=stderr --v=0 --dump-dom 'file://" + page.string() +
      "' 2>'" + (tmp.path() / "log").string() + "'";
  PageLoad r;
  r.status = testing::run_command(command, r.dom);
  std::istringstream log(testing::read_file(tmp.path() / "log"));
  for (std::string line; std::getline(log, line);)
    if (line.find(":CONSOLE") != std::string::npos) r.console += line + "\n";
  return r;
}

// A lane head for `name` (escaped as in the page): in the race ("lane-head") or behind the toggle for the
// actors outside it ("lane-head other-lane").
bool has_lane(const std::string& dom, const std::string& name) {
  return dom.find("<th class=\"lane-head\">" + name + "</th>") != std::string::npos ||
         dom.find("<th class=\"lane-head other-lane\">" + name + "</th>") != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(TimelineInBrowser, ConsoleMessagesAreDetected) {
  // Proves the check below can fail: a page with a script error is caught.
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  auto r = load(browser, "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.console.find("undefinedFunction"), std::string::npos) << r.console;
}

TEST(TimelineInBrowser, LoadsCleanAndShowsEveryActor) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  const auto& entries = testing::explored_demo_counter();
  auto r = load(browser, html_timeline(entries));
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.console, "") << "the page logged to the console";
  const auto& buggy = entries[0];
  ASSERT_TRUE(buggy.failed);
  for (const auto& actor : buggy.failure.actors)
    EXPECT_TRUE(has_lane(r.dom, html_text(actor))) << actor;
  EXPECT_NE(r.dom.find("ev device racing"), std::string::npos) << "the racing pair is not highlighted";
  EXPECT_NE(r.dom.find("violated invariant: no lost update"), std::string::npos);
}

// What Chromium's --dump-dom serialiser writes for text: only &, < and > stay escaped.
std::string as_serialised(std::string escaped) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"&quot;", "\""}, {"&#39;", "'"}})
    for (auto p = escaped.find(from); p != std::string::npos; p = escaped.find(from, p + to.size()))
      escaped.replace(p, from.size(), to);
  return escaped;
}

TEST(TimelineInBrowser, EveryBuiltinScenarioFailureShowsAllItsActors) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  const auto& entries = testing::explored_builtin_failures();
  auto r = load(browser, html_timeline(entries));
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.console, "");
  std::size_t lanes_expected = 0;
  for (const auto& e : entries) {
    if (!e.failed) continue;  // a budget too small for this race: nothing to draw
    bool harness = false;
    for (const auto& ev : e.failure.events) harness |= ev.actor >= e.failure.actors.size();
    lanes_expected += e.failure.actors.size() + (harness ? 1 : 0);
    const auto section = r.dom.find("<h2>" + as_serialised(html_text(e.id())));
    ASSERT_NE(section, std::string::npos) << e.id();
    const auto end = r.dom.find("</section>", section);
    const std::string body = r.dom.substr(section, end - section);
    for (const auto& actor : e.failure.actors)
      EXPECT_TRUE(has_lane(body, as_serialised(html_text(actor)))) << e.id() << ": no lane for " << actor;
    EXPECT_NE(body.find("violated invariant: " + as_serialised(html_text(e.violated))), std::string::npos) << e.id();
  }
  EXPECT_EQ(count(r.dom, "class=\"lane-head"), lanes_expected);
}

TEST(TimelineInBrowser, HostileTraceTextStaysText) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  auto entry = testing::nasty_entry();
  auto r = load(browser, html_timeline({entry}));
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.console, "");
  // The script in the trace text did not become an element, and both actors have their lane.
  EXPECT_EQ(r.dom.find("<script>alert"), std::string::npos);
  EXPECT_EQ(count(r.dom, "class=\"lane-head"), entry.failure.actors.size() + 1);  // + the harness lane
}

// The page opens on the race: for pci-attach/buggy the summary panel (verdict, the pair side by side, the
// compact sequence of the two racing actors) comes before the first row of the full trace, its links lead
// to rows that exist, and the harness's setup rows and the other actors are behind toggles.
TEST(TimelineInBrowser, OpensOnTheRacingPair) {
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  const ReportEntry* entry = &testing::explored_pci_attach_buggy();
  ASSERT_TRUE(entry->failed);
  auto r = load(browser, html_timeline({*entry}));
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.console, "");
  const auto panel = r.dom.find("<div class=\"race\">");
  const auto lanes = r.dom.find("<table class=\"lanes\">");
  ASSERT_NE(panel, std::string::npos) << "no summary panel";
  ASSERT_NE(lanes, std::string::npos);
  EXPECT_LT(panel, lanes) << "the panel must come before the full trace";
  EXPECT_EQ(r.dom.find("<tr", r.dom.find("<body")), r.dom.find("<tr", panel)) << "a table row before the panel";
  const std::string shown = r.dom.substr(panel, lanes - panel);
  EXPECT_NE(shown.find("Violated invariant:"), std::string::npos);
  EXPECT_NE(shown.find(as_serialised(html_text(entry->violated))), std::string::npos);

  const auto pair = find_racing_pair(entry->failure);
  ASSERT_TRUE(pair && pair->stale_read);
  const auto& read = entry->failure.events[pair->first];
  const auto& write = entry->failure.events[pair->second];
  // Both cards: actor, op and arguments, each linked to its row of the full trace.
  for (auto [index, ev] : {std::pair{pair->first, &read}, std::pair{pair->second, &write}}) {
    const std::string link = "href=\"#f0-e" + std::to_string(index) + "\"";
    const auto card = shown.find("<a class=\"card");
    ASSERT_NE(card, std::string::npos);
    EXPECT_NE(shown.find(link), std::string::npos) << "no link to event " << index;
    EXPECT_NE(r.dom.find("<tr id=\"f0-e" + std::to_string(index) + "\""), std::string::npos) << "no row " << index;
    EXPECT_NE(shown.find(as_serialised(html_text(actor_name(entry->failure, *ev)))), std::string::npos);
    EXPECT_NE(shown.find(as_serialised(html_text(ev->args))), std::string::npos);
  }
  EXPECT_NE(shown.find("the stale read"), std::string::npos);
  EXPECT_NE(shown.find("the write that made it stale"), std::string::npos);
  // The sequence: one column per racing actor only, far fewer rows than the trace.
  EXPECT_EQ(count(shown, "class=\"seq-head\""), 2u);
  EXPECT_LT(count(shown, "<tr"), entry->failure.events.size() / 4);
  // Setup rows and the actors outside the race are in the full trace but hidden until toggled.
  std::size_t setup = 0;
  while (setup < entry->failure.events.size() && entry->failure.events[setup].actor >= entry->failure.actors.size())
    ++setup;
  ASSERT_GT(setup, 0u);
  EXPECT_EQ(count(r.dom, "class=\"setup\""), setup);
  EXPECT_NE(r.dom.find(".lanes tr.setup, .lanes tr.other, .lanes .other-lane { display: none; }"), std::string::npos);
  EXPECT_NE(r.dom.find("type=\"checkbox\" class=\"show-setup\""), std::string::npos);
  EXPECT_NE(r.dom.find("type=\"checkbox\" class=\"show-others\""), std::string::npos);
  EXPECT_EQ(count(r.dom, "<th class=\"lane-head other-lane\">"), entry->failure.actors.size() - 2);
}

}  // namespace
}  // namespace xenrace::reports
