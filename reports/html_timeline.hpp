// timeline.html: one self-contained page (inline CSS, no script, no external resource; a Content
// Security Policy forbids loading anything) that a developer opens from disk. It lists every variant's
// verdict, then shows each failing execution as swimlanes: one column per actor, one row per event in
// trace order, coloured by kind (XenStore operation, watch delivery, device operation, fault injection),
// the racing pair highlighted, and the violated check with the replay command as the last row.
#pragma once
#include <string>
#include <vector>

#include "reports/report_entry.hpp"

namespace xenrace::reports {

// `source`: what produced the executions ("explore", "compare (host replay)", ...), shown in the heading so a
// page of host executions is not mistaken for the simulator's.
std::string html_timeline(const std::vector<ReportEntry>& entries, const std::string& source = "");

}  // namespace xenrace::reports
