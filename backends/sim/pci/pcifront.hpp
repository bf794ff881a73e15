// xen-pcifront in a PV guest or a stubdomain: the frontend half of PCI passthrough, reacting to its
// device directory /local/domain/<guest>/device/pci/<devid> and to the backend's `state`.
//
// Source of truth: Linux drivers/pci/xen-pcifront.c (pcifront_xenbus_probe, pcifront_publish_info,
// pcifront_backend_changed, pcifront_try_connect, pcifront_try_disconnect, pcifront_attach_devices,
// pcifront_detach_devices) and the xenbus core (xenbus_probe_frontend.c, xenbus_probe.c). Facts:
// ../shared/docs/fidelity.md §6.
//
// One daemon actor, "pcifront (domN)", plays the guest's xenwatch thread, on a connection of domain N
// (so XenStore permissions apply: it reads the backend through the r<N> entry libxl gives it). On dom0
// (no guest ring) the connection is a privileged one that resolves relative paths below
// /local/domain/N (XenStore::connect_simulated_guest): there the guest's permissions are not checked.
//
// Worked examples (tests in tests/pci/pci_handshake_test.cpp; F = frontend dir, B = backend dir):
//   F1  Probe. A new F whose state is 1 and which names `backend`/`backend-id`: B/state is watched,
//       pci-op-ref, event-channel and magic ("7") are written in one transaction (retried on EAGAIN),
//       then F/state = 3 (Initialised).
//   F2  B/state 4 while F is 3 (pcifront_try_connect): root_num and root-i are read (no root_num:
//       root 0000:00 is scanned), the guest's bus now shows what pciback exports, F/state = 4.
//   F3  B/state 7 while F is 4 (pcifront_detach_devices): every state-i=5 device (by vdev-i) is removed
//       from the guest's bus, then F/state = 7. B/state 7 while F is not 4: nothing.
//   F4  B/state 8 while F is 7 (pcifront_attach_devices): the roots are rescanned, newly exported
//       devices appear on the guest's bus, F/state = 4.
//   F5  B/state 5, or 6 while F is not 6 (pcifront_try_disconnect): F/state = 6 unless F already is 5 or
//       more.
//   F6  An F that exists when the driver starts (start(), from setup code) and whose state is past
//       Initialising is adopted as it stands (the guest booted with it): its bus holds every state-i=3
//       device of the backend at its vdev-i.
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

class Pcifront {
 public:
  Pcifront(Execution& ex, SimPciBack& pci, DomId guest, std::unique_ptr<XsConnection> xs);
  ~Pcifront();
  // Adopts the devices already there (F6), then spawns the daemon actor. Call from setup code.
  void start();

  // The devices on the guest's PCI bus after its last scan (host BDFs, sorted).
  std::vector<std::string> visible_devices() const;
  XenbusState cached_state(const std::string& nodename) const;
  // Its part of a state key: the devices it drives and the guest's bus.
  void hash_state(StateHasher& h) const;

 private:
  void run();
  void on_device_event(const std::string& path);
  void device_changed(const std::string& nodename);
  void probe(const std::string& nodename, bool at_start);
  void adopt_bus(XenbusDevice& d);
  void publish_info(XenbusDevice& d);
  void backend_changed(XenbusDevice& d, XenbusState be_state);
  void try_connect(XenbusDevice& d);
  void try_disconnect(XenbusDevice& d);
  void attach_devices(XenbusDevice& d);
  void detach_devices(XenbusDevice& d);
  bool scan_roots(XenbusDevice& d);
  void fatal(XenbusDevice& d, Errno err, const std::string& message);

  Execution& ex_;
  SimPciBack& pci_;
  DomId guest_;
  std::string device_root_;  // /local/domain/<guest>/device
  std::unique_ptr<XsConnection> xs_;
  std::map<std::string, XenbusDevice> devices_;  // by nodename
  std::map<std::uint32_t, PciAddress> bus_;  // the guest's virtual bus 0000:00: slot -> host device
};

}  // namespace xenrace
