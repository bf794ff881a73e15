// A whole dom0 boot, modelled: the kernel's device nodes and modules, udevd and systemd from power-on. A
// scenario configures it (which modules register which nodes, devtmpfs, udev rules, unit files, the programs
// behind ExecStart=), starts it, and reads the service manager's outcome in its invariants. Only the
// simulator has one (backends/sim/udev); a real host has booted already, so elsewhere World::boot() refuses.
// The actors of the boot reach the devices and services through the ordinary interfaces (world/services.hpp).
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace xenrace {

class Boot {
 public:
  virtual ~Boot() = default;

  // --- setup, in this order as a boot does: kernel, udevd, systemd ---
  // The Xen dom0 modules of tools/configure.ac LINUX_BACKEND_MODULES that register device nodes.
  virtual void add_xen_dom0_modules() = 0;
  // devtmpfs mounted on /dev: nodes exist as soon as a driver registers them; else only once udevd made them.
  virtual void set_devtmpfs(bool mounted) = 0;
  // A udev rules file as udevd reads it (its file name, its text): rules that tag devices for systemd are
  // applied; every other key is returned, "file:line: KEY==\"value\"", for the scenario to report as not
  // modelled. Throws std::invalid_argument naming the file and line of a malformed rule.
  virtual std::vector<std::string> load_udev_rules(std::string_view name, std::string_view text) = 0;
  // Starts systemd-udevd (a daemon actor).
  virtual void start_udevd() = 0;
  // Unit files, as "[name.service]" sections; throws std::invalid_argument on a malformed config.
  virtual void load_units(std::string_view config) = 0;
  // A real unit file as systemd reads it (its file name, its text): the keys that order and start it are
  // applied; every other key is returned, "name: Key=value", for the scenario to report as not modelled.
  // Throws std::invalid_argument naming the file and line of a malformed line.
  virtual std::vector<std::string> load_unit_file(std::string_view name, std::string_view text) = 0;
  // ExecStart=<name> runs `main` as the unit's main process; it returns the exit status.
  virtual void bind_program(std::string name, std::function<int()> main) = 0;
  // Starts systemd: the boot transaction for the default target.
  virtual void boot() = 0;

  // --- the outcome, for invariants: no scheduling point, no trace event ---
  virtual std::string state_of(std::string_view unit) const = 0;       // inactive, activating, active, failed
  virtual std::string job_result_of(std::string_view unit) const = 0;  // "", done, failed, dependency, timeout
  virtual const std::vector<std::string>& journal() const = 0;

  // --- what was loaded: a unit's references as its files wrote them (the parser's reading, line
  // continuations and resets included), for a scenario to say which referenced units it leaves out ---
  struct UnitReference {
    std::string key;   // Requires, Wants, After or Before
    std::string unit;  // the unit named
  };
  // In that key order, each list as written; the default dependencies are not among them. Empty for a unit
  // not loaded.
  virtual std::vector<UnitReference> references_of(std::string_view unit) const = 0;
};

}  // namespace xenrace
