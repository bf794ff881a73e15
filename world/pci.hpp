// PCI passthrough as dom0 sees it: host PCI devices named by BDF, and the xen-pciback driver's sysfs
// files under /sys/bus/pci/drivers/pciback/ (new_slot, remove_slot, slots, bind, unbind). Each method is
// one read or write of one sysfs file, so a dom0 backend implements it by doing exactly that; results are
// the errno values those writes give.
//
// Implemented by the simulated pciback (backends/sim/pci/sim_pciback); on a real dom0 with `pciback = real` the
// sysfs half (PciSysfs) is the host's files (backends/dom0/real_pciback) under the simulated xenbus half.
#pragma once
#include <compare>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "world/result.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

// A PCI address, domain:bus:slot.function. slot < 32, func < 8.
struct PciAddress {
  std::uint32_t domain = 0;
  std::uint32_t bus = 0;
  std::uint32_t slot = 0;
  std::uint32_t func = 0;
  auto operator<=>(const PciAddress&) const = default;
};

// "0000:03:00.0", the form sysfs names devices by and libxl writes into dev-N (%04x:%02x:%02x.%01x).
inline std::string format_bdf(const PciAddress& a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%01x", a.domain, a.bus, a.slot, a.func);
  return buf;
}

// Parses "dddd:bb:ss.f" or "bb:ss.f" (domain 0), hexadecimal, whole string. No wildcards.
inline std::optional<PciAddress> parse_bdf(std::string_view text) {
  auto hex = [&](std::size_t& i, std::uint32_t max, std::uint32_t& out) {
    std::size_t start = i;
    std::uint64_t v = 0;
    while (i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i])) && i - start < 8) {
      char c = text[i];
      v = v * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      ++i;
    }
    if (i == start || v > max) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  };
  auto expect = [&](std::size_t& i, char c) { return i < text.size() && text[i++] == c; };
  std::size_t colons = 0;
  for (char c : text) colons += c == ':';
  PciAddress a;
  std::size_t i = 0;
  if (colons == 2 && !(hex(i, 0xffff, a.domain) && expect(i, ':'))) return std::nullopt;
  if (colons != 1 && colons != 2) return std::nullopt;
  if (!(hex(i, 0xff, a.bus) && expect(i, ':') && hex(i, 0x1f, a.slot) && expect(i, '.') && hex(i, 7, a.func)))
    return std::nullopt;
  if (i != text.size()) return std::nullopt;
  return a;
}

// pciback's sysfs half: the files a toolstack writes to make a device assignable.
class PciSysfs {
 public:
  virtual ~PciSysfs() = default;

  // Write `bdf` to pciback/new_slot: adds it to the list of devices pciback may seize. Appends even when
  // the same BDF is already listed. EINVAL when `bdf` does not parse.
  virtual Errno new_slot(std::string_view bdf) = 0;
  // Write `bdf` to pciback/remove_slot: removes every matching entry; ENOENT when none matched.
  virtual Errno remove_slot(std::string_view bdf) = 0;
  // Read pciback/slots: one "dddd:bb:ss.f" per entry, in the order they were added.
  virtual Result<std::vector<std::string>> slots() = 0;
  // Write `bdf` to pciback/bind. ENODEV: no such device, or pciback refused it (not on the slot list);
  // EBUSY: another driver (or pciback) is bound already.
  virtual Errno bind(std::string_view bdf) = 0;
  // Write `bdf` to /sys/bus/pci/devices/<bdf>/driver/unbind (whichever driver holds it, as libxl's
  // sysfs_dev_unbind does). ENOENT: no such device or no driver (the path does not exist).
  virtual Errno unbind(std::string_view bdf) = 0;
  // The basename of /sys/bus/pci/devices/<bdf>/driver ("pciback", "e1000e"), "" when unbound.
  // ENODEV when there is no such device.
  virtual Result<std::string> driver(std::string_view bdf) = 0;
};

class PciBack : public PciSysfs {
 public:
  // Make sure the kernel halves of passthrough react to XenStore for `guest`: dom0's xen-pciback
  // xenbus driver and the guest's (or its stubdomain's) xen-pcifront. A real host already runs them;
  // the simulator starts them as daemon actors (once per domain).
  virtual Errno start_xenbus_drivers(DomId guest) = 0;
};

}  // namespace xenrace
