// SimServiceManager: systemd as PID 1 at boot: one start transaction for the default target, jobs run
// in the order the units declare, services' main processes as actors.
//
// Source of truth: systemd src/core/transaction.c (pull in Requires=/Wants= recursively),
// src/core/job.c (a job runs once every job it is ordered After= has finished; JOB_START of a unit
// type that cannot be started, such as a .device, "just waits until it becomes active", failing after
// the device timeout; a failed job fails the jobs of units that Require= it: "Dependency failed"),
// src/core/service.c, target.c, unit.c (default dependencies), systemd.unit(5):
//  - After=/Before= order only units that both have jobs; Requires=/Wants= without After= order nothing.
//  - DefaultDependencies=yes on a service adds Requires=sysinit.target and After=sysinit.target
//    basic.target. On a target it adds After= for every unit the target Wants=/Requires= — but only
//    units that have default dependencies themselves (unit_add_default_target_dependency), which is why
//    systemd-modules-load.service (DefaultDependencies=no) must say Before=sysinit.target itself.
//  - Type=oneshot: started when the main process exits 0; notify: at sd_notify READY=1 (exit before
//    READY fails the unit); simple: as soon as the process is forked.
//  - A .device unit is active once udev tagged the device for systemd (SimUdevd calls device_plugged).
// Left out: stop jobs and Conflicts=, BindsTo=, conditions, mount units' default dependencies,
// socket/path activation, restarts, job timeouts other than the device timeout.
//
// Worked examples (tests/udev/):
//  1. A.service After=B.service, both wanted by the target: A's main process starts only after B's job
//     finished (B oneshot: after B's process exited).
//  2. A.service Requires=B.service without After=: both start in the same transaction, in any order.
//  3. A.service Requires=dev-x.device After=dev-x.device, device never tagged: after 90 s of virtual
//     time the device job times out and A fails with "Dependency failed", A's process never runs.
//  4. the same with udev tagging the device while A waits: A starts right after the device appears.
//  5. modules-load with DefaultDependencies=no and no Before=sysinit.target, WantedBy=sysinit.target:
//     sysinit.target (and every default service after it) may be reached before modules-load ran.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sim/udev/unit_config.hpp"
#include "runtime/execution.hpp"
#include "world/services.hpp"

namespace xenrace {

class SimServiceManager final : public Services {
 public:
  explicit SimServiceManager(Execution& ex);

  // --- configuration (setup code): starts with systemd_default_units() ---
  void load_units(std::string_view config);  // throws std::invalid_argument on a malformed config
  // A real unit file (parse_unit_file); returns what it does not model, "name: Key=value" each.
  std::vector<std::string> load_unit_file(std::string_view name, std::string_view text) {
    return parse_unit_file(name, text, specs_);
  }
  // ExecStart=<name> runs `main` as the unit's main process; it returns the exit status.
  void bind_program(std::string name, std::function<int()> main);
  void set_default_target(std::string name) { default_target_ = std::move(name); }
  void set_device_timeout(VirtualTime t) { device_timeout_ = t; }  // DefaultDeviceTimeoutSec, 90 s
  // Spawns the "systemd" process that runs the boot transaction and ends at "Startup finished".
  void boot();

  // --- from udevd: a device tagged for systemd appeared ---
  void device_plugged(std::string_view unit);

  // --- Services (visible operations) ---
  std::string active_state(std::string_view unit) override;
  void notify_ready() override;

  // --- inspection: no scheduling point, no trace event ---
  std::string state_of(std::string_view unit) const;       // inactive, activating, active, failed
  std::string job_result_of(std::string_view unit) const;  // "", done, failed, dependency, timeout
  bool started(std::string_view unit) const;                // its main process was spawned
  const UnitSpec* spec_of(std::string_view unit) const;     // as loaded; null for a unit with no file
  const std::vector<std::string>& journal() const { return journal_; }

 private:
  enum class Kind : std::uint8_t { service, target, mount, device, unknown };
  enum class Job : std::uint8_t { none, waiting, running, finished };
  struct Unit {
    UnitSpec spec;
    Kind kind = Kind::unknown;
    bool loaded = true;  // false: referenced but no unit file ("not-found")
    std::vector<std::size_t> requires_units, wants, after;  // resolved, default dependencies included
    std::string state = "inactive";
    Job job = Job::none;
    std::string result;
    bool plugged = false;        // .device: udev tagged it
    bool ready = false;          // notify: READY=1 seen
    bool spawned = false;
    ActorId main = kNoActor;
    VirtualTime deadline = kForever;
  };

  std::size_t unit_index(std::string_view name);  // creates a not-found (or a .device) unit if unknown
  const Unit* find(std::string_view name) const;
  void resolve();
  void run_boot();
  bool dispatch_one();
  bool ordered_ready(const Unit& u) const;
  void run_job(std::size_t i);
  void finish_job(Unit& u, std::string result, std::string state);
  std::string main_exited(std::size_t i, int status);  // returns the sigchld event's result
  void log(std::string line);
  void touch(AccessMode mode);

  Execution& ex_;
  std::vector<UnitSpec> specs_;
  std::vector<Unit> units_;
  std::vector<std::pair<std::string, std::function<int()>>> programs_;
  std::vector<std::size_t> transaction_;  // units with jobs, in the order the transaction reached them
  std::string default_target_ = "multi-user.target";
  VirtualTime device_timeout_ = 90'000'000'000ULL;
  WaitQueue events_;  // a main process exited, READY=1, a device appeared
  std::vector<std::string> plugged_;  // device units udev announced, also before the boot began
  std::vector<std::string> journal_;
  bool booted_ = false;
};

}  // namespace xenrace
