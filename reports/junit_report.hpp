// junit.xml: one <testsuite> per scenario, one <testcase> per variant, in the JUnit XML dialect that
// Jenkins, GitLab and GitHub Actions test reporters read. A testcase fails when the variant did not meet
// its expectation: its <failure> carries the violated check, the shrunk trace and the replay command (or,
// for a buggy variant whose race was not found, the budget spent). A buggy variant whose race was found
// as expected passes; its <system-out> still carries the violated check, trace and replay command.
#pragma once
#include <string>
#include <vector>

#include "reports/report_entry.hpp"

namespace xenrace::reports {

// `timeline`: the path of timeline.html as the CI job sees it (relative to the job's directory); a failing
// execution's testcase names it on a line `[[ATTACHMENT|PATH]]` of its system-out, which GitLab's test report
// and Jenkins' junit-attachments plugin show as a link. Empty: no such line.
std::string junit_xml(const std::vector<ReportEntry>& entries, const std::string& timeline = "");

// The text a failure shows: the violated check, the trace one event per line, the replay command.
std::string failure_text(const ReportEntry& entry);

}  // namespace xenrace::reports
