#include "runtime/scenario.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace xenrace {

const VariantInfo* ScenarioInfo::variant(std::string_view n) const {
  for (const auto& v : variants)
    if (v.name == n) return &v;
  return nullptr;
}

const ParamInfo* ScenarioInfo::param(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

namespace {

// A decimal integer, optionally signed, digits only: "0x10", "1e3", " 5" and "" are refused.
bool parse_integer(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;
  auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end == last && first != last;
}

}  // namespace

std::string ParamInfo::check(std::string_view value) const {
  switch (kind) {
    case ParamKind::text:
      return {};
    case ParamKind::integer: {
      std::int64_t v = 0;
      if (!parse_integer(value, v)) return fmt::format("'{}' is not a decimal integer", value);
      if (v < min || v > max) return fmt::format("{} is out of range [{}, {}]", v, min, max);
      return {};
    }
    case ParamKind::boolean:
      if (value == "true" || value == "false" || value == "1" || value == "0") return {};
      return fmt::format("'{}' is not a boolean (true, false, 1 or 0)", value);
    case ParamKind::choice:
      for (const auto& c : choices)
        if (c == value) return {};
      return fmt::format("'{}' is not one of {}", value, fmt::join(choices, ", "));
  }
  return {};
}

std::string ParamInfo::describe_values() const {
  std::string out;
  switch (kind) {
    case ParamKind::text: out = "text"; break;
    case ParamKind::integer:
      out = min == std::numeric_limits<std::int64_t>::min() && max == std::numeric_limits<std::int64_t>::max()
                ? std::string("integer")
                : fmt::format("integer in [{}, {}]", min, max);
      break;
    case ParamKind::boolean: out = "true or false"; break;
    case ParamKind::choice: out = fmt::format("one of {}", fmt::join(choices, ", ")); break;
  }
  if (!default_value.empty()) out += ", default " + default_value;
  return out;
}

namespace {
ParamInfo param_of(ParamKind kind, std::string name, std::string default_value, std::string summary) {
  ParamInfo p;
  p.name = std::move(name);
  p.summary = std::move(summary);
  p.kind = kind;
  p.default_value = std::move(default_value);
  return p;
}
}  // namespace

ParamInfo integer_param(std::string name, std::int64_t default_value, std::string summary, std::int64_t min,
                        std::int64_t max) {
  ParamInfo p = param_of(ParamKind::integer, std::move(name), std::to_string(default_value), std::move(summary));
  p.min = min;
  p.max = max;
  if (default_value < min || default_value > max)
    throw std::logic_error("parameter " + p.name + ": default outside its range");
  return p;
}

ParamInfo flag_param(std::string name, bool default_value, std::string summary) {
  return param_of(ParamKind::boolean, std::move(name), default_value ? "true" : "false", std::move(summary));
}

ParamInfo text_param(std::string name, std::string default_value, std::string summary) {
  return param_of(ParamKind::text, std::move(name), std::move(default_value), std::move(summary));
}

ParamInfo choice_param(std::string name, std::vector<std::string> choices, std::string default_value,
                       std::string summary) {
  ParamInfo p = param_of(ParamKind::choice, std::move(name), std::move(default_value), std::move(summary));
  p.choices = std::move(choices);
  if (!p.check(p.default_value).empty()) throw std::logic_error("parameter " + p.name + ": default not a choice");
  return p;
}

void ScenarioRegistry::add(std::shared_ptr<const Scenario> s, std::string origin) {
  if (find(s->info().name)) throw std::logic_error("scenario registered twice: " + s->info().name);
  scenarios_.push_back(std::move(s));
  origins_.push_back(std::move(origin));
}

const Scenario* ScenarioRegistry::find(std::string_view name) const {
  for (const auto& s : scenarios_)
    if (s->info().name == name) return s.get();
  return nullptr;
}

const Scenario& ScenarioRegistry::get(std::string_view name) const {
  if (const Scenario* s = find(name)) return *s;
  std::string known;
  for (const auto& s : scenarios_) known += (known.empty() ? "" : ", ") + s->info().name;
  throw UsageError("unknown scenario '" + std::string(name) + "' (known: " + known + "; see 'xenrace list'; a scenario built into a library needs --load LIB.so)");
}

const std::string& ScenarioRegistry::origin(const Scenario& scenario) const {
  static const std::string builtin;
  for (std::size_t i = 0; i < scenarios_.size(); ++i)
    if (scenarios_[i].get() == &scenario) return origins_[i];
  return builtin;
}

namespace {

std::string& loading_library() {
  static std::string path;
  return path;
}

}  // namespace

ScenarioRegistry& scenario_catalogue() {
  static ScenarioRegistry catalogue;
  return catalogue;
}

std::vector<std::string>& scenario_catalogue_errors() {
  static std::vector<std::string> errors;
  return errors;
}

void set_loading_library(std::string path) { loading_library() = std::move(path); }

void register_scenario(std::shared_ptr<const Scenario> scenario) noexcept {
  try {
    const std::string& name = scenario->info().name;
    std::string problem;
    if (name.empty()) problem = "a scenario has no name";
    else if (name.find_first_of("/ \t\n*?[") != std::string::npos)
      problem = "scenario name '" + name + "' has a character a scenario/variant id cannot carry";
    else if (scenario->info().variants.empty()) problem = "scenario '" + name + "' has no variants";
    else if (scenario_catalogue().find(name)) problem = "scenario '" + name + "' is registered twice";
    if (!problem.empty()) {
      scenario_catalogue_errors().push_back(std::move(problem));
      return;
    }
    scenario_catalogue().add(std::move(scenario), loading_library());
  } catch (const std::exception& e) {
    scenario_catalogue_errors().push_back(e.what());
  }
}

void register_builtin_scenarios(ScenarioRegistry& registry) {
  const ScenarioRegistry& catalogue = scenario_catalogue();
  for (const auto& s : catalogue.all())
    if (catalogue.origin(*s).empty()) registry.add(s);
}

}  // namespace xenrace
