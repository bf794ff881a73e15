#include "backends/sim/mdev/sim_mdev_bus.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/sim/mdev/mdev_sysfs_input.hpp"
#include "faults/sim_faults.hpp"

namespace xenrace {

const char* to_string(MdevCore core) {
  return core == MdevCore::per_parent_lock ? "per-parent-lock" : "global-list";
}

namespace {
// Written text as a shell user would type it, for trace arguments.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

void SimMdevBus::add_parent(std::string name, std::vector<std::string> types) {
  Parent& p = parents_.emplace_back();
  p.name = std::move(name);
  p.types = std::move(types);
}

void SimMdevBus::step(std::string_view op, std::string_view args, std::string_view result) {
  ex_.before_visible();
  ex_.record(op, args, result);
}

SimMdevBus::Parent* SimMdevBus::find_parent(std::string_view name) {
  for (Parent& p : parents_)
    if (p.name == name) return &p;
  return nullptr;
}

SimMdevBus::Device* SimMdevBus::bus_device(std::string_view uuid) {
  for (Device& d : devices_)
    if (!d.freed && d.bus_link && d.uuid == uuid) return &d;
  return nullptr;
}

const SimMdevBus::Device* SimMdevBus::bus_device(std::string_view uuid) const {
  for (const Device& d : devices_)
    if (!d.freed && d.bus_link && d.uuid == uuid) return &d;
  return nullptr;
}

void SimMdevBus::lock_parent(Parent& p) {
  while (p.locked) ex_.sched().wait(p.lock_waiters, "mdev parent->lock");
  p.locked = true;
}

void SimMdevBus::unlock_parent(Parent& p) {
  p.locked = false;
  ex_.sched().notify_all(p.lock_waiters);
}

void SimMdevBus::put_device(Device& d) {
  if (--d.refs > 0) return;
  // mdev_device_release: the last reference is gone.
  if (core_ == MdevCore::global_list) d.on_list = false;
  d.freed = true;
}

Errno SimMdevBus::write_create(std::string_view parent, std::string_view type, std::string_view text) {
  ex_.before_visible();
  const std::string args = fmt::format("{} > {}/{}/create", printable(text), parent, type);
  Parent* p = find_parent(parent);
  if (p == nullptr || std::find(p->types.begin(), p->types.end(), type) == p->types.end()) {
    ex_.record("mdev.create", args, errno_name(ENOENT));
    return ENOENT;
  }
  Result<std::string> uuid = parse_mdev_create_text(text);
  if (!uuid.ok()) {
    ex_.record("mdev.create", args, errno_name(uuid.err));
    return uuid.err;
  }
  if (Errno injected = fault_here(ex_, FaultPoint::mdev_create, uuid.value)) {
    ex_.record("mdev.create", args, errno_name(injected));
    return injected;
  }
  ex_.record("mdev.create", args, "writing");
  creating_.push_back(uuid.value);
  const Errno e = core_ == MdevCore::per_parent_lock ? create_per_parent(*p, type, uuid.value)
                                                     : create_global(*p, type, uuid.value);
  creating_.erase(std::find(creating_.begin(), creating_.end(), uuid.value));
  ex_.record("mdev.create", args, errno_name(e));
  return e;
}

Errno SimMdevBus::create_per_parent(Parent& p, std::string_view type, const std::string& uuid) {
  lock_parent(p);
  ex_.before_visible();
  for (const Device& d : devices_) {
    if (!d.freed && d.in_parent_dir && d.parent == p.name && d.uuid == uuid) {
      ex_.record("mdev.create.check", fmt::format("{} on {}", uuid, p.name), "EEXIST (child of this parent)");
      unlock_parent(p);
      return EEXIST;
    }
  }
  ex_.record("mdev.create.check", fmt::format("{} on {}", uuid, p.name), "no child of this parent");
  Device& d = devices_.emplace_back();
  d.uuid = uuid;
  d.parent = p.name;
  d.type = type;
  d.refs = 1;

  ex_.before_visible();
  d.in_parent_dir = true;
  ex_.record("mdev.create.kobject_add", fmt::format("{}/{}", p.name, uuid), "OK");

  ex_.before_visible();
  if (bus_device(uuid) != nullptr) {
    warnings_.push_back(fmt::format("sysfs: cannot create duplicate filename '/bus/mdev/devices/{}'", uuid));
    ex_.record("kernel.warn", warnings_.back(), "WARN");
    d.in_parent_dir = false;
    put_device(d);
    ex_.record("mdev.create.bus_link", uuid, "EEXIST (duplicate sysfs link)");
    unlock_parent(p);
    return EEXIST;
  }
  d.bus_link = true;
  ex_.record("mdev.create.bus_link", uuid, "OK, uevent add");

  step("mdev.create.vendor_create", uuid, "OK");

  ex_.before_visible();
  d.type_links = true;
  d.remove_attr = true;
  ++d.remove_attr_generation;
  ex_.record("mdev.create.sysfs_files", uuid, "mdev_type, remove");
  unlock_parent(p);

  ex_.before_visible();
  d.on_list = true;
  ex_.record("mdev.create.list_add", uuid, "OK");
  return 0;
}

Errno SimMdevBus::create_global(Parent& p, std::string_view type, const std::string& uuid) {
  ex_.before_visible();
  for (const Device& d : devices_) {
    if (!d.freed && d.on_list && d.uuid == uuid) {
      ex_.record("mdev.create.list_add", uuid, "EEXIST (on mdev_list)");
      return EEXIST;
    }
  }
  Device& d = devices_.emplace_back();
  d.uuid = uuid;
  d.parent = p.name;
  d.type = type;
  d.refs = 1;
  d.on_list = true;
  ex_.record("mdev.create.list_add", uuid, "reserved, inactive");

  ex_.before_visible();
  d.in_parent_dir = true;
  d.remove_attr = true;  // dev.groups: the attribute comes with device_add
  ++d.remove_attr_generation;
  ex_.record("mdev.create.device_add", fmt::format("{}/{}", p.name, uuid), "OK, remove visible");

  ex_.before_visible();
  if (bus_device(uuid) != nullptr) {  // unreachable while the list reserves UUIDs; kept as the kernel has it
    warnings_.push_back(fmt::format("sysfs: cannot create duplicate filename '/bus/mdev/devices/{}'", uuid));
    ex_.record("kernel.warn", warnings_.back(), "WARN");
    d.in_parent_dir = false;
    d.remove_attr = false;
    put_device(d);
    ex_.record("mdev.create.bus_link", uuid, "EEXIST (duplicate sysfs link)");
    return EEXIST;
  }
  d.bus_link = true;
  ex_.record("mdev.create.bus_link", uuid, "OK, uevent add");

  step("mdev.create.driver_attach", uuid, "OK");

  ex_.before_visible();
  d.type_links = true;
  ex_.record("mdev.create.sysfs_files", uuid, "mdev_type");

  ex_.before_visible();
  d.active = true;
  ex_.record("mdev.create.active", uuid, "OK");
  return 0;
}

Errno SimMdevBus::write_remove(std::string_view uuid_text, std::string_view text) {
  ex_.before_visible();
  const std::string uuid = lower(uuid_text);
  const std::string args = fmt::format("{} > {}/remove", printable(text), uuid);
  Device* d = bus_device(uuid);
  if (d == nullptr || !d->remove_attr) {
    ex_.record("mdev.remove", args, errno_name(ENOENT));
    return ENOENT;
  }
  Result<unsigned long> value = parse_mdev_remove_text(text);
  if (!value.ok() || value.value == 0) {
    ex_.record("mdev.remove", args, errno_name(value.err));
    return value.err;
  }
  if (Errno injected = fault_here(ex_, FaultPoint::mdev_remove, uuid)) {
    ex_.record("mdev.remove", args, errno_name(injected));
    return injected;
  }
  const unsigned opened_generation = d->remove_attr_generation;
  ex_.record("mdev.remove", args, "writing");

  // device_remove_file_self: only the first writer removes.
  ex_.before_visible();
  if (!d->remove_attr || d->remove_attr_generation != opened_generation) {
    ex_.record("mdev.remove.remove_self", uuid, "lost: another writer is removing");
    while (d->removing) ex_.sched().wait(d->remove_write_done, "kernfs_remove_self of another writer");
    ex_.record("mdev.remove", args, "OK (nothing removed)");
    return 0;
  }
  d->remove_attr = false;
  d->removing = true;
  ex_.record("mdev.remove.remove_self", uuid, "won: remove attribute deleted");

  const Errno e = core_ == MdevCore::per_parent_lock ? remove_per_parent(*d) : remove_global(*d);
  d->removing = false;
  ex_.sched().notify_all(d->remove_write_done);
  ex_.record("mdev.remove", args, errno_name(e));
  return e;
}

Errno SimMdevBus::remove_per_parent(Device& d) {
  ex_.before_visible();
  if (!d.on_list) {
    d.remove_attr = true;  // remove_store re-creates the attribute when the remove failed
    ++d.remove_attr_generation;
    ex_.record("mdev.remove.list_del", d.uuid, "ENODEV (not on mdev_list); remove re-created");
    return ENODEV;
  }
  d.on_list = false;
  ex_.record("mdev.remove.list_del", d.uuid, "OK");

  Parent& p = *find_parent(d.parent);
  lock_parent(p);
  step("mdev.remove.vendor_remove", d.uuid, "OK");

  ex_.before_visible();
  d.type_links = false;
  ex_.record("mdev.remove.sysfs_files", d.uuid, "OK");

  ex_.before_visible();
  d.bus_link = false;
  d.in_parent_dir = false;
  put_device(d);
  ex_.record("mdev.remove.device_unregister", fmt::format("{}/{}", d.parent, d.uuid), "OK");
  unlock_parent(p);
  return 0;
}

Errno SimMdevBus::remove_global(Device& d) {
  ex_.before_visible();
  if (!d.on_list) {
    ex_.record("mdev.remove.check", d.uuid, "ENODEV (not on mdev_list)");
    return ENODEV;
  }
  if (!d.active) {
    ex_.record("mdev.remove.check", d.uuid, "EAGAIN (not active); remove attribute stays deleted");
    return EAGAIN;
  }
  d.active = false;
  ex_.record("mdev.remove.check", d.uuid, "OK, inactive");

  ex_.before_visible();
  d.type_links = false;
  ex_.record("mdev.remove.sysfs_files", d.uuid, "OK");

  ex_.before_visible();
  d.bus_link = false;
  d.in_parent_dir = false;
  d.remove_attr = false;
  ex_.record("mdev.remove.device_del", fmt::format("{}/{}", d.parent, d.uuid), "OK");

  ex_.before_visible();
  put_device(d);
  ex_.record("mdev.remove.put_device", d.uuid, d.freed ? "released, off mdev_list" : "still referenced");
  return 0;
}

std::vector<std::string> SimMdevBus::list_devices() {
  ex_.before_visible();
  std::vector<std::string> out;
  for (const Device& d : devices_)
    if (!d.freed && d.bus_link) out.push_back(d.uuid);
  std::sort(out.begin(), out.end());
  ex_.record("mdev.list", "/sys/bus/mdev/devices", fmt::format("{}", fmt::join(out, " ")));
  return out;
}

Result<std::string> SimMdevBus::device_parent(std::string_view uuid_text) {
  ex_.before_visible();
  const std::string uuid = lower(uuid_text);
  const Device* d = bus_device(uuid);
  if (d == nullptr) {
    ex_.record("mdev.parent", uuid, errno_name(ENOENT));
    return Result<std::string>::error(ENOENT);
  }
  ex_.record("mdev.parent", uuid, d->parent);
  return Result<std::string>::success(d->parent);
}

bool SimMdevBus::remove_visible(std::string_view uuid_text) {
  ex_.before_visible();
  const std::string uuid = lower(uuid_text);
  const Device* d = bus_device(uuid);
  const bool visible = d != nullptr && d->remove_attr;
  ex_.record("mdev.remove_visible", uuid, visible ? "yes" : "no");
  return visible;
}

Errno SimMdevBus::hold(std::string_view uuid_text) {
  ex_.before_visible();
  const std::string uuid = lower(uuid_text);
  Device* d = bus_device(uuid);
  if (d == nullptr) {
    ex_.record("mdev.get_device", uuid, errno_name(ENOENT));
    return ENOENT;
  }
  ++d->refs;
  ++d->holds;
  ex_.record("mdev.get_device", uuid, "OK");
  return 0;
}

void SimMdevBus::release_hold(std::string_view uuid_text) {
  ex_.before_visible();
  const std::string uuid = lower(uuid_text);
  for (Device& d : devices_) {
    if (!d.freed && d.uuid == uuid && d.holds > 0) {
      --d.holds;
      put_device(d);
      ex_.record("mdev.put_device", uuid, d.freed ? "released, off mdev_list" : "OK");
      return;
    }
  }
  ex_.record("mdev.put_device", uuid, "no reference held");
}

std::vector<std::string> SimMdevBus::parents_with(std::string_view uuid) const {
  std::vector<std::string> out;
  for (const Device& d : devices_)
    if (!d.freed && d.in_parent_dir && d.uuid == uuid) out.push_back(d.parent);
  return out;
}

bool SimMdevBus::on_list(std::string_view uuid) const {
  for (const Device& d : devices_)
    if (!d.freed && d.on_list && d.uuid == uuid) return true;
  return false;
}

bool SimMdevBus::has_remove_attribute(std::string_view uuid) const {
  const Device* d = bus_device(uuid);
  return d != nullptr && d->remove_attr;
}

bool SimMdevBus::creating(std::string_view uuid) const {
  return std::find(creating_.begin(), creating_.end(), uuid) != creating_.end();
}

bool SimMdevBus::removing(std::string_view uuid) const {
  // A remover keeps `removing` until its write returns, even after the release freed the device.
  for (const Device& d : devices_)
    if (d.removing && d.uuid == uuid) return true;
  return false;
}

}  // namespace xenrace
