#include "backends/sim/pci/pcifront.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "backends/sim/pci/pciback_xenbus.hpp"
#include "backends/sim/pci/sim_pciback.hpp"
#include "world/visible_op.hpp"

namespace xenrace {

namespace {
constexpr const char* kDeviceToken = "device";
}  // namespace

Pcifront::Pcifront(Execution& ex, SimPciBack& pci, DomId guest, std::unique_ptr<XsConnection> xs)
    : ex_(ex), pci_(pci), guest_(guest), device_root_(fmt::format("/local/domain/{}/device", guest)), xs_(std::move(xs)) {}

Pcifront::~Pcifront() = default;

void Pcifront::start() {
  // Devices already there were probed before the simulation began (F6).
  if (auto devs = xs_->directory(kNoTx, device_root_ + "/pci"); devs.ok())
    for (const auto& id : devs.value) probe(device_root_ + "/pci/" + id, true);
  ex_.spawn_daemon(fmt::format("pcifront (dom{})", guest_), [this] { run(); });
}

void Pcifront::run() {
  {
    Scheduler::Rest starting(ex_.sched(), 3);  // nothing on the stack yet
    xs_->watch(device_root_, kDeviceToken);
  }
  for (;;) {
    // Between events the daemon holds nothing on its stack: its state is devices_ and bus_ (hash_state).
    Scheduler::Rest waiting(ex_.sched(), 2);
    auto ev = xs_->read_watch();
    if (!ev.ok()) continue;
    if (ev.value.token == kDeviceToken) {
      on_device_event(ev.value.path);
    } else if (auto it = devices_.find(ev.value.token); it != devices_.end()) {
      backend_changed(it->second, read_driver_state(*xs_, it->second.otherend));
    }
  }
}

void Pcifront::on_device_event(const std::string& path) {
  const std::string pci_root = device_root_ + "/pci";
  if (path.size() <= pci_root.size() + 1) {
    // The first event, or one on device/ or device/pci themselves: list what is there.
    auto devs = xs_->directory(kNoTx, pci_root);
    std::vector<std::string> seen;
    if (devs.ok())
      for (const auto& id : devs.value) seen.push_back(pci_root + "/" + id);
    std::vector<std::string> gone;
    for (const auto& [name, d] : devices_)
      if (std::find(seen.begin(), seen.end(), name) == seen.end()) gone.push_back(name);
    for (const auto& name : gone) device_changed(name);
    for (const auto& name : seen) device_changed(name);
    return;
  }
  if (path.compare(0, pci_root.size() + 1, pci_root + "/") != 0) return;  // another device class
  std::size_t end = path.find('/', pci_root.size() + 1);
  device_changed(path.substr(0, end));
}

void Pcifront::device_changed(const std::string& nodename) {
  bool exists = xs_->read(kNoTx, nodename).ok();
  auto it = devices_.find(nodename);
  if (!exists) {
    if (it != devices_.end()) {
      xs_->unwatch(it->second.otherend + "/state", nodename);
      devices_.erase(it);
      bus_.clear();
    }
    return;
  }
  if (it == devices_.end()) probe(nodename, false);
}

void Pcifront::probe(const std::string& nodename, bool at_start) {
  XenbusState own = read_driver_state(*xs_, nodename);
  if (devices_.count(nodename)) return;
  // xenbus_probe_node ignores a node that is "not new"; at start such a node was probed before.
  bool adopting = at_start && own != XenbusState::initialising && own != XenbusState::unknown;
  if (own != XenbusState::initialising && !adopting) return;
  if (at_start && !adopting) return;  // new devices are the daemon's, on its first event
  auto backend = read_node(*xs_, nodename, "backend");
  auto backend_id = read_node(*xs_, nodename, "backend-id");
  if (!backend || !backend_id) return;
  XenbusDevice d;
  d.nodename = nodename;
  d.otherend = *backend;
  d.otherend_id = static_cast<DomId>(std::strtoul(backend_id->c_str(), nullptr, 10));
  XenbusDevice& dev = devices_.emplace(nodename, std::move(d)).first->second;
  xs_->watch(dev.otherend + "/state", nodename);
  if (adopting) {
    dev.state = own;
    adopt_bus(dev);
    return;
  }
  publish_info(dev);
}

void Pcifront::publish_info(XenbusDevice& d) {
  // The grant reference and event channel are this guest's own resources; fixed numbers suffice.
  for (;;) {
    auto tx = xs_->transaction_start();
    if (!tx.ok()) return fatal(d, tx.err, "Error writing configuration for backend (start transaction)");
    Errno err = xs_->write(tx.value, d.nodename + "/pci-op-ref", "8");
    if (!err) err = xs_->write(tx.value, d.nodename + "/event-channel", "9");
    if (!err) err = xs_->write(tx.value, d.nodename + "/magic", kXenPciMagic);
    if (err) {
      xs_->transaction_end(tx.value, false);
      return fatal(d, err, "Error writing configuration for backend");
    }
    err = xs_->transaction_end(tx.value, true);
    if (err == EAGAIN) continue;
    if (err) return fatal(d, err, "Error completing transaction for backend");
    break;
  }
  switch_state(*xs_, d, XenbusState::initialised);
}

void Pcifront::backend_changed(XenbusDevice& d, XenbusState be_state) {
  switch (be_state) {
    case XenbusState::connected: try_connect(d); break;
    case XenbusState::closed:
      if (d.state == XenbusState::closed) break;
      [[fallthrough]];  // missed the backend's Closing
    case XenbusState::closing: try_disconnect(d); break;
    case XenbusState::reconfiguring: detach_devices(d); break;
    case XenbusState::reconfigured: attach_devices(d); break;
    default: break;
  }
}

void Pcifront::try_connect(XenbusDevice& d) {
  if (read_driver_state(*xs_, d.nodename) != XenbusState::initialised) return;  // only connect once
  if (!scan_roots(d)) return;
  switch_state(*xs_, d, XenbusState::connected);
}

void Pcifront::try_disconnect(XenbusDevice& d) {
  XenbusState prev = read_driver_state(*xs_, d.nodename);
  if (static_cast<int>(prev) >= static_cast<int>(XenbusState::closing)) return;
  if (prev == XenbusState::connected) bus_.clear();
  switch_state(*xs_, d, XenbusState::closed);
}

void Pcifront::attach_devices(XenbusDevice& d) {
  if (read_driver_state(*xs_, d.nodename) != XenbusState::reconfiguring) return;
  if (!scan_roots(d)) return;
  switch_state(*xs_, d, XenbusState::connected);
}

void Pcifront::detach_devices(XenbusDevice& d) {
  if (read_driver_state(*xs_, d.nodename) != XenbusState::connected) return;
  auto num = read_node(*xs_, d.otherend, "num_devs");
  if (!num) return fatal(d, ENOENT, "Error reading number of PCI devices");
  int num_devs = std::atoi(num->c_str());
  for (int i = 0; i < num_devs; ++i) {
    if (read_unsigned(*xs_, d.otherend, fmt::format("state-{}", i), 0) != static_cast<unsigned>(XenbusState::closing))
      continue;
    auto vdev = read_node(*xs_, d.otherend, fmt::format("vdev-{}", i));
    auto v = vdev ? parse_bdf(*vdev) : std::nullopt;
    if (!v) return fatal(d, EINVAL, fmt::format("Error reading PCI device {}", i));
    if (bus_.erase(v->slot)) note_event(ex_, "pcifront.remove", *vdev, "OK");
  }
  switch_state(*xs_, d, XenbusState::reconfiguring);
}

void Pcifront::adopt_bus(XenbusDevice& d) {
  // The guest's bus as it was left: every exported (state-i=3) device at its vdev-i.
  unsigned num = read_unsigned(*xs_, d.otherend, "num_devs", 0);
  for (unsigned i = 0; i < num; ++i) {
    if (read_unsigned(*xs_, d.otherend, fmt::format("state-{}", i), 0) != 3) continue;
    auto dev = read_node(*xs_, d.otherend, fmt::format("dev-{}", i));
    auto vdev = read_node(*xs_, d.otherend, fmt::format("vdev-{}", i));
    auto addr = dev ? parse_bdf(*dev) : std::nullopt;
    auto vaddr = vdev ? parse_bdf(*vdev) : std::nullopt;
    if (addr && vaddr) bus_[vaddr->slot] = *addr;
  }
}

bool Pcifront::scan_roots(XenbusDevice& d) {
  auto roots = read_node(*xs_, d.otherend, "root_num");
  unsigned n = roots ? static_cast<unsigned>(std::atoi(roots->c_str())) : 0;
  for (unsigned i = 0; i < n; ++i)
    if (!read_node(*xs_, d.otherend, fmt::format("root-{}", i))) {
      fatal(d, EINVAL, fmt::format("Error reading PCI root {}", i));
      return false;
    }
  // Scanning bus 0000:00 goes through pciback's configuration space: it finds what pciback exports.
  bus_.clear();
  ex_.sched().access(PcibackXenbus::exports_object(guest_), AccessMode::read);
  if (auto* back = pci_.backend_driver())
    for (const auto& e : back->exports_for(guest_)) bus_[e.vslot] = e.host;
  auto seen = visible_devices();
  note_event(ex_, "pcifront.scan", fmt::format("dom{}", guest_), fmt::format("{}", fmt::join(seen, " ")));
  return true;
}

void Pcifront::fatal(XenbusDevice& d, Errno err, const std::string& message) { dev_fatal(*xs_, d, guest_, err, message); }

std::vector<std::string> Pcifront::visible_devices() const {
  std::vector<std::string> out;
  for (const auto& [slot, host] : bus_) out.push_back(format_bdf(host));
  std::sort(out.begin(), out.end());
  return out;
}

XenbusState Pcifront::cached_state(const std::string& nodename) const {
  auto it = devices_.find(nodename);
  return it == devices_.end() ? XenbusState::unknown : it->second.state;
}

void Pcifront::hash_state(StateHasher& h) const {
  h.add(guest_);
  h.add(devices_.size());
  for (const auto& [name, d] : devices_) d.hash_state(h);
  h.add(bus_.size());
  for (const auto& [slot, a] : bus_) {
    h.add(slot);
    add_address(h, a);
  }
}

}  // namespace xenrace
