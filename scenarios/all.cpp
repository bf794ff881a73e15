// The explicit list of every scenario xenrace ships. Add a line here when adding a scenario file.
#include "harness/scenario.hpp"

namespace xenrace {

std::unique_ptr<Scenario> make_demo_counter();

void register_builtin_scenarios(ScenarioRegistry& registry) {
  registry.add(make_demo_counter());
}

}  // namespace xenrace
