// The explicit list of every scenario xenrace ships. Add a line here when adding a scenario file.
#include "runtime/scenario.hpp"

namespace xenrace {

std::unique_ptr<Scenario> make_demo_counter();
std::unique_ptr<Scenario> make_blkback_minor_reuse();
std::unique_ptr<Scenario> make_loop_block_script();
std::unique_ptr<Scenario> make_mdev_create_remove();
std::unique_ptr<Scenario> make_xenstored_boot_order();
std::unique_ptr<Scenario> make_pci_attach();
std::unique_ptr<Scenario> make_block_script_killed();
std::unique_ptr<Scenario> make_generated_workload();

void register_builtin_scenarios(ScenarioRegistry& registry) {
  registry.add(make_demo_counter());
  registry.add(make_blkback_minor_reuse());
  registry.add(make_loop_block_script());
  registry.add(make_mdev_create_remove());
  registry.add(make_xenstored_boot_order());
  registry.add(make_pci_attach());
  registry.add(make_block_script_killed());
  registry.add(make_generated_workload());
}

}  // namespace xenrace
