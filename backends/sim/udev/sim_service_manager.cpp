#include "backends/sim/udev/sim_service_manager.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "world/visible_op.hpp"

namespace xenrace {

namespace {
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool contains(const std::vector<std::size_t>& v, std::size_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }
void add_once(std::vector<std::size_t>& v, std::size_t x) {
  if (!contains(v, x)) v.push_back(x);
}
}  // namespace

SimServiceManager::SimServiceManager(Execution& ex) : ex_(ex) { parse_units(systemd_default_units(), specs_); }

void SimServiceManager::load_units(std::string_view config) { parse_units(config, specs_); }

void SimServiceManager::bind_program(std::string name, std::function<int()> main) {
  programs_.emplace_back(std::move(name), std::move(main));
}

void SimServiceManager::log(std::string line) { journal_.push_back(std::move(line)); }

const SimServiceManager::Unit* SimServiceManager::find(std::string_view name) const {
  for (const Unit& u : units_)
    if (u.spec.name == name) return &u;
  return nullptr;
}

std::size_t SimServiceManager::unit_index(std::string_view name) {
  for (std::size_t i = 0; i < units_.size(); ++i)
    if (units_[i].spec.name == name) return i;
  Unit u;
  u.spec.name = std::string(name);
  u.spec.default_dependencies = false;
  if (ends_with(name, ".device")) {
    // Device units need no file: systemd synthesises them and waits for udev to announce the device.
    u.kind = Kind::device;
    u.plugged = std::find(plugged_.begin(), plugged_.end(), name) != plugged_.end();
    if (u.plugged) u.state = "active";
  } else {
    u.loaded = false;
  }
  units_.push_back(std::move(u));
  return units_.size() - 1;
}

void SimServiceManager::resolve() {
  for (const UnitSpec& spec : specs_) {
    Unit u;
    u.spec = spec;
    const std::string& n = spec.name;
    u.kind = ends_with(n, ".service") ? Kind::service
             : ends_with(n, ".target") ? Kind::target
             : ends_with(n, ".mount")  ? Kind::mount
             : ends_with(n, ".device") ? Kind::device
                                       : Kind::unknown;
    units_.push_back(std::move(u));
  }
  const std::size_t defined = units_.size();
  for (std::size_t i = 0; i < defined; ++i) {
    const UnitSpec spec = units_[i].spec;  // a copy: unit_index may grow units_
    for (const auto& r : spec.requires_units) add_once(units_[i].requires_units, unit_index(r));
    for (const auto& w : spec.wants) add_once(units_[i].wants, unit_index(w));
    for (const auto& a : spec.after) add_once(units_[i].after, unit_index(a));
    for (const auto& b : spec.before) {
      const std::size_t j = unit_index(b);
      add_once(units_[j].after, i);
    }
    for (const auto& w : spec.wanted_by) {
      const std::size_t j = unit_index(w);
      add_once(units_[j].wants, i);
    }
    for (const auto& r : spec.required_by) {
      const std::size_t j = unit_index(r);
      add_once(units_[j].requires_units, i);
    }
  }
  // Default dependencies of services (service.c service_add_default_dependencies).
  const std::size_t sysinit = unit_index("sysinit.target");
  const std::size_t basic = unit_index("basic.target");
  for (std::size_t i = 0; i < units_.size(); ++i) {
    Unit& u = units_[i];
    if (!u.loaded || u.kind != Kind::service || !u.spec.default_dependencies) continue;
    add_once(u.requires_units, sysinit);
    add_once(u.after, sysinit);
    add_once(u.after, basic);
  }
  // Targets are ordered after what they pull in, if that has default dependencies and is not
  // ordered before the target already (unit.c unit_add_default_target_dependency).
  for (std::size_t t = 0; t < units_.size(); ++t) {
    if (!units_[t].loaded || units_[t].kind != Kind::target || !units_[t].spec.default_dependencies) continue;
    std::vector<std::size_t> pulled = units_[t].wants;
    pulled.insert(pulled.end(), units_[t].requires_units.begin(), units_[t].requires_units.end());
    for (std::size_t d : pulled) {
      const Unit& dep = units_[d];
      if (!dep.loaded || !dep.spec.default_dependencies || contains(dep.after, t)) continue;
      add_once(units_[t].after, d);
    }
  }
}

// Partial-order reduction (runtime/footprint.hpp): the manager's state — units, jobs, the journal, the
// plugged devices — is one object. Each of its operations reads or writes it, and the manager's own loop
// re-reads it after every wake-up.
void SimServiceManager::touch(AccessMode mode) {
  ex_.sched().declare_footprint();
  ex_.sched().access(object_key('Y', "systemd"), mode);
}

void SimServiceManager::boot() {
  ex_.spawn("systemd", [this] { run_boot(); });
}

void SimServiceManager::run_boot() {
  visible_op(ex_, "systemd.transaction", "start " + default_target_, [&] {
    touch(AccessMode::write);
    resolve();
    booted_ = true;
    // The start transaction: everything the default target pulls in through Requires=/Wants=. A wanted
    // unit with no unit file is left out, as systemd does; a required one gets a job that fails (not found).
    transaction_.push_back(unit_index(default_target_));
    for (std::size_t k = 0; k < transaction_.size(); ++k) {
      const Unit& u = units_[transaction_[k]];
      std::vector<std::size_t> pulled = u.requires_units;
      for (std::size_t w : u.wants)
        if (units_[w].loaded) pulled.push_back(w);
      for (std::size_t d : pulled)
        if (!contains(transaction_, d)) transaction_.push_back(d);
    }
    for (std::size_t i : transaction_) units_[i].job = Job::waiting;
  }, [&] { return fmt::format("{} jobs", transaction_.size()); });

  for (;;) {
    if (dispatch_one()) continue;
    VirtualTime deadline = kForever;
    bool pending = false;
    for (std::size_t i : transaction_) {
      const Unit& u = units_[i];
      if (u.job == Job::waiting || u.job == Job::running) pending = true;
      if (u.job == Job::running) deadline = std::min(deadline, u.deadline);
    }
    if (!pending) break;
    const VirtualTime now = ex_.sched().now();
    const bool woken = ex_.sched().wait(events_, "systemd: jobs running",
                                        deadline == kForever ? kForever : deadline - std::min(deadline, now));
    touch(AccessMode::write);
    if (woken) continue;
    // Every job whose time ran out fails in this one step.
    visible_step(ex_, [&] {
      touch(AccessMode::write);
      for (std::size_t i : transaction_) {
        Unit& u = units_[i];
        if (u.job != Job::running || u.deadline > ex_.sched().now()) continue;
        log(fmt::format("Timed out waiting for device {}.", u.spec.name));
        note_event(ex_, "systemd.job", "start " + u.spec.name, "timeout");
        finish_job(u, "timeout", "inactive");
      }
    });
  }
  visible_op(ex_, "systemd.startup_finished", default_target_, [&] {
    touch(AccessMode::write);
    log("Startup finished.");
    return state_of(default_target_);
  });
}

bool SimServiceManager::ordered_ready(const Unit& u) const {
  for (std::size_t a : u.after)
    if (units_[a].job == Job::waiting || units_[a].job == Job::running) return false;
  return true;
}

bool SimServiceManager::dispatch_one() {
  for (std::size_t i : transaction_) {
    if (units_[i].job == Job::waiting && ordered_ready(units_[i])) {
      run_job(i);
      return true;
    }
  }
  return false;
}

void SimServiceManager::run_job(std::size_t i) {
  const std::function<int()>* program = nullptr;
  visible_op(ex_, "systemd.job", "start " + units_[i].spec.name, [&]() -> std::string {
    touch(AccessMode::write);
    Unit& u = units_[i];
    for (std::size_t r : u.requires_units) {
      const Unit& req = units_[r];
      if (req.job == Job::finished && req.result != "done") {
        log(fmt::format("Dependency failed for {}.", u.spec.name));
        finish_job(u, "dependency", "inactive");
        return fmt::format("dependency failed ({} {})", req.spec.name, req.result);
      }
    }
    if (!u.loaded) {
      log(fmt::format("Unit {} not found.", u.spec.name));
      finish_job(u, "failed", "inactive");
      return "not found";
    }
    switch (u.kind) {
      case Kind::device:
        if (u.plugged) {
          finish_job(u, "done", "active");
          return "device present";
        }
        u.job = Job::running;
        u.deadline = ex_.sched().now() + device_timeout_;
        return "waiting for the device";
      case Kind::service: {
        for (const auto& [name, main] : programs_)
          if (name == u.spec.exec_start) program = &main;
        if (program == nullptr) {
          log(fmt::format("Started {}.", u.spec.name));
          finish_job(u, "done", "active");
          return "started (no process)";
        }
        log(fmt::format("Starting {}...", u.spec.name));
        u.job = Job::running;
        u.state = "activating";
        u.spawned = true;
        return "fork " + u.spec.exec_start;  // the process starts once the job's event is traced
      }
      case Kind::target:
        log(fmt::format("Reached target {}.", u.spec.name));
        finish_job(u, "done", "active");
        return "reached";
      case Kind::mount:
      case Kind::unknown:
        finish_job(u, "done", "active");
        return "done";
    }
    return "done";
  });
  if (program == nullptr) return;  // set only when the job forks its service's main process
  std::function<int()> main = *program;
  units_[i].main = ex_.spawn(units_[i].spec.exec_start, [this, i, main] {
    const int status = main();
    visible_op(ex_, "systemd.sigchld", units_[i].spec.name, [&] {
      touch(AccessMode::write);
      return main_exited(i, status);
    });
  });
  if (units_[i].spec.type == ServiceType::simple && units_[i].job == Job::running)
    finish_job(units_[i], "done", "active");
}

void SimServiceManager::finish_job(Unit& u, std::string result, std::string state) {
  u.job = Job::finished;
  u.result = std::move(result);
  u.state = std::move(state);
  u.deadline = kForever;
  ex_.sched().notify_all(events_);
}

std::string SimServiceManager::main_exited(std::size_t i, int status) {
  Unit& u = units_[i];
  u.main = kNoActor;
  std::string state;
  bool ok = status == 0;
  if (ok && u.spec.type == ServiceType::notify && !u.ready) {
    ok = false;
    log(fmt::format("{}: Failed with result 'protocol'.", u.spec.name));
  }
  if (!ok) {
    state = "failed";
    log(fmt::format("{}: Main process exited, status={}/FAILURE", u.spec.name, status));
  } else {
    state = u.spec.remain_after_exit ? "active" : "inactive";
  }
  if (u.job == Job::running) {
    if (ok) log(fmt::format("Finished {}.", u.spec.name));
    else log(fmt::format("Failed to start {}.", u.spec.name));
    finish_job(u, ok ? "done" : "failed", state);
  } else {
    u.state = state;
    ex_.sched().notify_all(events_);
  }
  return fmt::format("status={}", status);
}

void SimServiceManager::notify_ready() {
  std::string who(ex_.current_actor_name());
  visible_op(ex_, "sd_notify", [&]() -> std::string_view { return who; }, [&]() -> std::string {
    touch(AccessMode::write);
    const ActorId me = ex_.sched().current();
    for (Unit& u : units_) {
      if (u.main != me || me == kNoActor) continue;
      u.ready = true;
      who = u.spec.name;
      if (u.job == Job::running && u.spec.type == ServiceType::notify) {
        log(fmt::format("Started {}.", u.spec.name));
        finish_job(u, "done", "active");
      }
      return "READY=1";
    }
    return "ignored: not a service's main process";
  });
}

void SimServiceManager::device_plugged(std::string_view unit) {
  ex_.sched().access(object_key('Y', "systemd"), AccessMode::write);  // inside udevd's step, which declared
  if (std::find(plugged_.begin(), plugged_.end(), unit) == plugged_.end()) plugged_.emplace_back(unit);
  if (!booted_) return;
  Unit& u = units_[unit_index(unit)];
  u.plugged = true;
  log(fmt::format("Found device {}.", unit));
  if (u.job == Job::running) {
    finish_job(u, "done", "active");
  } else {
    u.state = "active";
    ex_.sched().notify_all(events_);
  }
}

std::string SimServiceManager::active_state(std::string_view unit) {
  return visible_op(ex_, "systemctl.show", unit, [&] {
    touch(AccessMode::read);
    return state_of(unit);
  });
}

std::string SimServiceManager::state_of(std::string_view unit) const {
  if (const Unit* u = find(unit)) return u->state;
  if (std::find(plugged_.begin(), plugged_.end(), unit) != plugged_.end()) return "active";
  return "inactive";
}

std::string SimServiceManager::job_result_of(std::string_view unit) const {
  const Unit* u = find(unit);
  return u == nullptr ? std::string() : u->result;
}

bool SimServiceManager::started(std::string_view unit) const {
  const Unit* u = find(unit);
  return u != nullptr && u->spawned;
}

const UnitSpec* SimServiceManager::spec_of(std::string_view unit) const {
  for (const UnitSpec& spec : specs_)
    if (spec.name == unit) return &spec;
  return nullptr;
}

}  // namespace xenrace
