// The text form of a trace (reports/trace_text.hpp): polling loops folded to one line, the time column only
// where the virtual clock moves.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "report_fixtures.hpp"
#include "reports/event_kind.hpp"
#include "reports/trace_text.hpp"

namespace xenrace::reports {
namespace {

TraceEvent ev(std::uint64_t step, ActorId actor, std::string op, std::string result, VirtualTime time = 0) {
  return {step, actor, time, std::move(op), "/a", std::move(result)};
}

ExecutionResult trace(std::vector<TraceEvent> events) {
  ExecutionResult r;
  r.actors = {"poller", "writer"};
  r.events = std::move(events);
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  return out;
}

TEST(ReportTraceText, RepeatsOfOneEventAreOneLine) {
  std::vector<TraceEvent> e;
  for (std::uint64_t i = 0; i < 5; ++i) e.push_back(ev(i, 0, "xs.read", "ENOENT"));
  e.push_back(ev(5, 1, "xs.write", "OK"));
  const auto runs = fold_repeats(e);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].length, 1u);
  EXPECT_EQ(runs[0].repeats, 5u);
  EXPECT_EQ(runs[1].first, 5u);
  EXPECT_EQ(runs[1].repeats, 1u);
  const auto text = lines(trace_text(trace(e)));
  ASSERT_EQ(text.size(), 2u);
  EXPECT_NE(text[0].find("xs.read"), std::string::npos);
  EXPECT_NE(text[0].find("…×5 (to step 4)"), std::string::npos) << text[0];
}

TEST(ReportTraceText, ACycleOfEventsIsPrintedOnceWithItsCount) {
  std::vector<TraceEvent> e;
  std::uint64_t step = 0;
  for (int i = 0; i < 4; ++i) {
    e.push_back(ev(step++, 0, "xs.read", "ENOENT"));
    e.push_back(ev(step++, 0, "xs.read_watch", "timeout"));
  }
  e.push_back(ev(step, 1, "xs.write", "OK"));
  const auto runs = fold_repeats(e);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].length, 2u);
  EXPECT_EQ(runs[0].repeats, 4u);
  const auto text = lines(trace_text(trace(e)));
  ASSERT_EQ(text.size(), 4u);
  EXPECT_NE(text[2].find("…×4 (the 2 lines above, to step 7)"), std::string::npos) << text[2];
  EXPECT_NE(text[3].find("xs.write"), std::string::npos);
}

TEST(ReportTraceText, EventsThatDifferInAnyFieldAreNotFolded) {
  std::vector<TraceEvent> e = {ev(0, 0, "xs.read", "ENOENT"), ev(1, 1, "xs.read", "ENOENT"),
                               ev(2, 0, "xs.read", "0"), ev(3, 0, "xs.write", "0")};
  e.push_back(e.back());
  e.back().args = "/b";
  EXPECT_EQ(fold_repeats(e).size(), e.size());
  TraceTextOptions every;
  every.fold = false;
  std::vector<TraceEvent> same(3, ev(0, 0, "xs.read", "ENOENT"));
  EXPECT_EQ(lines(trace_text(trace(same), every)).size(), 3u);
  EXPECT_EQ(lines(trace_text(trace(same))).size(), 1u);
}

TEST(ReportTraceText, NoTimeColumnWhileTheClockStandsStill) {
  const auto text = trace_text(trace({ev(0, 0, "xs.read", "ENOENT"), ev(1, 1, "xs.write", "OK")}));
  EXPECT_EQ(text.find("0.000000s"), std::string::npos) << text;
  EXPECT_EQ(text.rfind("     0  poller", 0), 0u) << "the actor follows the step: " << text;
}

TEST(ReportTraceText, TheTimeIsShownWhereTheClockMoves) {
  const auto text = lines(trace_text(trace({ev(0, 0, "a", "1"), ev(1, 0, "b", "2"), ev(2, 0, "c", "3", 2500000000),
                                            ev(3, 0, "d", "4", 2500000000)})));
  ASSERT_EQ(text.size(), 4u);
  EXPECT_NE(text[0].find("0.000000s"), std::string::npos) << text[0];
  EXPECT_EQ(text[1].find(".000000s"), std::string::npos) << text[1];
  EXPECT_NE(text[2].find("2.500000s"), std::string::npos) << text[2];
  EXPECT_EQ(text[3].find("2.500000s"), std::string::npos) << text[3];
  EXPECT_EQ(text[1].find("poller"), text[0].find("poller"));
  EXPECT_EQ(text[1].find("poller"), text[2].find("poller")) << "the columns stay aligned";
}

TEST(ReportTraceText, AFoldedLoopSaysWhereTheClockGotTo) {
  std::vector<TraceEvent> e;
  for (std::uint64_t i = 0; i < 3; ++i) e.push_back(ev(i, 0, "xs.read", "ENOENT", i * 1000000000));
  const auto text = lines(trace_text(trace(e)));
  ASSERT_EQ(text.size(), 1u);
  EXPECT_NE(text[0].find("…×3 (to step 2, 2.000000s)"), std::string::npos) << text[0];
}

// The line of `text` that shows step `step` first (trace lines start with the step after the indent).
std::string line_of_step(const std::string& text, std::uint64_t step) {
  for (const auto& l : lines(text)) {
    const auto start = l.find_first_not_of(' ');
    if (start != std::string::npos && l.compare(start, std::to_string(step).size() + 1, std::to_string(step) + " ") == 0)
      return l;
  }
  return "";
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A lost update, built by hand: the poller reads /a, the writer changes it, the poller writes from its read.
TEST(ReportTraceText, AFailureMarksTheStaleReadTheWriteThatMadeItStaleAndTheUse) {
  ExecutionResult r;
  r.outcome = Outcome::invariant_violated;
  r.check = "no lost update";
  r.actors = {"poller", "writer"};
  r.events = {{0, 0, 0, "xs.read", "/a", "1"},      {1, 1, 0, "xs.read", "/b", "ENOENT"},
              {2, 1, 0, "xs.read", "/b", "ENOENT"}, {3, 1, 0, "xs.read", "/b", "ENOENT"},
              {4, 1, 0, "xs.write", "/a=2", "OK"},  {5, 0, 0, "xs.write", "/a=2", "OK"},
              {5, kNoActor, 0, "verdict", "no lost update", "x"}};
  const std::string text = trace_text(r);
  EXPECT_NE(line_of_step(text, 0).find("xs.read"), std::string::npos) << text;
  EXPECT_TRUE(line_of_step(text, 0).ends_with("  <- the stale read")) << text;
  EXPECT_TRUE(line_of_step(text, 4).ends_with("-> OK  <- made it stale")) << text;
  EXPECT_TRUE(line_of_step(text, 5).ends_with("-> OK  <- uses the stale value (read at step 0)")) << text;
  EXPECT_EQ(count(text, "<- "), 3u) << text;
  EXPECT_NE(text.find("…×3"), std::string::npos) << "unmarked repeats still fold: " << text;
  EXPECT_EQ(race_summary(r),
            "stale read at step 0 (poller: xs.read /a -> 1), made stale at step 4 by writer (xs.write /a=2), used at "
            "step 5 (xs.write /a=2)");
  // Byte for byte the same each time; no marks when asked for none, nor on a passing run.
  EXPECT_EQ(trace_text(r), text);
  TraceTextOptions plain;
  plain.mark_race = false;
  EXPECT_EQ(trace_text(r, plain).find("<- "), std::string::npos);
  r.outcome = Outcome::passed;
  EXPECT_EQ(trace_text(r).find("<- "), std::string::npos);
  EXPECT_EQ(race_summary(r), "");
}

TEST(ReportTraceText, AMarkedEventIsNeverFoldedIntoARepeat) {
  ExecutionResult r;
  r.outcome = Outcome::invariant_violated;
  r.actors = {"poller", "writer"};
  // Three identical reads; the last is the stale one. Folding them all would hide the mark.
  r.events = {{0, 0, 0, "xs.read", "/a", "1"}, {1, 0, 0, "xs.read", "/a", "1"}, {2, 0, 0, "xs.read", "/a", "1"},
              {3, 1, 0, "xs.write", "/a=2", "OK"}, {4, 0, 0, "xs.write", "/a=2", "OK"}};
  const auto text = lines(trace_text(r));
  ASSERT_EQ(text.size(), 4u) << trace_text(r);
  EXPECT_NE(text[0].find("…×2 (to step 1)"), std::string::npos) << text[0];
  EXPECT_TRUE(text[1].ends_with("<- the stale read")) << text[1];
}

TEST(ReportTraceText, WithoutAStaleReadBothEndsOfTheRacingPairAreMarked) {
  ExecutionResult r;
  r.outcome = Outcome::invariant_violated;
  r.actors = {"poller", "writer"};
  r.events = {{0, 0, 0, "xs.write", "/a=1", "OK"}, {1, 1, 0, "xs.write", "/a=2", "OK"}};
  const std::string text = trace_text(r);
  EXPECT_TRUE(line_of_step(text, 0).ends_with("<- races with step 1")) << text;
  EXPECT_TRUE(line_of_step(text, 1).ends_with("<- races with step 0")) << text;
  EXPECT_EQ(race_summary(r), "racing pair: step 0 (poller: xs.write /a=1 -> OK) and step 1 (writer: xs.write /a=2 -> OK)");
}

// A real witness: demo-counter/buggy's shrunk failure. Its marks sit on a get, the other client's put that
// changed the counter after it, and the reader's own put with no get of its own in between.
TEST(ReportTraceText, DemoCounterWitnessMarksTheLostUpdate) {
  const auto& buggy = testing::explored_demo_counter()[0];
  ASSERT_TRUE(buggy.failed);
  const ExecutionResult& ex = buggy.failure;
  const auto marks = race_marks(ex);
  ASSERT_EQ(marks.size(), 3u);
  const auto& read = ex.events[marks[0].event];
  const auto& stale = ex.events[marks[1].event];
  const auto& use = ex.events[marks[2].event];
  EXPECT_EQ(marks[0].text, "the stale read");
  EXPECT_EQ(marks[1].text, "made it stale");
  EXPECT_EQ(marks[2].text, "uses the stale value (read at step " + std::to_string(read.step) + ")");
  EXPECT_EQ(read.op, "map.get");
  EXPECT_EQ(stale.op, "map.put");
  EXPECT_EQ(use.op, "map.put");
  EXPECT_NE(stale.actor, read.actor);
  EXPECT_EQ(use.actor, read.actor);
  EXPECT_NE(stale.args, "counter=" + read.result);
  EXPECT_EQ(use.args, "counter=" + std::to_string(std::stoi(read.result) + 1)) << "built on the value read";
  for (std::size_t i = marks[0].event + 1; i < marks[2].event; ++i)
    EXPECT_FALSE(ex.events[i].actor == read.actor && ex.events[i].op == "map.get") << "read again at " << i;
  const std::string text = trace_text(ex);
  EXPECT_TRUE(line_of_step(text, read.step).ends_with("  <- the stale read")) << text;
  EXPECT_TRUE(line_of_step(text, stale.step).ends_with("  <- made it stale")) << text;
  EXPECT_TRUE(line_of_step(text, use.step).ends_with("  <- uses the stale value (read at step " +
                                                     std::to_string(read.step) + ")"))
      << text;
  EXPECT_EQ(race_summary(ex).rfind(fmt::format("stale read at step {} (client ", read.step), 0), 0u) << race_summary(ex);
}

// pci-attach/buggy: the stale read is the attach's num_devs read outside its transaction, the other attach's
// commit made it stale, and the first attach's write of num_devs uses it.
TEST(ReportTraceText, PciAttachWitnessMarksTheStaleNumDevs) {
  const ReportEntry* entry = &testing::explored_pci_attach_buggy();
  ASSERT_TRUE(entry->failed);
  const ExecutionResult& ex = entry->failure;
  const auto marks = race_marks(ex);
  ASSERT_EQ(marks.size(), 3u);
  const std::string num_devs = "/local/domain/0/backend/pci/1/0/num_devs";
  const auto& read = ex.events[marks[0].event];
  const auto& stale = ex.events[marks[1].event];
  const auto& use = ex.events[marks[2].event];
  EXPECT_EQ(read.op, "xs.read");
  EXPECT_EQ(read.args, num_devs);
  EXPECT_EQ(event_object(stale), num_devs);
  EXPECT_EQ(event_object(use), num_devs);
  EXPECT_NE(stale.actor, read.actor);
  EXPECT_EQ(use.actor, read.actor);
  EXPECT_LT(read.step, stale.step);
  EXPECT_LE(stale.step, use.step);
  const std::string text = trace_text(ex);
  EXPECT_TRUE(line_of_step(text, read.step).ends_with("  <- the stale read")) << text;
  const std::string summary = race_summary(ex);
  EXPECT_EQ(summary.rfind(fmt::format("stale read at step {} (xl pci-attach ", read.step), 0), 0u) << summary;
  EXPECT_NE(summary.find(fmt::format("made stale at step {} by xl pci-attach ", stale.step)), std::string::npos)
      << summary;
  EXPECT_NE(summary.find(fmt::format("used at step {} (", use.step)), std::string::npos) << summary;
}

}  // namespace
}  // namespace xenrace::reports
