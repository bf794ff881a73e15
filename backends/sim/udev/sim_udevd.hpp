// SimUdevd: systemd-udevd handling kernel uevents one at a time, as a daemon actor.
//
// Source of truth: systemd src/udev/udevd.c (event queue, one worker per event), udev-rules
// (TAG+="systemd" makes systemd create a .device unit for the device: src/core/device.c
// device_setup_units, which aliases the /dev node name: dev-xen-gntdev.device), rules/99-systemd.rules
// (misc devices such as xen/gntdev are not tagged by default; the seed's systemd PR #28962 proposed
// a rule that tags them).
//
// On each uevent: if the node is missing (no devtmpfs), udevd creates it; if a rule tags the device
// for systemd, the service manager learns that the device unit is plugged. udevd may handle the event
// at any time after the kernel queued it: it is an actor like any other, and for each event a recorded
// data choice says whether its worker is slow (the event is handled only once nothing else can run,
// 50 ms of virtual time later) or not (0, the default the shrinker prefers).
//
// Worked examples (tests/udev/):
//  1. uevent "add xen/gntdev" with a systemd tag rule -> dev-xen-gntdev.device becomes plugged.
//  2. the same without the rule -> the node exists (devtmpfs) but no device unit ever appears.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sim/udev/sim_kernel_devices.hpp"
#include "backends/sim/udev/udev_rules.hpp"
#include "runtime/execution.hpp"

namespace xenrace {

class SimUdevd {
 public:
  // `plugged` is called with the device unit name when a tagged device appears (the service manager).
  SimUdevd(Execution& ex, SimKernelDevices& kernel, std::function<void(std::string_view)> plugged)
      : ex_(ex), kernel_(kernel), plugged_(std::move(plugged)) {}

  // Rules read from a rules file (udev_rules.hpp): the only way a device gets tagged for systemd. A device node "xen/gntdev" is matched as kernel name
  // "gntdev" of subsystem "misc": Xen's device nodes are misc devices (drivers/xen/gntdev.c, evtchn.c).
  void add_rules(std::vector<UdevRule> rules) { rules_.insert(rules_.end(), rules.begin(), rules.end()); }
  // Spawns the "systemd-udevd" daemon actor.
  void start();

 private:
  void handle(const Uevent& e);

  Execution& ex_;
  SimKernelDevices& kernel_;
  std::function<void(std::string_view)> plugged_;
  std::vector<UdevRule> rules_;
};

// systemd-escape --path: "/dev/xen/gntdev" -> "dev-xen-gntdev", then the suffix ".device".
std::string device_unit_for(std::string_view path);

}  // namespace xenrace
