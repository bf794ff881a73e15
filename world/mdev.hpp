// MdevBus: mediated devices (vfio mdev) as a process sees them through sysfs. Each call is one
// system call on one sysfs file, so a dom0 backend implements it with open/write/readdir:
//   write_create  = echo -n TEXT > /sys/class/mdev_bus/PARENT/mdev_supported_types/TYPE/create
//   write_remove  = echo -n TEXT > /sys/bus/mdev/devices/UUID/remove
//   list_devices  = ls /sys/bus/mdev/devices
//   device_parent = readlink /sys/bus/mdev/devices/UUID, reduced to the parent device's name
//   remove_visible = test -e /sys/bus/mdev/devices/UUID/remove
// Results are the errno a write(2) or open(2) returns (ENOENT: the file is not there).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "world/result.hpp"

namespace xenrace {

class MdevBus {
 public:
  virtual ~MdevBus() = default;
  virtual Errno write_create(std::string_view parent, std::string_view type, std::string_view text) = 0;
  virtual Errno write_remove(std::string_view uuid, std::string_view text) = 0;
  virtual std::vector<std::string> list_devices() = 0;  // lower-case UUIDs, sorted
  virtual Result<std::string> device_parent(std::string_view uuid) = 0;
  virtual bool remove_visible(std::string_view uuid) = 0;
};

}  // namespace xenrace
