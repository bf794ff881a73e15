#include "backends/dom0/pci_sysfs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "world/pci.hpp"

namespace xenrace::dom0 {

std::string pci_driver_dir(const std::string& root, const std::string& driver) {
  return root + "/bus/pci/drivers/" + driver;
}

std::string pci_device_dir(const std::string& root, const std::string& bdf) { return root + "/bus/pci/devices/" + bdf; }

int read_pci_driver(const std::string& root, const std::string& bdf, std::string& out) {
  const std::string dir = pci_device_dir(root, bdf);
  char target[4096];
  const ssize_t n = ::readlink((dir + "/driver").c_str(), target, sizeof target - 1);
  if (n < 0) {
    const int err = errno;
    struct stat st;
    if (err != ENOENT) return err;
    if (::stat(dir.c_str(), &st) != 0) return ENODEV;
    out.clear();  // the device is there, with no driver
    return 0;
  }
  const std::string link(target, static_cast<std::size_t>(n));
  out = link.substr(link.rfind('/') + 1);
  return 0;
}

std::vector<std::string> parse_pciback_slots(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

std::string canonical_bdf(const std::string& bdf) {
  auto a = parse_bdf(bdf);
  return a ? format_bdf(*a) : std::string();
}

}  // namespace xenrace::dom0
