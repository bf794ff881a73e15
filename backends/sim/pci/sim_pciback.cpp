#include "backends/sim/pci/sim_pciback.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "backends/sim/pci/pciback_xenbus.hpp"
#include "backends/sim/pci/pcifront.hpp"
#include "world/visible_op.hpp"

namespace xenrace {

namespace {

// str_to_slot: "dddd:bb:ss.f", "bb:ss.f", with "ss.*" or "*.*" wildcards; -1 marks a wildcard.
struct SlotSpec {
  int domain = 0, bus = 0, slot = 0, func = 0;
};

std::optional<SlotSpec> parse_slot(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string t(text);
  SlotSpec s;
  bool any_slot = false, any_func = false;
  if (auto dot = t.rfind('.'); dot != std::string::npos && t.substr(dot + 1) == "*") {
    any_func = true;
    auto colon = t.rfind(':', dot);
    if (colon != std::string::npos && t.substr(colon + 1, dot - colon - 1) == "*") {
      any_slot = true;
      t = t.substr(0, colon + 1) + "00.0";
    } else {
      t = t.substr(0, dot) + ".0";
    }
  }
  auto a = parse_bdf(t);
  if (!a) return std::nullopt;
  s.domain = static_cast<int>(a->domain);
  s.bus = static_cast<int>(a->bus);
  s.slot = any_slot ? -1 : static_cast<int>(a->slot);
  s.func = any_func ? -1 : static_cast<int>(a->func);
  return s;
}

}  // namespace

// Footprints for partial-order reduction (runtime/footprint.hpp): the slot list is one object, each host
// device (its driver and the domain using it) another, keyed by its parsed address so that every spelling
// of one BDF names the same object.
void SimPciBack::touch_slots(AccessMode mode) { ex_.sched().access(object_key('S', "pci-slots"), mode); }
void SimPciBack::touch_device(const PciAddress& a, AccessMode mode) {
  const std::uint64_t packed = (std::uint64_t{a.domain} << 32) | (a.bus << 16) | (a.slot << 8) | a.func;
  ex_.sched().access(object_key('P', packed), mode);
}

SimPciBack::SimPciBack(Execution& ex, World& world, bool default_devices) : ex_(ex), world_(world) {
  if (default_devices)
    for (int bus = 0x03; bus <= 0x09; ++bus) add_host_device(fmt::format("0000:{:02x}:00.0", bus), "e1000e");
}

SimPciBack::SimPciBack(Execution& ex, World& world, HostPciSysfs& host) : ex_(ex), world_(world), host_(&host) {}

SimPciBack::~SimPciBack() = default;

void SimPciBack::add_host_device(std::string_view bdf, std::string driver) {
  auto a = parse_bdf(bdf);
  if (!a) throw std::invalid_argument(fmt::format("not a PCI address: '{}'", bdf));
  devices_[*a] = HostDevice{std::move(driver), std::nullopt};
}

SimPciBack::HostDevice* SimPciBack::find(const PciAddress& a) {
  auto it = devices_.find(a);
  return it == devices_.end() ? nullptr : &it->second;
}

Errno SimPciBack::new_slot(std::string_view bdf) {
  if (host_) return host_->new_slot(bdf);
  return visible_op(ex_, "pci.new_slot", bdf, [&]() -> Errno {
    ex_.sched().declare_footprint();
    touch_slots(AccessMode::write);
    auto s = parse_slot(bdf);
    if (!s) return EINVAL;
    // pcistub_device_id_add expands wildcards into one entry per slot/function; an entry already on the list
    // is not added again (9f8bee9c981f "xen/pciback: avoid multiple entries in slot list", v4.9), and the
    // write still succeeds.
    for (int slot = s->slot < 0 ? 0 : s->slot; slot <= (s->slot < 0 ? 31 : s->slot); ++slot)
      for (int func = s->func < 0 ? 0 : s->func; func <= (s->func < 0 ? 7 : s->func); ++func) {
        const PciAddress a{static_cast<std::uint32_t>(s->domain), static_cast<std::uint32_t>(s->bus),
                           static_cast<std::uint32_t>(slot), static_cast<std::uint32_t>(func)};
        if (std::find(slots_.begin(), slots_.end(), a) == slots_.end()) slots_.push_back(a);
      }
    return 0;
  });
}

Errno SimPciBack::remove_slot(std::string_view bdf) {
  if (host_) return host_->remove_slot(bdf);
  return visible_op(ex_, "pci.remove_slot", bdf, [&]() -> Errno {
    ex_.sched().declare_footprint();
    touch_slots(AccessMode::write);
    auto s = parse_slot(bdf);
    if (!s) return EINVAL;
    // pcistub_device_id_remove compares devfn with PCI_DEVFN(slot, func): a wildcard's -1 keeps its low bits.
    PciAddress key{static_cast<std::uint32_t>(s->domain), static_cast<std::uint32_t>(s->bus),
                   static_cast<std::uint32_t>(s->slot) & 0x1f, static_cast<std::uint32_t>(s->func) & 7};
    return std::erase(slots_, key) ? 0 : ENOENT;
  });
}

Result<std::vector<std::string>> SimPciBack::slots() {
  if (host_) return host_->slots();
  return visible_op(ex_, "pci.slots", "", [&] {
    ex_.sched().declare_footprint();
    touch_slots(AccessMode::read);
    return Result<std::vector<std::string>>::success(peek_slots());
  },
                    value_or_errno([](const std::vector<std::string>& list) { return fmt::format("{}", fmt::join(list, " ")); }));
}

Errno SimPciBack::bind(std::string_view bdf) {
  if (host_) return host_->bind(bdf);
  return visible_op(ex_, "pci.bind", bdf, [&]() -> Errno {
    ex_.sched().declare_footprint();
    auto a = parse_bdf(bdf);
    HostDevice* d = a ? find(*a) : nullptr;
    if (!d) return ENODEV;  // the device set is fixed at setup: nothing shared was read
    touch_device(*a, AccessMode::write);
    touch_slots(AccessMode::read);
    if (!d->driver.empty()) return EBUSY;  // __driver_probe_device: dev->driver already set
    if (std::find(slots_.begin(), slots_.end(), *a) == slots_.end()) return ENODEV;
    d->driver = "pciback";  // pcistub_probe seizes devices on the slot list only
    return 0;
  });
}

Errno SimPciBack::unbind(std::string_view bdf) {
  if (host_) {
    Errno err = host_->unbind(bdf);
    auto a = parse_bdf(bdf);
    HostDevice* d = a && err == 0 ? find(*a) : nullptr;
    if (d && d->user) {
      // The host's pcistub_remove took the device from the guest; the simulated xenbus half follows.
      note_event(ex_, "pciback.warning", fmt::format("removing {} while still in-use by domain {}", bdf, *d->user), "");
      d->user.reset();
    }
    return err;
  }
  return visible_op(ex_, "pci.unbind", bdf, [&]() -> Errno {
    ex_.sched().declare_footprint();
    auto a = parse_bdf(bdf);
    HostDevice* d = a ? find(*a) : nullptr;
    if (d) touch_device(*a, AccessMode::write);
    if (!d || d->driver.empty()) return ENOENT;
    if (d->driver == "pciback" && d->user) {
      // pcistub_remove: "removing device ... while still in-use by domain N!" and takes it away.
      note_event(ex_, "pciback.warning", fmt::format("removing {} while still in-use by domain {}", bdf, *d->user), "");
      d->user.reset();
    }
    d->driver.clear();
    return 0;
  });
}

Result<std::string> SimPciBack::driver(std::string_view bdf) {
  if (host_) return host_->driver(bdf);
  return visible_op(ex_, "pci.driver", bdf, [&] {
    ex_.sched().declare_footprint();
    auto a = parse_bdf(bdf);
    HostDevice* d = a ? find(*a) : nullptr;
    if (d) touch_device(*a, AccessMode::read);
    return d ? Result<std::string>::success(d->driver) : Result<std::string>::error(ENODEV);
  }, value_or_errno([](const std::string& name) { return name.empty() ? std::string("(none)") : name; }));
}

Errno SimPciBack::start_xenbus_drivers(DomId guest) {
  if (!backend_) {
    backend_ = std::make_unique<PcibackXenbus>(ex_, *this, world_.xenstore().connect(0));
    backend_->start();
  }
  if (!frontends_.count(guest)) {
    auto& front = frontends_[guest];
    // connect_simulated_guest: the guest's own connection in the simulator; on dom0, where no guest ring
    // exists, a privileged one that resolves relative paths as the guest's would.
    front = std::make_unique<Pcifront>(ex_, *this, guest, world_.xenstore().connect_simulated_guest(guest));
    front->start();
  }
  return 0;
}

bool SimPciBack::claim(const PciAddress& addr, DomId domid) {
  // The hybrid asks the host's sysfs which driver holds the device; who uses it stays the xenbus half's.
  HostDevice* sim = host_ ? nullptr : find(addr);
  const bool bound = host_ ? host_->driver_now(addr) == "pciback" : sim && sim->driver == "pciback";
  HostDevice* d = bound ? &devices_[addr] : nullptr;
  touch_device(addr, AccessMode::write);  // inside the xenbus driver's step: its footprint grows
  bool ok = d && !d->user;
  if (ok) d->user = domid;
  // The kernel side of a xenbus driver's operation: traced inside it, with no scheduling point of its own.
  note_event(ex_, "pciback.claim", fmt::format("{} for dom{}", format_bdf(addr), domid), ok ? "OK" : "ENODEV");
  return ok;
}

bool SimPciBack::release(const PciAddress& addr, DomId domid) {
  HostDevice* d = find(addr);
  touch_device(addr, AccessMode::write);
  bool ok = d && d->user == domid;
  if (ok) d->user.reset();
  note_event(ex_, "pciback.release", fmt::format("{} from dom{}", format_bdf(addr), domid), ok ? "OK" : "ENODEV");
  return ok;
}

std::optional<DomId> SimPciBack::user_of(const PciAddress& addr) const {
  auto it = devices_.find(addr);
  return it == devices_.end() ? std::nullopt : it->second.user;
}

std::vector<std::string> SimPciBack::peek_slots() const {
  std::vector<std::string> out;
  out.reserve(slots_.size());
  for (const auto& a : slots_) out.push_back(format_bdf(a));
  return out;
}

std::vector<std::string> SimPciBack::guest_devices(DomId guest) const {
  auto it = frontends_.find(guest);
  return it == frontends_.end() ? std::vector<std::string>{} : it->second->visible_devices();
}

Pcifront* SimPciBack::frontend(DomId guest) {
  auto it = frontends_.find(guest);
  return it == frontends_.end() ? nullptr : it->second.get();
}

bool SimPciBack::hash_state(StateHasher& h) const {
  if (host_) return false;  // the hybrid: the host's sysfs holds the devices
  h.add(devices_.size());
  for (const auto& [a, d] : devices_) {
    add_address(h, a);
    h.add(d.driver);
    h.add(d.user.has_value());
    h.add(d.user.value_or(0));
  }
  h.add(slots_.size());
  for (const PciAddress& a : slots_) add_address(h, a);
  h.add(backend_ != nullptr);
  if (backend_) backend_->hash_state(h);
  h.add(frontends_.size());
  for (const auto& [guest, front] : frontends_) {
    h.add(guest);
    front->hash_state(h);
  }
  return true;
}

}  // namespace xenrace
