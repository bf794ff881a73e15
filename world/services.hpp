// Device nodes, kernel modules and the service manager, as a process on dom0 sees them:
//   DeviceNodes::open_node = open(2) then close(2) of a /dev node (ENOENT while the node is missing)
//   KernelModules::modprobe = modprobe NAME (ENOENT: "Failed to find module")
//   Services::active_state  = systemctl show -p ActiveState --value UNIT
//   Services::notify_ready  = sd_notify(0, "READY=1") from a service's main process
#pragma once
#include <string>
#include <string_view>

#include "world/result.hpp"

namespace xenrace {

class DeviceNodes {
 public:
  virtual ~DeviceNodes() = default;
  virtual Errno open_node(std::string_view path) = 0;
  virtual bool node_exists(std::string_view path) = 0;
};

class KernelModules {
 public:
  virtual ~KernelModules() = default;
  virtual Errno modprobe(std::string_view module) = 0;
};

class Services {
 public:
  virtual ~Services() = default;
  // "inactive", "activating", "active" or "failed", as systemctl prints them.
  virtual std::string active_state(std::string_view unit) = 0;
  virtual void notify_ready() = 0;
};

}  // namespace xenrace
