// The simulator's Boot (world/boot.hpp): SimKernelDevices, SimUdevd and SimServiceManager of one SimWorld,
// configured and started in the order a scenario calls them.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "world/boot.hpp"

namespace xenrace {

class SimWorld;

class SimBoot final : public Boot {
 public:
  explicit SimBoot(SimWorld& world) : world_(world) {}

  void add_xen_dom0_modules() override;
  void set_devtmpfs(bool mounted) override;
  void start_udevd() override;
  void load_units(std::string_view config) override;
  std::vector<std::string> load_unit_file(std::string_view name, std::string_view text) override;
  std::vector<std::string> load_udev_rules(std::string_view name, std::string_view text) override;
  void bind_program(std::string name, std::function<int()> main) override;
  void boot() override;

  std::string state_of(std::string_view unit) const override;
  std::string job_result_of(std::string_view unit) const override;
  const std::vector<std::string>& journal() const override;
  std::vector<UnitReference> references_of(std::string_view unit) const override;

 private:
  SimWorld& world_;
};

}  // namespace xenrace
