// xen-pciback's xenbus driver in dom0: reacts to the backend directories libxl writes under
// /local/domain/0/backend/pci/<domid>/<devid> and hands PCI devices to the guest's pcifront.
//
// Source of truth: Linux drivers/xen/xen-pciback/xenbus.c (xen_pcibk_xenbus_probe, xen_pcibk_be_watch,
// xen_pcibk_setup_backend, xen_pcibk_attach, xen_pcibk_reconfigure, xen_pcibk_frontend_changed,
// xen_pcibk_export_device, xen_pcibk_publish_pci_root), vpci.c (virtual slots), and the xenbus core
// (drivers/xen/xenbus/xenbus_probe.c xenbus_dev_changed, xenbus_probe_node; xenbus_probe_backend.c).
// Facts: ../shared/docs/fidelity.md §6.
//
// One daemon actor, "xen-pciback", plays dom0's xenwatch thread: it watches the backend tree and each
// frontend's `state`, and runs one callback at a time, as Linux does.
//
// Worked examples (tests in tests/pci/pci_handshake_test.cpp; B = backend dir, F = frontend dir):
//   X1  Probe. A new B whose `state` is 1 (Initialising) and which names `frontend`/`frontend-id` is
//       probed: B/state becomes 2 (InitWait), and F/state is watched. A B whose state is not 1 is
//       ignored (xenbus_probe_node: "not new").
//   X2  Setup (xen_pcibk_setup_backend, only while B/state is 2): for i < num_devs, dev-i is exported:
//       vdev-i = "0000:00:<vslot>.<func>" (%04x:%02x:%02x.%02x, vpci: lowest free virtual slot) and
//       state-i = 3; root-0 = "0000:00", root_num = 1; B/state = 3. Then attach: when B and F are both 3
//       (pcifront published pci-op-ref, event-channel, magic "7"), B/state = 4.
//   X3  Hot-add (libxl wrote dev-N, state-N=1, num_devs=N+1, state=7): nothing happens until F/state
//       is 7. Then xen_pcibk_reconfigure runs only if B's own state node still reads 7; it exports every
//       state-i=1 device (vdev-i, state-i=3), removes every state-i=5 one (found by vdev-i), and
//       switches B to 8. When F reaches 4, B goes to 4.
//   X4  A dev-i naming a device that is not bound to pciback, or is already used by a domain: xenbus
//       fatal error "Couldn't locate PCI device (...)! perhaps already in-use?", written to
//       /local/domain/0/error/backend/pci/<domid>/<devid>/error, and B/state = 5 (Closing); pcifront
//       then closes (F/state = 6) and pciback follows it to 6 (Closed), staying registered (online=1).
//   X5  B removed (xs_rm): the device is unregistered and its PCI devices are released.
//   X6  A B that exists when the driver starts (start(), from setup code) and whose state is past
//       Initialising was probed before the simulation began: it is adopted as it stands (state-i=3
//       devices are claimed for the guest), without writing anything.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/sim/pci/xenbus_client.hpp"
#include "runtime/execution.hpp"
#include "world/pci.hpp"

namespace xenrace {

class SimPciBack;

class PcibackXenbus {
 public:
  static constexpr const char* kBackendRoot = "/local/domain/0/backend/pci";

  PcibackXenbus(Execution& ex, SimPciBack& pci, std::unique_ptr<XsConnection> xs);
  ~PcibackXenbus();
  // Adopts the devices already there (X6), then spawns the daemon actor. Call from setup code.
  void start();

  // One device exported to a guest through a backend directory (vpci.c).
  struct Export {
    int devid;           // the N of dev-N it came from
    PciAddress host;     // the real device
    std::uint32_t vslot; // its slot on the guest's virtual bus 0000:00
  };
  // The devices pciback currently hands to `guest` (what pcifront finds on its bus), host BDFs sorted.
  std::vector<std::string> exported_to(DomId guest) const;
  // The same devices with their virtual slots: the bus pcifront scans.
  std::vector<Export> exports_for(DomId guest) const;
  // The footprint object of what is exported to `guest` (a reader must name it: Pcifront's bus scan).
  static std::uint64_t exports_object(DomId guest);
  // The xenbus state pciback last switched the device `nodename` to, or Unknown if not registered.
  XenbusState cached_state(const std::string& nodename) const;
  // Its part of a state key: every device it drives (the daemon waits for events with nothing else).
  void hash_state(StateHasher& h) const;

 private:
  struct Device {
    XenbusDevice xb;
    std::vector<Export> exports;
  };
  void run();
  void on_backend_event(const std::string& path);
  void adopt_existing();
  void rescan();
  void device_changed(const std::string& nodename);
  void probe(const std::string& nodename, bool at_start);
  void adopt(Device& d);
  void unregister(const std::string& nodename);
  void be_watch(Device& d);
  void setup_backend(Device& d);
  void attach(Device& d);
  void reconfigure(Device& d);
  void frontend_changed(Device& d, XenbusState fe_state);
  bool export_device(Device& d, const PciAddress& addr, int devid);
  void remove_device(Device& d, const std::string& vdev);
  bool publish_root(Device& d);
  void fatal(Device& d, Errno err, const std::string& message);

  Execution& ex_;
  SimPciBack& pci_;
  std::unique_ptr<XsConnection> xs_;
  std::map<std::string, Device> devices_;  // by nodename
};

}  // namespace xenrace
