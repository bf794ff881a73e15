#include "backends/sim/pci/pciback_xenbus.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "backends/sim/pci/sim_pciback.hpp"

namespace xenrace {

namespace {

constexpr const char* kBackendToken = "backend";

std::string vdev_string(std::uint32_t vslot, std::uint32_t func) {
  return fmt::format("{:04x}:{:02x}:{:02x}.{:02x}", 0, 0, vslot, func);  // the PV protocol uses %02x
}

// Components of `path` below `root` ("/r/a/b" below "/r" -> {"a", "b"}); empty when not below it.
std::vector<std::string> below(const std::string& path, const std::string& root) {
  std::vector<std::string> out;
  if (path.size() <= root.size() || path.compare(0, root.size(), root) != 0 || path[root.size()] != '/') return out;
  std::size_t i = root.size() + 1;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

// What pciback exports to a guest is read by that guest's pcifront when it scans its bus (through the
// configuration space, not XenStore): one footprint object per guest (runtime/footprint.hpp).
std::uint64_t PcibackXenbus::exports_object(DomId guest) { return object_key('X', std::uint64_t{guest}); }

PcibackXenbus::PcibackXenbus(Execution& ex, SimPciBack& pci, std::unique_ptr<XsConnection> xs)
    : ex_(ex), pci_(pci), xs_(std::move(xs)) {}

PcibackXenbus::~PcibackXenbus() = default;

void PcibackXenbus::start() {
  adopt_existing();
  ex_.spawn_daemon("xen-pciback", [this] { run(); });
}

void PcibackXenbus::adopt_existing() {
  auto domains = xs_->directory(kNoTx, kBackendRoot);
  if (!domains.ok()) return;
  for (const auto& dom : domains.value) {
    auto devs = xs_->directory(kNoTx, fmt::format("{}/{}", kBackendRoot, dom));
    if (!devs.ok()) continue;
    for (const auto& dev : devs.value) probe(fmt::format("{}/{}/{}", kBackendRoot, dom, dev), true);
  }
}

void PcibackXenbus::run() {
  {
    Scheduler::Rest starting(ex_.sched(), 4);  // nothing on the stack yet
    xs_->watch(kBackendRoot, kBackendToken);
  }
  for (;;) {
    // Between events the daemon holds nothing on its stack: its state is devices_ (hash_state).
    Scheduler::Rest waiting(ex_.sched(), 1);
    auto ev = xs_->read_watch();
    if (!ev.ok()) continue;
    if (ev.value.token == kBackendToken) {
      on_backend_event(ev.value.path);
    } else if (auto it = devices_.find(ev.value.token); it != devices_.end()) {
      // xenbus_otherend_changed: the otherend watch's token is our nodename.
      frontend_changed(it->second, read_driver_state(*xs_, it->second.xb.otherend));
    }
  }
}

void PcibackXenbus::on_backend_event(const std::string& path) {
  auto parts = below(path, kBackendRoot);
  if (parts.size() < 2) return rescan();
  device_changed(fmt::format("{}/{}/{}", kBackendRoot, parts[0], parts[1]));
}

void PcibackXenbus::rescan() {
  std::vector<std::string> seen;
  auto domains = xs_->directory(kNoTx, kBackendRoot);
  if (domains.ok()) {
    for (const auto& dom : domains.value) {
      auto devs = xs_->directory(kNoTx, fmt::format("{}/{}", kBackendRoot, dom));
      if (!devs.ok()) continue;
      for (const auto& dev : devs.value) seen.push_back(fmt::format("{}/{}/{}", kBackendRoot, dom, dev));
    }
  }
  std::vector<std::string> gone;
  for (const auto& [name, d] : devices_)
    if (std::find(seen.begin(), seen.end(), name) == seen.end()) gone.push_back(name);
  for (const auto& name : gone) unregister(name);
  for (const auto& name : seen) device_changed(name);
}

void PcibackXenbus::device_changed(const std::string& nodename) {
  // xenbus_dev_changed: a node that no longer exists takes its device with it.
  bool exists = xs_->read_one_of(nodename, {}).ok();  // only whether the node is there
  auto it = devices_.find(nodename);
  if (!exists) {
    if (it != devices_.end()) unregister(nodename);
    return;
  }
  if (it == devices_.end()) {
    probe(nodename, false);
    return;
  }
  be_watch(it->second);
}

void PcibackXenbus::probe(const std::string& nodename, bool at_start) {
  XenbusState own = read_driver_state(*xs_, nodename);
  if (devices_.count(nodename)) return;
  // xenbus_probe_node ignores a node that is "not new"; at start such a node was probed before.
  bool adopting = at_start && own != XenbusState::initialising && own != XenbusState::unknown;
  if (own != XenbusState::initialising && !adopting) return;
  if (at_start && !adopting) return;  // new devices are the daemon's, on its first event
  // talk_to_otherend: read the frontend details, then watch the frontend's state.
  auto frontend = read_node(*xs_, nodename, "frontend");
  auto frontend_id = read_node(*xs_, nodename, "frontend-id");
  if (!frontend || !frontend_id) return;
  Device d;
  d.xb.nodename = nodename;
  d.xb.otherend = *frontend;
  d.xb.otherend_id = static_cast<DomId>(std::strtoul(frontend_id->c_str(), nullptr, 10));
  Device& dev = devices_.emplace(nodename, std::move(d)).first->second;
  xs_->watch(dev.xb.otherend + "/state", nodename);
  if (adopting) {
    dev.xb.state = own;
    adopt(dev);
    return;
  }
  // xen_pcibk_xenbus_probe: InitWait, then the forced first call of the backend watch.
  switch_state(*xs_, dev.xb, XenbusState::init_wait);
  be_watch(dev);
}

void PcibackXenbus::adopt(Device& d) {
  unsigned num = read_unsigned(*xs_, d.xb.nodename, "num_devs", 0);
  for (unsigned i = 0; i < num; ++i) {
    if (read_unsigned(*xs_, d.xb.nodename, fmt::format("state-{}", i), 0) != 3) continue;
    auto dev = read_node(*xs_, d.xb.nodename, fmt::format("dev-{}", i));
    auto vdev = read_node(*xs_, d.xb.nodename, fmt::format("vdev-{}", i));
    auto addr = dev ? parse_bdf(*dev) : std::nullopt;
    auto vaddr = vdev ? parse_bdf(*vdev) : std::nullopt;
    if (!addr || !vaddr || !pci_.claim(*addr, d.xb.otherend_id)) continue;
    ex_.sched().access(exports_object(d.xb.otherend_id), AccessMode::write);
    d.exports.push_back(Export{static_cast<int>(i), *addr, vaddr->slot});
  }
}

void PcibackXenbus::unregister(const std::string& nodename) {
  auto it = devices_.find(nodename);
  if (it == devices_.end()) return;
  xs_->unwatch(it->second.xb.otherend + "/state", nodename);
  ex_.sched().access(exports_object(it->second.xb.otherend_id), AccessMode::write);
  for (const auto& e : it->second.exports) pci_.release(e.host, it->second.xb.otherend_id);
  devices_.erase(it);
}

void PcibackXenbus::be_watch(Device& d) {
  if (driver_state_is(*xs_, d.xb.nodename, XenbusState::init_wait)) setup_backend(d);
}

void PcibackXenbus::setup_backend(Device& d) {
  auto num = read_node(*xs_, d.xb.nodename, "num_devs");
  if (!num) return fatal(d, ENOENT, "Error reading number of devices");
  int num_devs = std::atoi(num->c_str());
  for (int i = 0; i < num_devs; ++i) {
    auto dev = read_node(*xs_, d.xb.nodename, fmt::format("dev-{}", i));
    if (!dev) return fatal(d, ENOENT, "Error reading device configuration");
    auto addr = parse_bdf(*dev);
    if (!addr) return fatal(d, EINVAL, "Error parsing pci device configuration");
    if (!export_device(d, *addr, i)) return;
    xs_->write(kNoTx, fmt::format("{}/state-{}", d.xb.nodename, i), "3");
  }
  if (!publish_root(d)) return;
  switch_state(*xs_, d.xb, XenbusState::initialised);
  attach(d);  // see if pcifront is already configured
}

void PcibackXenbus::attach(Device& d) {
  if (!driver_state_is(*xs_, d.xb.nodename, XenbusState::initialised)) return;
  if (!driver_state_is(*xs_, d.xb.otherend, XenbusState::initialised)) return;
  auto ref = read_node(*xs_, d.xb.otherend, "pci-op-ref");
  auto evtchn = read_node(*xs_, d.xb.otherend, "event-channel");
  auto magic = read_node(*xs_, d.xb.otherend, "magic");
  if (!ref || !evtchn || !magic) return fatal(d, ENOENT, "Error reading configuration from frontend");
  if (*magic != kXenPciMagic)
    return fatal(d, EFAULT, fmt::format("version mismatch ({}/{}) with pcifront - halting pciback", *magic, kXenPciMagic));
  switch_state(*xs_, d.xb, XenbusState::connected);
}

void PcibackXenbus::reconfigure(Device& d) {
  // "Make sure we only reconfigure once": the check reads the state node libxl wrote.
  if (!driver_state_is(*xs_, d.xb.nodename, XenbusState::reconfiguring)) return;
  auto num = read_node(*xs_, d.xb.nodename, "num_devs");
  if (!num) return fatal(d, ENOENT, "Error reading number of devices");
  int num_devs = std::atoi(num->c_str());
  for (int i = 0; i < num_devs; ++i) {
    auto substate = static_cast<XenbusState>(read_unsigned(*xs_, d.xb.nodename, fmt::format("state-{}", i), 0));
    if (substate == XenbusState::initialising) {
      auto dev = read_node(*xs_, d.xb.nodename, fmt::format("dev-{}", i));
      if (!dev) return fatal(d, ENOENT, "Error reading device configuration");
      auto addr = parse_bdf(*dev);
      if (!addr) return fatal(d, EINVAL, "Error parsing pci device configuration");
      if (!export_device(d, *addr, i)) return;
      if (!publish_root(d)) return;
      xs_->write(kNoTx, fmt::format("{}/state-{}", d.xb.nodename, i), "3");
    } else if (substate == XenbusState::closing) {
      auto vdev = read_node(*xs_, d.xb.nodename, fmt::format("vdev-{}", i));
      if (!vdev) return fatal(d, ENOENT, "Error reading device configuration");
      remove_device(d, *vdev);
    }
  }
  switch_state(*xs_, d.xb, XenbusState::reconfigured);
}

void PcibackXenbus::frontend_changed(Device& d, XenbusState fe_state) {
  switch (fe_state) {
    case XenbusState::initialised: attach(d); break;
    case XenbusState::reconfiguring: reconfigure(d); break;
    case XenbusState::connected: switch_state(*xs_, d.xb, XenbusState::connected); break;
    case XenbusState::closing: switch_state(*xs_, d.xb, XenbusState::closing); break;
    case XenbusState::closed: {
      switch_state(*xs_, d.xb, XenbusState::closed);
      if (read_node(*xs_, d.xb.nodename, "online").value_or("0") == "1") break;
      unregister(std::string(d.xb.nodename));  // frontend is gone and the device is offline
      break;
    }
    case XenbusState::unknown: unregister(std::string(d.xb.nodename)); break;
    default: break;
  }
}

bool PcibackXenbus::export_device(Device& d, const PciAddress& addr, int devid) {
  if (!pci_.claim(addr, d.xb.otherend_id)) {
    fatal(d, EINVAL,
          fmt::format("Couldn't locate PCI device ({:04x}:{:02x}:{:02x}.{})! perhaps already in-use?", addr.domain,
                      addr.bus, addr.slot, addr.func));
    return false;
  }
  // vpci: the lowest virtual slot no exported device uses.
  std::uint32_t vslot = 0;
  while (std::any_of(d.exports.begin(), d.exports.end(), [&](const Export& e) { return e.vslot == vslot; })) ++vslot;
  ex_.sched().access(exports_object(d.xb.otherend_id), AccessMode::write);
  d.exports.push_back(Export{devid, addr, vslot});
  xs_->write(kNoTx, fmt::format("{}/vdev-{}", d.xb.nodename, devid), vdev_string(vslot, addr.func));
  return true;
}

void PcibackXenbus::remove_device(Device& d, const std::string& vdev) {
  auto v = parse_bdf(vdev);
  if (!v) return;
  auto it = std::find_if(d.exports.begin(), d.exports.end(), [&](const Export& e) { return e.vslot == v->slot; });
  ex_.sched().access(exports_object(d.xb.otherend_id), AccessMode::write);
  if (it == d.exports.end()) return;  // "not owned by this domain"
  pci_.release(it->host, d.xb.otherend_id);
  d.exports.erase(it);
}

bool PcibackXenbus::publish_root(Device& d) {
  // vpci exports one virtual root bus, 0000:00; xen_pcibk_publish_pci_root writes it once.
  unsigned roots = read_unsigned(*xs_, d.xb.nodename, "root_num", 0);
  for (unsigned i = 0; i < roots; ++i)
    if (read_node(*xs_, d.xb.nodename, fmt::format("root-{}", i)).value_or("") == "0000:00") return true;
  if (xs_->write(kNoTx, fmt::format("{}/root-{}", d.xb.nodename, roots), "0000:00") != 0 ||
      xs_->write(kNoTx, d.xb.nodename + "/root_num", std::to_string(roots + 1)) != 0) {
    fatal(d, EIO, "Error while publish PCI root buses for frontend");
    return false;
  }
  return true;
}

void PcibackXenbus::fatal(Device& d, Errno err, const std::string& message) { dev_fatal(*xs_, d.xb, 0, err, message); }

std::vector<std::string> PcibackXenbus::exported_to(DomId guest) const {
  std::vector<std::string> out;
  for (const auto& [name, d] : devices_)
    if (d.xb.otherend_id == guest)
      for (const auto& e : d.exports) out.push_back(format_bdf(e.host));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PcibackXenbus::Export> PcibackXenbus::exports_for(DomId guest) const {
  std::vector<Export> out;
  for (const auto& [name, d] : devices_)
    if (d.xb.otherend_id == guest) out.insert(out.end(), d.exports.begin(), d.exports.end());
  return out;
}

XenbusState PcibackXenbus::cached_state(const std::string& nodename) const {
  auto it = devices_.find(nodename);
  return it == devices_.end() ? XenbusState::unknown : it->second.xb.state;
}

void PcibackXenbus::hash_state(StateHasher& h) const {
  h.add(devices_.size());
  for (const auto& [name, d] : devices_) {
    d.xb.hash_state(h);
    h.add(d.exports.size());
    for (const Export& e : d.exports) {
      h.add(e.devid);
      add_address(h, e.host);
      h.add(e.vslot);
    }
  }
}

}  // namespace xenrace
