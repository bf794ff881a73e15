#include <gtest/gtest.h>

#include <fstream>

#include "report_fixtures.hpp"
#include "reports/junit_report.hpp"

namespace xenrace::reports {
namespace {

using testing::TempDir;

// xmllint (libxml2-utils) checks well-formedness, and validity against junit.xsd. Without it the
// structural tests below still run; the validation tests skip saying why.
struct XmlCheck {
  int status;
  std::string output;
};
XmlCheck xmllint(const std::string& xml, bool with_schema) {
  TempDir dir;
  const auto file = dir.path() / "junit.xml";
  std::ofstream(file, std::ios::binary) << xml;
  std::string command = "xmllint --noout --nonet ";
  if (with_schema) command += std::string("--schema '") + XENRACE_JUNIT_XSD + "' ";
  XmlCheck c;
  c.status = testing::run_command(command + "'" + file.string() + "' 2>&1", c.output);
  return c;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(JunitReport, OneTestcasePerVariantAndExpectedFailuresPass) {
  const std::string xml = junit_xml(testing::explored_demo_counter());
  EXPECT_EQ(count(xml, "<testsuite "), 1u);
  EXPECT_EQ(count(xml, "<testcase "), 2u);
  EXPECT_NE(xml.find("name=\"buggy\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"fixed\""), std::string::npos);
  // The buggy variant failed as it should: no <failure>, but the check and replay are in system-out.
  EXPECT_EQ(xml.find("<failure"), std::string::npos);
  EXPECT_NE(xml.find("violated: no lost update"), std::string::npos);
  EXPECT_NE(xml.find("replay: xenrace replay xr1-"), std::string::npos);
}

TEST(JunitReport, UnmetExpectationCarriesCheckTraceAndReplay) {
  ReportEntry unexpected = testing::explored_demo_counter()[0];
  unexpected.expect = Expect::pass;  // as if the fixed code had regressed
  const std::string xml = junit_xml({unexpected});
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  const auto failure = xml.find("<failure message=\"violated: no lost update");
  ASSERT_NE(failure, std::string::npos) << xml;
  const std::string body = xml.substr(failure, xml.find("</failure>") - failure);
  EXPECT_NE(body.find("map.put"), std::string::npos);
  EXPECT_NE(body.find("client A"), std::string::npos);
  EXPECT_NE(body.find("replay: xenrace replay xr1-"), std::string::npos);
  // The trace marks where it went wrong, and says it in one line before the trace.
  EXPECT_NE(body.find("\nstale read at step "), std::string::npos) << body;
  EXPECT_EQ(count(body, "&lt;- the stale read\n"), 1u) << body;
  EXPECT_EQ(count(body, "&lt;- made it stale\n"), 1u) << body;
  EXPECT_EQ(count(body, "&lt;- uses the stale value (read at step "), 1u) << body;
}

TEST(JunitReport, RaceNotFoundIsAFailure) {
  ReportEntry missed = testing::explored_demo_counter()[1];
  missed.expect = Expect::fail;
  const std::string xml = junit_xml({missed});
  EXPECT_NE(xml.find("type=\"race-not-found\""), std::string::npos);
}

TEST(JunitReport, NastyTextLeavesOnlyEscapedCharacters) {
  const std::string xml = junit_xml({testing::nasty_entry()});
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_EQ(xml.find('\r'), std::string::npos);
  EXPECT_EQ(xml.find("\xEF\xBF\xBE"), std::string::npos);
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_EQ(xml.find("<a href"), std::string::npos);
}

TEST(JunitReport, WellFormedAndValidAgainstTheSchema) {
  if (testing::find_program({"xmllint"}).empty()) GTEST_SKIP() << "xmllint not installed (Debian libxml2-utils)";
  for (const auto& entries : {testing::explored_demo_counter(), std::vector<ReportEntry>{testing::nasty_entry()}}) {
    const std::string xml = junit_xml(entries);
    auto wellformed = xmllint(xml, false);
    EXPECT_EQ(wellformed.status, 0) << wellformed.output << "\n" << xml;
    auto valid = xmllint(xml, true);
    EXPECT_EQ(valid.status, 0) << valid.output << "\n" << xml;
  }
}

TEST(JunitReport, TheCheckerRejectsBrokenXml) {
  // Proves the validation above can fail: raw control characters and a missing attribute are caught.
  if (testing::find_program({"xmllint"}).empty()) GTEST_SKIP() << "xmllint not installed (Debian libxml2-utils)";
  EXPECT_NE(xmllint("<testsuites><testsuite name=\"a\x01\"/></testsuites>", false).status, 0);
  EXPECT_NE(xmllint("<testsuites><testsuite name=\"a\"/></testsuites>", true).status, 0);
}

// GitLab and Jenkins (junit-attachments) link a testcase to a file named on a line of its own in its
// system-out: the failing execution's timeline. A passing variant has no timeline to point at.
TEST(JunitReport, FailingTestcaseAttachesTheTimeline) {
  const std::string xml = junit_xml(testing::explored_demo_counter(), "out dir/timeline.html");
  const auto buggy = xml.find("name=\"buggy\"");
  const auto fixed = xml.find("name=\"fixed\"");
  ASSERT_NE(buggy, std::string::npos);
  ASSERT_NE(fixed, std::string::npos);
  const auto out_start = xml.find("<system-out>", buggy);
  const auto out_end = xml.find("</system-out>", buggy);
  ASSERT_LT(out_start, out_end);
  const std::string out = xml.substr(out_start, out_end - out_start);
  EXPECT_NE(out.find("\n[[ATTACHMENT|out dir/timeline.html]]\n"), std::string::npos) << out;
  EXPECT_EQ(count(xml, "[[ATTACHMENT|"), 1u) << "only the failing testcase has a timeline";
  EXPECT_EQ(count(junit_xml(testing::explored_demo_counter()), "[[ATTACHMENT|"), 0u) << "no path, no line";
}

}  // namespace
}  // namespace xenrace::reports
