// The text form of a trace (reports/trace_text.hpp): polling loops folded to one line, the time column only
// where the virtual clock moves.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace xenrace::reports
