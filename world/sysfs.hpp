// The sysfs files hotplug code reads and writes, by path, as a script sees them (`cat FILE`, `echo VALUE >
// FILE`, `ls DIR`). Each file belongs to a kernel component the World already has, so an access is that
// component's visible operation, with its failure points and its trace line, on either backend:
//
//   /sys/block/loopN/loop/backing_file                              read    LoopDevices::backing_file
//   /sys/block/loopN/diskseq                                        read    LoopDevices::diskseq
//   /sys/class/mdev_bus/PARENT/mdev_supported_types/TYPE/create     write   MdevBus::write_create
//   /sys/bus/mdev/devices/UUID/remove                               write   MdevBus::write_remove
//   /sys/bus/mdev/devices                                           list    MdevBus::list_devices
//   /sys/bus/mdev/devices/UUID/mdev_parent (the device link's parent) read  MdevBus::device_parent
//   /sys/bus/pci/drivers/pciback/new_slot, remove_slot, bind        write   PciSysfs
//   /sys/bus/pci/drivers/pciback/slots                              read    PciSysfs::slots
//   /sys/bus/pci/devices/BDF/driver/unbind                          write   PciSysfs::unbind
//   /sys/bus/pci/devices/BDF/driver (the link's basename)           read    PciSysfs::driver
//
// Any other path is ENOENT, and a file that is read-only (or write-only) in the kernel answers EACCES (or
// EINVAL) the other way, as the kernel's attribute modes do. On dom0 the same paths reach the real
// components, which touch only the run's own devices; a component a backend lacks is ComponentUnavailable.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "world/result.hpp"

namespace xenrace {

class World;

class Sysfs {
 public:
  explicit Sysfs(World& world) : world_(world) {}
  // `cat PATH`: the file's content with its trailing newline, as the kernel prints it.
  Result<std::string> read(std::string_view path);
  // `echo VALUE > PATH`: one write(2) of VALUE (a trailing newline is the shell's and is ignored).
  Errno write(std::string_view path, std::string_view value);
  // `ls DIR`: the entries, sorted.
  Result<std::vector<std::string>> list(std::string_view dir);

 private:
  World& world_;
};

}  // namespace xenrace
