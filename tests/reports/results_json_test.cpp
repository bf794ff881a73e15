#include <gtest/gtest.h>

#include "report_fixtures.hpp"
#include "reports/results_json.hpp"

namespace xenrace::reports {
namespace {

nlohmann::json parsed_results(const std::vector<ReportEntry>& entries) {
  // Through the text, as a reader gets it: the dump must be valid JSON even for hostile trace text.
  return nlohmann::json::parse(dump_json(results_json(entries, {"explore", "9.9.9"})));
}

TEST(ResultsJson, EnvelopeCarriesSchemaAndSummary) {
  auto j = parsed_results(testing::explored_demo_counter());
  EXPECT_EQ(j["schema"], "xenrace-results");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["xenrace_version"], "9.9.9");
  EXPECT_EQ(j["command"], "explore");
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["summary"]["variants"], 2);
  EXPECT_EQ(j["summary"]["failed"], 1);
  EXPECT_EQ(j["summary"]["unmet_expectations"], 0);
  EXPECT_EQ(j["summary"]["all_met"], true);
  EXPECT_EQ(j["files"]["junit"], "junit.xml");
  EXPECT_EQ(j["files"]["timeline"], "timeline.html");
}

TEST(ResultsJson, EveryResultHasTheDocumentedFields) {
  auto j = parsed_results(testing::explored_demo_counter());
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& r : j["results"])
    for (const char* field : {"scenario", "variant", "expect", "verdict", "met_expectation", "seconds", "replay_command",
                              "trace_file", "trace", "executions"})
      EXPECT_TRUE(r.contains(field)) << field << " missing in " << r.dump();
}

TEST(ResultsJson, FailureCarriesItsFullTrace) {
  const auto& buggy = testing::explored_demo_counter()[0];
  auto r = parsed_results({buggy})["results"][0];
  EXPECT_EQ(r["verdict"], "fail");
  EXPECT_EQ(r["violated"], "no lost update");
  EXPECT_EQ(r["trace_file"], "trace-demo-counter-buggy.json");
  EXPECT_EQ(r["replay_command"], buggy.replay_command);
  const auto& trace = r["trace"];
  EXPECT_EQ(trace["actors"], nlohmann::json(buggy.failure.actors));
  ASSERT_EQ(trace["events"].size(), buggy.failure.events.size());
  for (const auto& e : trace["events"])
    for (const char* field : {"step", "time_ns", "actor", "op", "args", "result", "kind", "object"})
      EXPECT_TRUE(e.contains(field)) << field;
  ASSERT_TRUE(trace["racing_pair"].is_array());
  EXPECT_EQ(trace["racing_pair"].size(), 2u);
}

TEST(ResultsJson, PassingVariantHasNullTrace) {
  auto r = parsed_results({testing::explored_demo_counter()[1]})["results"][0];
  EXPECT_EQ(r["verdict"], "pass");
  EXPECT_TRUE(r["trace"].is_null());
  EXPECT_TRUE(r["replay_command"].is_null());
}

TEST(ResultsJson, InvalidUtf8IsReplacedNotFatal) {
  auto j = parsed_results({testing::nasty_entry()});
  const std::string message = j["results"][0]["message"];
  EXPECT_NE(message.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(j["results"][0]["trace_file"], "trace-nasty____scenario_-v_..__variant.json");
}

}  // namespace
}  // namespace xenrace::reports
