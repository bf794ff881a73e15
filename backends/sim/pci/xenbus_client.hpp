// The few pieces of the Linux xenbus core that xen-pciback and xen-pcifront call, over one XenStore
// connection (drivers/xen/xenbus/xenbus_client.c, xenbus_probe.c, xenbus_xs.c):
//
//   read_driver_state("/b")        xenbus_read_driver_state: "/b/state" parsed as a number; a missing or
//                                  unparsable node reads as Unknown (0).
//   driver_state_is("/b", s)       read_driver_state("/b") == s, comparing the text with s's decimal form.
//                                  Linux parses it, so "02" would be InitWait too; but every writer (libxl,
//                                  the drivers, the scenarios) writes the plain decimal, so the answer is
//                                  the same on every value a scenario can write.
//   switch_state(dev, Connected)   __xenbus_switch_state: nothing when dev.state already is Connected (the
//                                  cached value, not the node); else a transaction that reads "state"
//                                  (aborting, but still caching the new state, when the node is gone, as
//                                  Linux does) and writes the new value, retried on EAGAIN.
//   dev_fatal(dev, ENODEV, "...")  xenbus_dev_fatal: writes "<errno> <message>" to
//                                  /local/domain/<own>/error/<nodename>/error, then switches to Closing.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "backends/sim/pci/xenbus_state.hpp"
#include "runtime/state_key.hpp"
#include "world/pci.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

// XEN_PCI_MAGIC: what pcifront writes to its `magic` node and pciback checks.
inline constexpr const char* kXenPciMagic = "7";

// A PCI address's part of a state key (runtime/state_key.hpp).
inline void add_address(StateHasher& h, const PciAddress& a) {
  h.add(a.domain);
  h.add(a.bus);
  h.add(a.slot);
  h.add(a.func);
}

// struct xenbus_device, the parts that matter here. Paths are absolute.
struct XenbusDevice {
  std::string nodename;  // this driver's directory
  std::string otherend;  // the other end's directory
  DomId otherend_id = 0;
  XenbusState state = XenbusState::initialising;  // dev->state: what this driver last switched to
  void hash_state(StateHasher& h) const {
    h.add(nodename);
    h.add(otherend);
    h.add(otherend_id);
    h.add(static_cast<int>(state));
  }
};

// xenbus_read_unsigned(dir, node, default): decimal value of dir/node, `fallback` when missing or garbage.
unsigned read_unsigned(XsConnection& xs, std::string_view dir, std::string_view node, unsigned fallback);
// A node as a string, or nullopt when it cannot be read.
std::optional<std::string> read_node(XsConnection& xs, std::string_view dir, std::string_view node);
XenbusState read_driver_state(XsConnection& xs, std::string_view dir);
// read_driver_state(dir) == state, for a caller that acts on nothing else: a read_one_of of the state's
// decimal text, so that partial-order reduction lets it commute with changes between other states.
bool driver_state_is(XsConnection& xs, std::string_view dir, XenbusState state);
void switch_state(XsConnection& xs, XenbusDevice& dev, XenbusState state);
void dev_fatal(XsConnection& xs, XenbusDevice& dev, DomId own_domid, Errno err, std::string_view message);

}  // namespace xenrace
