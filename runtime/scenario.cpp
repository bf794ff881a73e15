#include "runtime/scenario.hpp"

#include <stdexcept>

namespace xenrace {

const VariantInfo* ScenarioInfo::variant(std::string_view n) const {
  for (const auto& v : variants)
    if (v.name == n) return &v;
  return nullptr;
}

void ScenarioRegistry::add(std::unique_ptr<Scenario> s) {
  if (find(s->info().name)) throw std::logic_error("scenario registered twice: " + s->info().name);
  scenarios_.push_back(std::move(s));
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
  throw UsageError("unknown scenario '" + std::string(name) + "' (known: " + known + "; see 'xenrace list')");
}

}  // namespace xenrace
