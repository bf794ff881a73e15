#include "backends/sim/udev/sim_udevd.hpp"
#include "world/visible_op.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace xenrace {

namespace {
constexpr VirtualTime kSlowWorker = 50'000'000;  // 50 ms
}  // namespace

std::string device_unit_for(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out;
  for (char c : path) {
    if (c == '/') out.push_back('-');
    else if (c == '-') out += "\\x2d";
    else out.push_back(c);
  }
  return out + ".device";
}

void SimUdevd::start() {
  ex_.spawn_daemon("systemd-udevd", [this] {
    for (;;) {
      kernel_.touch_uevents(AccessMode::read);
      while (!kernel_.has_uevent()) {
        ex_.sched().wait(kernel_.uevent_arrived(), "udevd: uevent");
        ex_.sched().declare_footprint();
        kernel_.touch_uevents(AccessMode::read);
      }
      // A worker may be slow (rules, a busy boot): then the event waits until nothing else can run.
      if (ex_.choose(2, ChoiceKind::data) == 1) ex_.sched().sleep(kSlowWorker);
      visible_step(ex_, [&] {
        ex_.sched().declare_footprint();  // handle() names the queue, the node, and systemd when it tells it
        kernel_.touch_uevents(AccessMode::read);
        if (kernel_.has_uevent()) handle(kernel_.take_uevent());
      });
    }
  });
}

void SimUdevd::handle(const Uevent& e) {
  const std::string path = "/dev/" + e.devname;
  kernel_.touch_node(path, AccessMode::read);
  std::string what;
  if (!kernel_.has_node(path)) {
    kernel_.mknod(path);
    what = "node created";
  } else {
    what = "node present";
  }
  const std::string_view kernel_name = std::string_view(e.devname).substr(e.devname.rfind('/') + 1);
  const bool tagged = std::any_of(rules_.begin(), rules_.end(), [&](const UdevRule& r) {
    return udev_rule_matches(r, e.action, kernel_name, "misc");
  });
  if (tagged) {
    what += ", TAG systemd";
    plugged_(device_unit_for(path));
  }
  note_event(ex_, "udevd.event", fmt::format("{} {}", e.action, e.devname), what);
}

}  // namespace xenrace
