// A replay checked against the trace it should reproduce, step by step. The replay token carries the recorded
// execution's fingerprint (its step count and trace hash), so a replay that went elsewhere is always reported;
// with the recording itself (a report's results.json, or what `explore --json` and `replay --json` print), the
// report also says where: the first step whose actor and operation (with its arguments and result) differ.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/execution.hpp"

namespace xenrace::reports {

// The recorded trace of the execution `token` names, from `document`: results.json (the result whose replay is
// `token`, else the failing result of the same scenario and variant) or one `--json` object with a "trace".
// nullopt with `why` when the document holds none or is not one of these. `scenario`/`variant` identify the
// token's execution.
std::optional<nlohmann::json> find_recorded_trace(const nlohmann::json& document, std::string_view token,
                                                  std::string_view scenario, std::string_view variant,
                                                  std::string* why);

// "" when `replayed` has the recorded trace's events (step, actor, operation, arguments, result), else the
// first difference: "step 12: recorded `udisksd loop.configure loop0 ... -> OK`, replayed `...`", or where one
// of them ended before the other. Throws std::invalid_argument, naming the field, for a malformed trace.
std::string first_difference(const nlohmann::json& recorded, const ExecutionResult& replayed);

// The same check as the replay runs: keep_going() looks at the events the trace gained since it last looked,
// and answers false at the first one that differs from the recording (or goes past its end), so the replay
// can stop there. A malformed recording also answers false; first_difference then names what is wrong.
class StepByStepCheck {
 public:
  explicit StepByStepCheck(const nlohmann::json& recorded) : recorded_(recorded) {}
  bool keep_going(const Trace& trace);
  bool stopped() const { return stopped_; }

 private:
  const nlohmann::json& recorded_;
  std::size_t checked_ = 0;
  bool stopped_ = false;
};

}  // namespace xenrace::reports
