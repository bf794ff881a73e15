#include <fmt/format.h>

#include "cli/cli.hpp"

namespace xenrace::cli {

std::string format_time(VirtualTime t) {
  return fmt::format("{}.{:06}s", t / 1000000000ULL, (t % 1000000000ULL) / 1000ULL);
}

namespace {
// `text` as one shell word: as is when it is plain, else single-quoted.
std::string shell_word(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-=:,") ==
                           std::string::npos)
    return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

std::string replay_command(const Context& ctx, const ReplayToken& token) {
  // A scenario from a library replays only with that library loaded: the command says so.
  std::string load;
  if (const Scenario* s = ctx.registry.find(token.scenario))
    if (const std::string& lib = ctx.registry.origin(*s); !lib.empty()) load = " --load " + shell_word(lib);
  return ctx.argv0 + load + " replay " + token.encode();
}

nlohmann::json report_json(const VariantReport& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["variant"] = r.variant;
  j["expect"] = to_string(r.expect);
  j["verdict"] = r.failed ? "fail" : "pass";
  j["met_expectation"] = r.met_expectation();
  j["strategy"] = r.strategy;
  j["seed"] = r.seed;
  j["executions"] = r.executions;
  j["steps"] = r.steps;
  j["replay"] = r.replay ? nlohmann::json(r.replay->encode()) : nlohmann::json(nullptr);
  j["trace_hash"] = format_hash(r.trace_hash);
  j["message"] = r.failed ? r.message : std::string();
  if (r.failed) {
    j["violated"] = r.failure.check;
    j["failure_steps"] = r.failure.steps;
    j["first_failure_steps"] = r.first_failure_steps;
    j["preemptions"] = r.failure.schedule.preemptions();
    j["shrink_runs"] = r.shrink_runs;
  }
  if (r.busiest_pass) {
    j["busiest_pass"] = r.busiest_pass->encode();
    j["busiest_pass_preemptions"] = r.busiest_pass->schedule.preemptions();
  }
  j["exhausted"] = r.exhausted;
  return j;
}

nlohmann::json trace_json(const ExecutionResult& r) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : r.events) {
    events.push_back({{"step", e.step},
                      {"time_ns", e.time},
                      {"actor", e.actor < r.actors.size() ? r.actors[e.actor] : std::string("harness")},
                      {"op", e.op},
                      {"args", e.args},
                      {"result", e.result}});
  }
  return {{"actors", r.actors}, {"events", events}};
}

std::string format_trace(const ExecutionResult& r) {
  std::size_t width = 7;
  for (const auto& a : r.actors) width = std::max(width, a.size());
  std::string out;
  for (const auto& e : r.events) {
    const std::string& actor = e.actor < r.actors.size() ? r.actors[e.actor] : std::string("harness");
    out += fmt::format("  {:>4}  {}  {:<{}}  {:<18} {}  -> {}\n", e.step, format_time(e.time), actor, width, e.op,
                       e.args, e.result);
  }
  return out;
}

}  // namespace xenrace::cli
