#include <fmt/format.h>

#include "cli/cli.hpp"
#include "cli/progress.hpp"
#include "reports/trace_text.hpp"

namespace xenrace::cli {

std::string format_time(VirtualTime t) { return reports::format_virtual_time(t); }

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
  j["verdict"] = !r.skipped.empty() ? "skipped" : r.failed ? "fail" : "pass";
  // A variant that could not run here neither met nor missed its expectation: null, not false.
  j["met_expectation"] = r.skipped.empty() ? nlohmann::json(r.met_expectation()) : nlohmann::json(nullptr);
  j["strategy"] = r.strategy;
  j["seed"] = r.seed;
  j["executions"] = r.executions;
  j["pruned"] = r.pruned;
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
    j["shrink_budget"] = r.shrink_budget;
    j["shrink_cut_short"] = r.shrink_cut_short;
    j["fewer"] = r.fewer;
    j["also_fails"] = r.also_fails;
    j["count_runs"] = r.count_runs;
  }
  if (r.busiest_pass) {
    j["busiest_pass"] = r.busiest_pass->encode();
    j["busiest_pass_preemptions"] = r.busiest_pass->schedule.preemptions();
  }
  j["exhausted"] = r.exhausted;
  // What the verdict shows, and what the search was: enough for `xenrace merge` to put shards together.
  j["shown"] = shown(r);
  j["shown_text"] = r.failed ? std::string() : shown_text(r);
  j["exhaustive"] = r.exhaustive;
  j["scope"] = r.scope;
  j["budget"] = r.budget;
  j["first_index"] = r.first_index;
  j["shard"] = r.sharded() ? nlohmann::json(fmt::format("{}/{}", r.shard_index + 1, r.shard_count)) : nlohmann::json(nullptr);
  j["verify"] = r.verifying;
  j["unbounded_unfinished_after"] =
      r.unbounded_unfinished_after ? nlohmann::json(r.unbounded_unfinished_after) : nlohmann::json(nullptr);
  j["skip_reason"] = r.skipped;
  j["not_modelled"] = r.not_modelled;
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

std::string format_trace(const ExecutionResult& r, bool fold) {
  reports::TraceTextOptions options;
  options.fold = fold;
  return reports::trace_text(r, options);
}

namespace {
std::string executions(std::uint64_t n) { return fmt::format("{} execution{}", n, n == 1 ? "" : "s"); }
}  // namespace

std::string verdict_line(const VariantReport& r, std::size_t id_width) {
  const std::string id = r.scenario + "/" + r.variant;
  if (!r.skipped.empty()) return fmt::format("SKIP   {:<{}}  {}", id, id_width, r.skipped);
  const bool met = r.met_expectation();
  if (r.failed && met)
    return fmt::format("XFAIL  {:<{}}  violated: {}  (found after {})", id, id_width, r.failure.check,
                       executions(r.executions));
  if (r.failed)
    return fmt::format("FAIL   {:<{}}  violated: {}: {}  (found after {}; expected to pass)", id, id_width,
                       r.failure.check, r.message, executions(r.executions));
  if (met) return fmt::format("PASS   {:<{}}  {}", id, id_width, shown_text(r));
  return fmt::format("UNEXPECTED PASS  {}  {} (expected to fail)", id, shown_text(r));
}

std::string trace_header(const VariantReport& r, bool shrunk) {
  const std::size_t p = r.failure.schedule.preemptions();
  std::string text = fmt::format("trace: {} steps, {} preemption{}", r.failure.steps, p, p == 1 ? "" : "s");
  // Shrinking keeps the fewest decisions that still break the check; the step count may go either way.
  if (!shrunk)
    text += " (the first failure, not shrunk)";
  else
    text += fmt::format(" (shrunk to the fewest decisions; the first failure had {} steps)", r.first_failure_steps);
  return text;
}

void Tally::add(const VariantReport& r) {
  if (!r.skipped.empty()) {
    ++skipped;
    return;
  }
  if (r.met_expectation())
    ++(r.failed ? failed_as_expected : passed);
  else
    ++(r.failed ? failed : unexpected_pass);
  // A shard that finished its part is neither: only merging every shard can verify.
  const std::string_view how = shown(r);
  if (how == "verified") {
    ++verified;
    if (r.scope != "unbounded") ++verified_within_bound;
  }
  else if (how == "sampled" && r.verifying)
    ++not_verified;
}

int exit_code(const Tally& t) {
  if (t.not_met() != 0) return 1;
  return t.not_verified != 0 ? kExitNotVerified : 0;
}

std::string summary_line(const Tally& t, double seconds) {
  std::string text = fmt::format("{} variant{}: {} met expectation ({} passed, {} failed as expected), ", t.total(),
                                 t.total() == 1 ? "" : "s", t.met(), t.passed, t.failed_as_expected);
  if (t.not_met() == 0)
    text += "0 not met";
  else
    text += fmt::format("{} NOT MET ({} unexpected pass{}, {} failed)", t.not_met(), t.unexpected_pass,
                        t.unexpected_pass == 1 ? "" : "es", t.failed);
  if (t.verified || t.not_verified) text += fmt::format("; {} verified", t.verified);
  if (t.verified_within_bound)
    text += fmt::format(" ({} of them only within a preemption bound)", t.verified_within_bound);
  if (t.not_verified) text += fmt::format(", {} NOT VERIFIED within budget", t.not_verified);
  if (t.skipped) text += fmt::format("; {} skipped (could not run here)", t.skipped);
  return text + " in " + format_duration(seconds);
}

}  // namespace xenrace::cli
