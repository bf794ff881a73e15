#include "cli/options.hpp"

#include <algorithm>
#include <charconv>

#include "faults/fault_plan.hpp"
#include "run/workers.hpp"

namespace xenrace::cli {
namespace {

struct GlobalParam {
  const char* name;
  ParamScope only;  // host: read only by the real components; simulator: read everywhere
  enum class Value { fault_list, whole_number, probability } value;
};

constexpr GlobalParam kGlobalParams[] = {
    {"faults", ParamScope::simulator, GlobalParam::Value::fault_list},
    {"max-faults", ParamScope::simulator, GlobalParam::Value::whole_number},
    {"fault-probability", ParamScope::host, GlobalParam::Value::probability},
    {"block-script-wait-ms", ParamScope::host, GlobalParam::Value::whole_number},
    {"block-script-timeout-ms", ParamScope::host, GlobalParam::Value::whole_number},
    {"real-blkback-wait-ms", ParamScope::host, GlobalParam::Value::whole_number},
};

bool in_scope(const GlobalParam& g, ParamScope scope) {
  return g.only == ParamScope::simulator || scope == ParamScope::host;
}

const GlobalParam* find_global(const std::string& key, ParamScope scope) {
  for (const auto& g : kGlobalParams)
    if (key == g.name && in_scope(g, scope)) return &g;
  return nullptr;
}

// "" when `text` is a whole number in [min, max], else what it takes.
std::string check_whole_number(std::string& text, std::uint64_t min, std::uint64_t max) {
  const std::string takes = max == std::numeric_limits<std::uint64_t>::max()
                                ? "a whole number >= " + std::to_string(min)
                                : "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  std::uint64_t v = 0;
  const bool digits =
      !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const auto [end, ec] = digits ? std::from_chars(text.data(), text.data() + text.size(), v)
                                : std::from_chars_result{text.data(), std::errc::invalid_argument};
  if (!digits || ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return "takes " + takes + ", not '" + text + "'";
  text = std::to_string(v);
  return "";
}

void check_value(const GlobalParam& g, const std::string& key, std::string value, const std::string& what) {
  switch (g.value) {
    case GlobalParam::Value::fault_list:
      parse_fault_list(value);  // throws naming the unknown point and the known ones
      return;
    case GlobalParam::Value::whole_number:
      if (std::string err = check_whole_number(value, 0, std::numeric_limits<std::uint32_t>::max()); !err.empty())
        throw UsageError(what + " " + key + " " + err);
      return;
    case GlobalParam::Value::probability: {
      float p = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
      if (ec != std::errc() || end != value.data() + value.size() || !(p > 0.0f && p <= 1.0f))
        throw UsageError(what + " " + key + " takes a probability in (0, 1], not '" + value + "'");
      return;
    }
  }
}

}  // namespace

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const std::string desc = max == std::numeric_limits<std::uint64_t>::max()
                               ? "N>=" + std::to_string(min)
                               : "N in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator([min, max](std::string& text) { return check_whole_number(text, min, max); }, desc);
}

unsigned parse_jobs(const std::string& text) {
  if (text == "auto") return available_cores();
  std::string value = text;
  if (!check_whole_number(value, 0, 4096).empty())
    throw UsageError("--jobs takes a whole number of processes from 0 to 4096 (0 or 'auto': every core), not '" +
                     text + "'");
  const unsigned n = static_cast<unsigned>(std::stoul(value));
  return n == 0 ? available_cores() : n;
}

std::pair<unsigned, unsigned> parse_shard(const std::string& text) {
  const std::string wrong = "--shard takes K/N, part K of N with 1 <= K <= N (e.g. 2/4), not '" + text + "'";
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw UsageError(wrong);
  std::string k = text.substr(0, slash), n = text.substr(slash + 1);
  constexpr std::uint64_t most = 1u << 20;
  if (!check_whole_number(k, 1, most).empty() || !check_whole_number(n, 1, most).empty()) throw UsageError(wrong);
  const auto kv = static_cast<unsigned>(std::stoul(k)), nv = static_cast<unsigned>(std::stoul(n));
  if (kv > nv) throw UsageError(wrong);
  return {kv - 1, nv};
}

StrategyOptions StrategyChoice::for_scenario(const ScenarioInfo& info) const {
  StrategyOptions o = given;
  if (!name) o.name = info.default_strategy;
  if (!depth) o.pct_depth = info.default_depth;
  if (!preemptions) o.preemption_bound = info.default_preemptions;
  o.bound_dpor = preemptions;  // the scenario's default bound is dfs's; dpor is bounded only when asked
  if (!is_exploring_strategy(o.name))
    throw UsageError("scenario '" + info.name + "' names an unknown default strategy '" + o.name + "' (known: " +
                     exploring_strategy_names() + ")");
  return o;
}

std::string accepted_params(const ScenarioInfo& info, ParamScope scope) {
  std::string out;
  for (const auto& p : info.params) out += (out.empty() ? "" : ", ") + p.name;
  for (const auto& g : kGlobalParams)
    if (in_scope(g, scope)) out += (out.empty() ? "" : ", ") + std::string(g.name);
  return out;
}

void check_params(const Params& params, const std::vector<const Scenario*>& scenarios, ParamScope scope,
                  const std::string& what) {
  for (const auto& [key, value] : params) {
    if (const GlobalParam* g = find_global(key, scope)) {
      check_value(*g, key, value, what);
      continue;
    }
    bool read = false;
    std::string refused;  // what the first scenario that declares the key says of the value
    for (const Scenario* s : scenarios) {
      const ParamInfo* p = s->info().param(key);
      if (p == nullptr) continue;
      std::string wrong = p->check(value);
      if (wrong.empty()) {
        read = true;
        break;
      }
      if (refused.empty())
        refused = what + " " + key + "=" + value + ": " + wrong + " (scenario '" + s->info().name + "' takes " +
                  p->describe_values() + ")";
    }
    if (read) continue;
    if (!refused.empty()) throw UsageError(refused);
    std::string msg = what + " key '" + key + "' is not read by ";
    if (scenarios.size() == 1) {
      msg += "scenario '" + scenarios.front()->info().name + "' (it accepts: " +
             accepted_params(scenarios.front()->info(), scope) + ")";
    } else {
      msg += "any of the scenarios (see 'xenrace list --json'; every one accepts: " +
             accepted_params(ScenarioInfo{}, scope) + ")";
    }
    if (scope == ParamScope::simulator && find_global(key, ParamScope::host))
      msg += "; '" + key + "' is read only on a real host ('xenrace run')";
    throw UsageError(msg);
  }
}

Params parse_params(const std::vector<std::string>& raw, const std::vector<const Scenario*>& scenarios,
                    ParamScope scope, const std::string& what) {
  Params out;
  for (const auto& p : raw) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(what + " expects KEY=VALUE, got '" + p + "'");
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  check_params(out, scenarios, scope, what);
  return out;
}

}  // namespace xenrace::cli
