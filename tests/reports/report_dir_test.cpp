#include <gtest/gtest.h>

#include <fstream>

#include "report_fixtures.hpp"
#include "reports/report_dir.hpp"

namespace xenrace::reports {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ReportDir, WritesTheFourKindsOfReportAndNothingElse) {
  TempDir tmp;
  ReportDir dir(tmp.path() / "new" / "nested");  // created when missing
  auto written = dir.write(testing::explored_demo_counter(), {"explore", "0.1.0"});
  EXPECT_EQ(written.size(), 4u);
  EXPECT_EQ(names_in(dir.path()),
            (std::vector<std::string>{"junit.xml", "results.json", "timeline.html", "trace-demo-counter-buggy.json"}));
  auto results = nlohmann::json::parse(testing::read_file(dir.path() / "results.json"));
  EXPECT_EQ(results["complete"], true);
  // The failing testcase points at the timeline by the directory's path as given (relative stays relative,
  // which is what GitLab wants: relative to the job's directory).
  EXPECT_NE(testing::read_file(dir.path() / "junit.xml")
                .find("[[ATTACHMENT|" + (dir.path() / "timeline.html").string() + "]]"),
            std::string::npos);
}

TEST(ReportDir, ADirectoryThatCannotBeCreatedIsAnErrorNamingIt) {
  TempDir tmp;
  std::ofstream(tmp.path() / "a-file") << "x";
  const fs::path bad = tmp.path() / "a-file" / "reports";
  try {
    ReportDir dir(bad);
    FAIL() << "expected ReportDirError";
  } catch (const ReportDirError& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
}

TEST(ReportDir, AFileInPlaceOfTheDirectoryIsAnError) {
  TempDir tmp;
  std::ofstream(tmp.path() / "a-file") << "x";
  EXPECT_THROW(ReportDir(tmp.path() / "a-file"), ReportDirError);
}

TEST(ReportDir, AFailedWriteLeavesNoPartialReport) {
  TempDir tmp;
  ReportDir dir(tmp.path() / "out");
  // A directory squatting on junit.xml makes its rename fail after the traces were written.
  fs::create_directories(dir.path() / "junit.xml" / "occupied");
  EXPECT_THROW(dir.write(testing::explored_demo_counter(), {"explore", "0.1.0"}), ReportDirError);
  for (const auto& name : names_in(dir.path())) {
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << "temporary left behind: " << name;
    EXPECT_NE(name, "results.json") << "an index vouches for an incomplete report";
  }
}

TEST(ReportDir, AnOldIndexIsReplacedNotKept) {
  TempDir tmp;
  ReportDir dir(tmp.path());
  std::ofstream(tmp.path() / "results.json") << "{\"stale\": true}";
  dir.write(testing::explored_demo_counter(), {"explore", "0.1.0"});
  auto results = nlohmann::json::parse(testing::read_file(tmp.path() / "results.json"));
  EXPECT_FALSE(results.contains("stale"));
}

}  // namespace
}  // namespace xenrace::reports
