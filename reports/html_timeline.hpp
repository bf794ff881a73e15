// timeline.html: one self-contained page (inline CSS, no script, no external resource; a Content
// Security Policy forbids loading anything) that a developer opens from disk. Each failing execution opens
// on a summary panel: the verdict, the violated invariant, the racing pair side by side and a compact
// sequence of the racing actors' steps that matter, linked to the full trace below it. The full trace is
// swimlanes: one column per actor, one row per event in trace order, coloured by kind (XenStore operation,
// watch delivery, device operation, fault injection), the racing pair highlighted, the violated check as the
// last row; the harness's setup rows and the actors outside the race are behind CSS-only toggles. A table of
// every variant's verdict ends the page.
#pragma once
#include <string>
#include <vector>

#include "reports/report_entry.hpp"

namespace xenrace::reports {

// `source`: what produced the executions ("explore", "compare (host replay)", ...), shown in the heading so a
// page of host executions is not mistaken for the simulator's.
std::string html_timeline(const std::vector<ReportEntry>& entries, const std::string& source = "");

}  // namespace xenrace::reports
