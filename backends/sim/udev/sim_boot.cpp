#include "backends/sim/udev/sim_boot.hpp"
#include "backends/sim/udev/udev_rules.hpp"

#include "backends/sim/sim_world.hpp"
#include "backends/sim/udev/sim_kernel_devices.hpp"
#include "backends/sim/udev/sim_service_manager.hpp"
#include "backends/sim/udev/sim_udevd.hpp"

namespace xenrace {

void SimBoot::add_xen_dom0_modules() { world_.sim_kernel_devices().add_xen_dom0_modules(); }
void SimBoot::set_devtmpfs(bool mounted) { world_.sim_kernel_devices().set_devtmpfs(mounted); }
void SimBoot::start_udevd() { world_.sim_udevd().start(); }
void SimBoot::load_units(std::string_view config) { world_.sim_services().load_units(config); }
std::vector<std::string> SimBoot::load_udev_rules(std::string_view name, std::string_view text) {
  UdevRules rules = parse_udev_rules(name, text);
  world_.sim_udevd().add_rules(std::move(rules.rules));
  return std::move(rules.not_modelled);
}
std::vector<std::string> SimBoot::load_unit_file(std::string_view name, std::string_view text) {
  return world_.sim_services().load_unit_file(name, text);
}
void SimBoot::bind_program(std::string name, std::function<int()> main) {
  world_.sim_services().bind_program(std::move(name), std::move(main));
}
void SimBoot::boot() { world_.sim_services().boot(); }

std::string SimBoot::state_of(std::string_view unit) const { return world_.sim_services().state_of(unit); }
std::string SimBoot::job_result_of(std::string_view unit) const { return world_.sim_services().job_result_of(unit); }
const std::vector<std::string>& SimBoot::journal() const { return world_.sim_services().journal(); }

std::vector<Boot::UnitReference> SimBoot::references_of(std::string_view unit) const {
  std::vector<UnitReference> out;
  const UnitSpec* spec = world_.sim_services().spec_of(unit);
  if (spec == nullptr) return out;
  for (const auto& [key, units] : {std::pair{"Requires", &spec->requires_units}, {"Wants", &spec->wants},
                                   {"After", &spec->after}, {"Before", &spec->before}})
    for (const std::string& name : *units) out.push_back({key, name});
  return out;
}

}  // namespace xenrace
