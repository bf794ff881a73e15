// SimKernelDevices: kernel modules that register character devices, the /dev nodes of those devices,
// and the uevents the kernel queues for udevd.
//
// Source of truth: Linux drivers/char/misc.c (misc_register -> device_create -> device_add),
// drivers/base/core.c (device_add: devtmpfs_create_node, then kobject_uevent(KOBJ_ADD)),
// drivers/base/devtmpfs.c (devtmpfs_create_node waits for the node: it exists when device_add returns),
// drivers/xen/gntdev.c (misc device "xen/gntdev"), drivers/xen/evtchn.c ("xen/evtchn"), and
// kmod's modprobe ("FATAL: Module X not found": ENOENT). docs/fidelity.md §7.
//
// Worked examples (tests/udev/):
//  1. devtmpfs mounted (every current distribution): modprobe xen-gntdev returns with /dev/xen/gntdev
//     present; a uevent "add xen/gntdev" is queued for udevd.
//  2. no devtmpfs (the pre-2009 /dev, or the model in the seed's first mail): after modprobe the node
//     is missing until udevd handles the uevent and creates it.
//  3. modprobe of an unknown name (the legacy "evtchn" in xen.conf) -> ENOENT, nothing registered.
//  4. open("/dev/xen/gntdev") before any of that -> ENOENT.
#pragma once
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/execution.hpp"
#include "world/services.hpp"

namespace xenrace {

struct Uevent {
  std::string action;   // "add"
  std::string devname;  // "xen/gntdev": the node is /dev/<devname>
};

class SimKernelDevices final : public DeviceNodes, public KernelModules {
 public:
  explicit SimKernelDevices(Execution& ex) : ex_(ex) {}

  // --- configuration ---
  // A module that, once loaded, registers these character devices (devnames such as "xen/gntdev").
  void add_module(std::string name, std::vector<std::string> devnames);
  void set_devtmpfs(bool mounted) { devtmpfs_ = mounted; }
  // The Xen dom0 modules of tools/configure.ac LINUX_BACKEND_MODULES that register device nodes.
  void add_xen_dom0_modules();

  // --- DeviceNodes, KernelModules (visible operations) ---
  Errno open_node(std::string_view path) override;
  bool node_exists(std::string_view path) override;
  Errno modprobe(std::string_view module) override;

  // --- for udevd (called inside udevd's own visible step) ---
  // Partial-order reduction's objects (runtime/footprint.hpp): each /dev node, the uevent queue, and each
  // module's loaded flag. A caller that reads has_uevent or has_node in its own step names them here.
  void touch_node(std::string_view path, AccessMode mode) { ex_.sched().access(object_key('D', path), mode); }
  void touch_uevents(AccessMode mode) { ex_.sched().access(object_key('D', "uevent queue"), mode); }
  bool has_uevent() const { return !uevents_.empty(); }
  Uevent take_uevent();
  WaitQueue& uevent_arrived() { return uevent_arrived_; }
  void mknod(std::string_view path);

  // --- inspection: no scheduling point, no trace event ---
  bool has_node(std::string_view path) const;
  bool loaded(std::string_view module) const;

 private:
  struct Module {
    std::string name;
    std::vector<std::string> devnames;
    bool loaded = false;
  };
  Execution& ex_;
  bool devtmpfs_ = true;
  std::vector<Module> modules_;
  std::vector<std::string> nodes_;  // paths under /dev
  std::deque<Uevent> uevents_;
  WaitQueue uevent_arrived_;
};

}  // namespace xenrace
