// A temporary directory laid out like the part of sysfs pciback uses (backends/dom0/pci_sysfs.hpp): pciback's
// attribute files and devices with a driver link. The kernel's behaviour is NOT emulated: writing a BDF to
// `bind` moves no link and `slots` lists only what a test puts there. What these trees prove is which file
// receives which text and how what is read is parsed; what the kernel does with the writes is tested on a
// real xen-pciback (ci/xen-vm) only.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.hpp"

class FakePciSysfs {
 public:
  explicit FakePciSysfs(const TempDir& dir) : root_(dir.path() + "/sys") {
    for (const char* d : {"", "/bus", "/bus/pci", "/bus/pci/drivers", "/bus/pci/devices"}) ::mkdir((root_ + d).c_str(), 0755);
    add_driver("pciback");
    for (const char* f : {"new_slot", "remove_slot", "slots"}) put(driver_file("pciback", f), "");
  }
  const std::string& root() const { return root_; }

  void add_driver(const std::string& name) {
    ::mkdir((root_ + "/bus/pci/drivers/" + name).c_str(), 0755);
    for (const char* f : {"bind", "unbind"}) put(driver_file(name, f), "");
  }
  // A device bound to `driver` ("" for none).
  void add_device(const std::string& bdf, const std::string& driver) {
    ::mkdir((root_ + "/bus/pci/devices/" + bdf).c_str(), 0755);
    link(bdf, driver);
  }
  // What the kernel would do on bind/unbind, done by the test: point the device's driver link elsewhere.
  void link(const std::string& bdf, const std::string& driver) {
    const std::string l = root_ + "/bus/pci/devices/" + bdf + "/driver";
    ::unlink(l.c_str());
    if (driver.empty()) return;
    add_driver(driver);
    if (::symlink(("../../drivers/" + driver).c_str(), l.c_str()) != 0) std::perror("symlink");
  }

  std::string driver_file(const std::string& driver, const std::string& file) const {
    return root_ + "/bus/pci/drivers/" + driver + "/" + file;
  }
  std::string pciback(const std::string& file) const { return driver_file("pciback", file); }

  static void put(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }
  static std::string get(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Empties every attribute file, so that a test sees only what was written after.
  void clear_writes() {
    for (const char* f : {"new_slot", "remove_slot", "bind", "unbind"}) put(pciback(f), "");
  }

 private:
  std::string root_;
};
