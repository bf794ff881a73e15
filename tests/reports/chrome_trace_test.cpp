#include <gtest/gtest.h>

#include <map>
#include <set>

#include "report_fixtures.hpp"
#include "reports/chrome_trace.hpp"
#include "reports/results_json.hpp"

namespace xenrace::reports {
namespace {

nlohmann::json parsed_trace(const ReportEntry& entry) { return nlohmann::json::parse(dump_json(chrome_trace(entry))); }

TEST(ChromeTrace, OneNamedTrackPerActor) {
  const auto& buggy = testing::explored_demo_counter()[0];
  auto j = parsed_trace(buggy);
  ASSERT_TRUE(j["traceEvents"].is_array());
  std::set<std::string> thread_names;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name") thread_names.insert(e["args"]["name"].get<std::string>());
  for (const auto& actor : buggy.failure.actors) EXPECT_TRUE(thread_names.count(actor)) << actor;
}

TEST(ChromeTrace, EventsAreCompleteSlicesInTraceOrderPerTrack) {
  const auto& buggy = testing::explored_demo_counter()[0];
  auto j = parsed_trace(buggy);
  std::size_t slices = 0;
  std::map<int, double> last_end;
  for (const auto& e : j["traceEvents"]) {
    for (const char* field : {"ph", "pid", "name"}) ASSERT_TRUE(e.contains(field)) << e.dump();
    if (e["ph"] != "X") continue;
    ++slices;
    ASSERT_TRUE(e["ts"].is_number() && e["dur"].is_number()) << e.dump();
    const int tid = e["tid"];
    const double ts = e["ts"];
    EXPECT_GE(ts, last_end[tid]) << "slices overlap on track " << tid;
    last_end[tid] = ts + e["dur"].get<double>();
    EXPECT_TRUE(e["args"].contains("virtual_time_ns"));
  }
  EXPECT_EQ(slices, buggy.failure.events.size());
}

TEST(ChromeTrace, RacingPairIsAFlowAndTheVerdictAnInstant) {
  auto j = parsed_trace(testing::explored_demo_counter()[0]);
  int flow_start = 0, flow_end = 0, verdicts = 0;
  for (const auto& e : j["traceEvents"]) {
    flow_start += e["ph"] == "s";
    flow_end += e["ph"] == "f";
    verdicts += e["ph"] == "i" && e["name"] == "violated: no lost update";
  }
  EXPECT_EQ(flow_start, 1);
  EXPECT_EQ(flow_end, 1);
  EXPECT_EQ(verdicts, 1);
}

TEST(ChromeTrace, HarnessEventsGetTheirOwnTrack) {
  auto j = parsed_trace(testing::nasty_entry());
  bool harness = false;
  for (const auto& e : j["traceEvents"])
    harness |= e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == "harness";
  EXPECT_TRUE(harness);
}

// The Trace Event Format's timestamps are microseconds; displayTimeUnit says how a viewer shows them. A
// step is shown as one millisecond, so the declared unit must be "ms" and an event at step s must start in
// [s ms, s+1 ms): ts in [1000 s, 1000 (s+1)) microseconds.
TEST(ChromeTrace, DeclaredUnitAgreesWithTheTimestamps) {
  const auto& buggy = testing::explored_demo_counter()[0];
  for (const auto& entry : {buggy, testing::nasty_entry()}) {
    auto j = parsed_trace(entry);
    EXPECT_EQ(j["displayTimeUnit"], "ms");
    std::size_t slices = 0;
    for (const auto& e : j["traceEvents"]) {
      if (e["ph"] != "X") continue;
      ++slices;
      const double step = e["args"]["step"].get<double>();
      const double ts = e["ts"].get<double>();
      EXPECT_GE(ts, 1000 * step) << e.dump();
      EXPECT_LT(ts + e["dur"].get<double>(), 1000 * (step + 1)) << e.dump();
    }
    EXPECT_EQ(slices, entry.failure.events.size());
  }
}

}  // namespace
}  // namespace xenrace::reports
