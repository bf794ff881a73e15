// trace-<scenario>-<variant>.json: a failing execution in the Chrome trace-event format, so it opens in
// Perfetto (ui.perfetto.dev) or chrome://tracing. One process per file, one thread track per actor (the
// harness gets its own track when it recorded events). Timestamps are scheduling steps, shown as
// microseconds: the event at step s starts at ts = s; events sharing a step split it in order. Virtual
// time, arguments and result travel in each event's args. The racing pair is linked by a flow arrow and
// the violated check is a global instant event after the last step.
#pragma once
#include <nlohmann/json.hpp>

#include "reports/report_entry.hpp"

namespace xenrace::reports {

nlohmann::json chrome_trace(const ReportEntry& entry);

}  // namespace xenrace::reports
