#include "backends/sim/udev/sim_kernel_devices.hpp"

#include <algorithm>

#include <fmt/format.h>

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
  ex_.before_visible();
  const Errno e = has_node(path) ? 0 : ENOENT;
  ex_.record("open", path, errno_name(e));
  return e;
}

bool SimKernelDevices::node_exists(std::string_view path) {
  ex_.before_visible();
  const bool exists = has_node(path);
  ex_.record("stat", path, exists ? "OK" : errno_name(ENOENT));
  return exists;
}

Errno SimKernelDevices::modprobe(std::string_view module) {
  ex_.before_visible();
  Module* m = nullptr;
  for (Module& candidate : modules_)
    if (candidate.name == module) m = &candidate;
  if (m == nullptr) {
    ex_.record("modprobe", module, "ENOENT (module not found)");
    return ENOENT;
  }
  if (m->loaded) {
    ex_.record("modprobe", module, "OK (already loaded)");
    return 0;
  }
  ex_.record("modprobe", module, "loading");
  for (const std::string& devname : m->devnames) {
    // misc_register -> device_add: devtmpfs has the node before device_add returns, then the uevent.
    ex_.before_visible();
    const std::string path = "/dev/" + devname;
    if (devtmpfs_ && !has_node(path)) nodes_.push_back(path);
    uevents_.push_back(Uevent{"add", devname});
    ex_.sched().notify_all(uevent_arrived_);
    ex_.record("kernel.device_add", devname, devtmpfs_ ? "devtmpfs node created, uevent queued" : "uevent queued");
  }
  m->loaded = true;
  ex_.record("modprobe", module, "OK");
  return 0;
}

Uevent SimKernelDevices::take_uevent() {
  Uevent e = std::move(uevents_.front());
  uevents_.pop_front();
  return e;
}

void SimKernelDevices::mknod(std::string_view path) {
  if (!has_node(path)) nodes_.emplace_back(path);
}

}  // namespace xenrace
