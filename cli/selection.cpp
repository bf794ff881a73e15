#include "cli/selection.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace xenrace::cli {
namespace {

bool matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

std::string names(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::vector<std::string> variant_names(const Scenario& s) {
  std::vector<std::string> out;
  for (const auto& v : s.info().variants) out.push_back(v.name);
  return out;
}

}  // namespace

bool is_glob(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::size_t start = 0;
    while (start <= item.size()) {
      const std::size_t comma = std::min(item.find(',', start), item.size());
      if (comma > start) out.push_back(item.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

std::vector<SelectedVariant> select_variants(const ScenarioRegistry& registry, const std::vector<std::string>& targets,
                                             bool all, const std::vector<std::string>& variants) {
  std::vector<std::string> patterns = split_commas(targets);
  if (all) patterns.insert(patterns.begin(), "*");
  std::vector<std::string> scenario_names;
  for (const auto& s : registry.all()) scenario_names.push_back(s->info().name);

  // Every (scenario, variant) a target names, before the --variant filters.
  std::vector<SelectedVariant> picked;
  auto pick = [&](const Scenario* s, const VariantInfo* v) {
    for (const auto& p : picked)
      if (p.scenario == s && p.variant == v) return;
    picked.push_back({s, v});
  };
  for (const auto& target : patterns) {
    const std::size_t slash = target.find('/');
    const std::string scenario_part = target.substr(0, slash);
    const std::string variant_part = slash == std::string::npos ? "*" : target.substr(slash + 1);
    std::vector<const Scenario*> scenarios;
    if (!is_glob(scenario_part)) {
      scenarios.push_back(&registry.get(scenario_part));  // throws "unknown scenario" naming the known ones
    } else {
      for (const auto& s : registry.all())
        if (!s->info().by_name_only && matches(scenario_part, s->info().name)) scenarios.push_back(s.get());
      if (scenarios.empty())
        throw UsageError("'" + target + "' matches no scenario (scenarios: " + names(scenario_names) + ")");
    }
    bool any = false;
    for (const Scenario* s : scenarios)
      for (const auto& v : s->info().variants)
        if (matches(variant_part, v.name)) {
          pick(s, &v);
          any = true;
        }
    if (!any) {
      if (scenarios.size() == 1 && !is_glob(variant_part))
        throw UsageError("unknown variant '" + variant_part + "' of scenario '" + scenarios.front()->info().name +
                         "' (variants: " + names(variant_names(*scenarios.front())) + ")");
      throw UsageError("'" + target + "' matches no variant");
    }
  }

  const std::vector<std::string> filters = split_commas(variants);
  for (const auto& f : filters) {
    bool known = false;
    std::vector<std::string> offered;
    for (const auto& p : picked) {
      known |= matches(f, p.variant->name);
      if (std::find(offered.begin(), offered.end(), p.variant->name) == offered.end())
        offered.push_back(p.variant->name);
    }
    if (known) continue;
    std::string of;
    const auto chosen = scenarios_of(picked);
    if (chosen.size() == 1) of = " of scenario '" + chosen.front()->info().name + "'";
    throw UsageError(is_glob(f) ? "--variant '" + f + "' matches no variant" + of + " (variants: " + names(offered) + ")"
                                : "unknown variant '" + f + "'" + of + " (variants: " + names(offered) + ")");
  }
  if (filters.empty()) return picked;
  std::vector<SelectedVariant> out;
  for (const auto& p : picked)
    if (std::any_of(filters.begin(), filters.end(), [&](const std::string& f) { return matches(f, p.variant->name); }))
      out.push_back(p);
  return out;
}

std::vector<const Scenario*> scenarios_of(const std::vector<SelectedVariant>& selection) {
  std::vector<const Scenario*> out;
  for (const auto& s : selection)
    if (std::find(out.begin(), out.end(), s.scenario) == out.end()) out.push_back(s.scenario);
  return out;
}

}  // namespace xenrace::cli
