#include "backends/sim/udev/sim_kernel_devices.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "world/visible_op.hpp"

namespace xenrace {

void SimKernelDevices::add_module(std::string name, std::vector<std::string> devnames) {
  modules_.push_back(Module{std::move(name), std::move(devnames), false});
}

void SimKernelDevices::add_xen_dom0_modules() {
  add_module("xen-evtchn", {"xen/evtchn"});
  add_module("xen-gntdev", {"xen/gntdev"});
  add_module("xen-gntalloc", {"xen/gntalloc"});
  add_module("xen-blkback", {});
  add_module("xen-netback", {});
  add_module("xen-pciback", {});
}

bool SimKernelDevices::has_node(std::string_view path) const {
  return std::find(nodes_.begin(), nodes_.end(), path) != nodes_.end();
}

bool SimKernelDevices::loaded(std::string_view module) const {
  for (const Module& m : modules_)
    if (m.name == module) return m.loaded;
  return false;
}

Errno SimKernelDevices::open_node(std::string_view path) {
  return visible_op(ex_, "open", path, [&]() -> Errno {
    ex_.sched().declare_footprint();
    touch_node(path, AccessMode::read);
    return has_node(path) ? 0 : ENOENT;
  });
}

bool SimKernelDevices::node_exists(std::string_view path) {
  return visible_op(ex_, "stat", path, [&] {
    ex_.sched().declare_footprint();
    touch_node(path, AccessMode::read);
    return has_node(path);
  },
                    [](bool exists) { return exists ? "OK" : errno_name(ENOENT); });
}

Errno SimKernelDevices::modprobe(std::string_view module) {
  Module* m = nullptr;
  const std::string_view start = visible_op(ex_, "modprobe", module, [&]() -> std::string_view {
    ex_.sched().declare_footprint();
    ex_.sched().access(object_key('K', module), AccessMode::write);  // checked here, set after the devices
    for (Module& candidate : modules_)
      if (candidate.name == module) m = &candidate;
    if (m == nullptr) return "ENOENT (module not found)";
    if (m->loaded) return "OK (already loaded)";
    return "loading";
  }, [](std::string_view text) { return text; });
  if (m == nullptr) return ENOENT;
  if (start != "loading") return 0;
  for (const std::string& devname : m->devnames) {
    // misc_register -> device_add: devtmpfs has the node before device_add returns, then the uevent.
    visible_op(ex_, "kernel.device_add", devname, [&] {
      const std::string path = "/dev/" + devname;
      ex_.sched().declare_footprint();
      touch_node(path, AccessMode::write);
      touch_uevents(AccessMode::write);
      ex_.sched().access(object_key('K', module), AccessMode::write);
      if (devtmpfs_ && !has_node(path)) nodes_.push_back(path);
      uevents_.push_back(Uevent{"add", devname});
      ex_.sched().notify_all(uevent_arrived_);
    }, devtmpfs_ ? "devtmpfs node created, uevent queued" : "uevent queued");
  }
  m->loaded = true;
  note_event(ex_, "modprobe", module, "OK");  // the call returns after its devices' steps
  return 0;
}

Uevent SimKernelDevices::take_uevent() {
  touch_uevents(AccessMode::write);
  Uevent e = std::move(uevents_.front());
  uevents_.pop_front();
  return e;
}

void SimKernelDevices::mknod(std::string_view path) {
  touch_node(path, AccessMode::write);
  if (!has_node(path)) nodes_.emplace_back(path);
}

}  // namespace xenrace
