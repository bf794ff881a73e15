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
    EXPECT_NE(r.dom.find("<th class=\"lane-head\">" + html_text(actor) + "</th>"), std::string::npos) << actor;
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
      EXPECT_NE(body.find("<th class=\"lane-head\">" + as_serialised(html_text(actor)) + "</th>"), std::string::npos)
          << e.id() << ": no lane for " << actor;
    EXPECT_NE(body.find("violated invariant: " + as_serialised(html_text(e.violated))), std::string::npos) << e.id();
  }
  std::size_t lanes = 0;
  for (auto p = r.dom.find("class=\"lane-head\""); p != std::string::npos; p = r.dom.find("class=\"lane-head\"", p + 1))
    ++lanes;
  EXPECT_EQ(lanes, lanes_expected);
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
  std::size_t lanes = 0;
  for (auto p = r.dom.find("class=\"lane-head\""); p != std::string::npos; p = r.dom.find("class=\"lane-head\"", p + 1))
    ++lanes;
  EXPECT_EQ(lanes, entry.failure.actors.size() + 1);  // + the harness lane for the verdict
}

}  // namespace
}  // namespace xenrace::reports
