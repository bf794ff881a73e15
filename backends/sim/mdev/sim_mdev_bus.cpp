#include "backends/sim/mdev/sim_mdev_bus.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/sim/mdev/mdev_sysfs_input.hpp"
#include "faults/sim_faults.hpp"
#include "world/visible_op.hpp"

namespace xenrace {

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

SimMdevBus::SimMdevBus(Execution& ex) : ex_(ex) { use_sim_faults(ex_); }

// Footprints for partial-order reduction (runtime/footprint.hpp). Every lookup here is by UUID, so the
// shared objects are: all device records of one UUID together (existence, links, attributes, references,
// the create/remove in flight), each parent's lock, the bus directory's listing (which devices have a
// /sys/bus/mdev/devices link), and the kernel's WARN log. Parents are fixed at setup.
void SimMdevBus::declare() { ex_.sched().declare_footprint(); }
void SimMdevBus::touch_uuid(std::string_view uuid, AccessMode mode) {
  ex_.sched().access(object_key('M', uuid), mode);
}
void SimMdevBus::touch_bus_listing() { ex_.sched().access(object_key('M', "/sys/bus/mdev/devices"), AccessMode::write); }

void SimMdevBus::add_parent(std::string name, std::vector<std::string> types) {
  Parent& p = parents_.emplace_back();
  p.name = std::move(name);
  p.types = std::move(types);
}

void SimMdevBus::step(std::string_view op, std::string_view args, std::string_view result) {
  visible_op(ex_, op, args, [this] { declare(); }, result);  // the vendor driver's part: nothing shared
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
  ex_.sched().access(object_key('m', p.name), AccessMode::write);
  while (p.locked) {
    ex_.sched().wait(p.lock_waiters, "mdev parent->lock");
    declare();
    ex_.sched().access(object_key('m', p.name), AccessMode::write);
  }
  p.locked = true;
}

void SimMdevBus::unlock_parent(Parent& p) {
  ex_.sched().access(object_key('m', p.name), AccessMode::write);
  p.locked = false;
  ex_.sched().notify_all(p.lock_waiters);
}

void SimMdevBus::put_device(Device& d) {
  touch_uuid(d.uuid, AccessMode::write);
  touch_bus_listing();
  if (--d.refs > 0) return;
  // mdev_device_release: the last reference is gone.
  if (core_ == MdevCore::global_list) d.on_list = false;
  d.freed = true;
}

Errno SimMdevBus::write_create(std::string_view parent, std::string_view type, std::string_view text) {
  const std::string args = fmt::format("{} > {}/{}/create", printable(text), parent, type);
  Parent* p = nullptr;
  std::string uuid;
  bool writing = false;  // the text was accepted: the steps below follow
  const Errno refused = visible_op(ex_, "mdev.create", args, [&]() -> Errno {
    declare();
    p = find_parent(parent);
    if (p == nullptr || std::find(p->types.begin(), p->types.end(), type) == p->types.end()) return ENOENT;
    Result<std::string> parsed = parse_mdev_create_text(text);
    if (!parsed.ok()) return parsed.err;
    uuid = parsed.value;
    // Asked once the kernel accepted the text, as mdev_device_create fails.
    if (const Errno injected = fault_at(ex_, FaultPoint::mdev_create, uuid)) return injected;
    writing = true;
    return 0;
  }, [&](Errno e) { return writing ? "writing" : errno_name(e); });
  if (!writing) return refused;
  touch_uuid(uuid, AccessMode::write);
  creating_.push_back(uuid);
  const Errno e = core_ == MdevCore::per_parent_lock ? create_per_parent(*p, type, uuid) : create_global(*p, type, uuid);
  touch_uuid(uuid, AccessMode::write);
  creating_.erase(std::find(creating_.begin(), creating_.end(), uuid));
  note_event(ex_, "mdev.create", args, errno_name(e));  // the write returns, after its steps
  return e;
}

Errno SimMdevBus::create_per_parent(Parent& p, std::string_view type, const std::string& uuid) {
  lock_parent(p);
  Device* d = nullptr;
  const Errno exists = visible_op(ex_, "mdev.create.check", fmt::format("{} on {}", uuid, p.name), [&]() -> Errno {
    declare();
    touch_uuid(uuid, AccessMode::write);
    for (const Device& other : devices_)
      if (!other.freed && other.in_parent_dir && other.parent == p.name && other.uuid == uuid) return EEXIST;
    d = &devices_.emplace_back();
    d->uuid = uuid;
    d->parent = p.name;
    d->type = type;
    d->refs = 1;
    return 0;
  }, [](Errno e) { return e ? "EEXIST (child of this parent)" : "no child of this parent"; });
  if (exists) {
    unlock_parent(p);
    return exists;
  }

  visible_op(ex_, "mdev.create.kobject_add", fmt::format("{}/{}", p.name, uuid), [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    d->in_parent_dir = true;
  });

  if (const Errno e = bus_link(*d, [&] { d->in_parent_dir = false; })) {
    unlock_parent(p);
    return e;
  }

  step("mdev.create.vendor_create", uuid, "OK");

  visible_op(ex_, "mdev.create.sysfs_files", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    d->type_links = true;
    d->remove_attr = true;
    ++d->remove_attr_generation;
  }, "mdev_type, remove");
  unlock_parent(p);

  visible_op(ex_, "mdev.create.list_add", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    d->on_list = true;
  });
  return 0;
}

Errno SimMdevBus::bus_link(Device& d, const std::function<void()>& undo) {
  return visible_op(ex_, "mdev.create.bus_link", d.uuid, [&]() -> Errno {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    touch_bus_listing();
    if (bus_device(d.uuid) != nullptr) {
      ex_.sched().access(object_key('M', "kernel warnings"), AccessMode::write);
      warnings_.push_back(fmt::format("sysfs: cannot create duplicate filename '/bus/mdev/devices/{}'", d.uuid));
      note_event(ex_, "kernel.warn", warnings_.back(), "WARN");
      undo();
      put_device(d);
      return EEXIST;
    }
    d.bus_link = true;
    return 0;
  }, [](Errno e) { return e ? "EEXIST (duplicate sysfs link)" : "OK, uevent add"; });
}

Errno SimMdevBus::create_global(Parent& p, std::string_view type, const std::string& uuid) {
  Device* d = nullptr;
  const Errno listed = visible_op(ex_, "mdev.create.list_add", uuid, [&]() -> Errno {
    declare();
    touch_uuid(uuid, AccessMode::write);
    for (const Device& other : devices_)
      if (!other.freed && other.on_list && other.uuid == uuid) return EEXIST;
    d = &devices_.emplace_back();
    d->uuid = uuid;
    d->parent = p.name;
    d->type = type;
    d->refs = 1;
    d->on_list = true;
    return 0;
  }, [](Errno e) { return e ? "EEXIST (on mdev_list)" : "reserved, inactive"; });
  if (listed) return listed;

  visible_op(ex_, "mdev.create.device_add", fmt::format("{}/{}", p.name, uuid), [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    d->in_parent_dir = true;
    d->remove_attr = true;  // dev.groups: the attribute comes with device_add
    ++d->remove_attr_generation;
  }, "OK, remove visible");

  // Unreachable while the list reserves UUIDs; kept as the kernel has it.
  if (const Errno e = bus_link(*d, [&] {
        d->in_parent_dir = false;
        d->remove_attr = false;
      }))
    return e;

  step("mdev.create.driver_attach", uuid, "OK");

  visible_op(ex_, "mdev.create.sysfs_files", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    d->type_links = true;
  }, "mdev_type");

  visible_op(ex_, "mdev.create.active", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    d->active = true;
  });
  return 0;
}

Errno SimMdevBus::write_remove(std::string_view uuid_text, std::string_view text) {
  const std::string uuid = lower(uuid_text);
  const std::string args = fmt::format("{} > {}/remove", printable(text), uuid);
  Device* d = nullptr;
  unsigned opened_generation = 0;
  bool writing = false;  // the text was accepted: the steps below follow
  const Errno refused = visible_op(ex_, "mdev.remove", args, [&]() -> Errno {
    declare();
    touch_uuid(uuid, AccessMode::read);
    d = bus_device(uuid);
    if (d == nullptr || !d->remove_attr) return ENOENT;
    Result<unsigned long> value = parse_mdev_remove_text(text);
    if (!value.ok() || value.value == 0) return value.err;  // "0" is accepted and does nothing
    if (const Errno injected = fault_at(ex_, FaultPoint::mdev_remove, uuid)) return injected;
    opened_generation = d->remove_attr_generation;
    writing = true;
    return 0;
  }, [&](Errno e) { return writing ? "writing" : errno_name(e); });
  if (!writing) return refused;

  // device_remove_file_self: only the first writer removes.
  const bool won = visible_op(ex_, "mdev.remove.remove_self", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::write);
    if (!d->remove_attr || d->remove_attr_generation != opened_generation) return false;
    d->remove_attr = false;
    d->removing = true;
    return true;
  }, [](bool w) { return w ? "won: remove attribute deleted" : "lost: another writer is removing"; });
  if (!won) {
    touch_uuid(uuid, AccessMode::read);
    while (d->removing) {
      ex_.sched().wait(d->remove_write_done, "kernfs_remove_self of another writer");
      declare();
      touch_uuid(uuid, AccessMode::read);
    }
    note_event(ex_, "mdev.remove", args, "OK (nothing removed)");
    return 0;
  }

  const Errno e = core_ == MdevCore::per_parent_lock ? remove_per_parent(*d) : remove_global(*d);
  touch_uuid(uuid, AccessMode::write);
  d->removing = false;
  ex_.sched().notify_all(d->remove_write_done);
  note_event(ex_, "mdev.remove", args, errno_name(e));  // the write returns, after its steps
  return e;
}

Errno SimMdevBus::remove_per_parent(Device& d) {
  const Errno off = visible_op(ex_, "mdev.remove.list_del", d.uuid, [&]() -> Errno {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    if (!d.on_list) {
      d.remove_attr = true;  // remove_store re-creates the attribute when the remove failed
      ++d.remove_attr_generation;
      return ENODEV;
    }
    d.on_list = false;
    return 0;
  }, [](Errno e) { return e ? "ENODEV (not on mdev_list); remove re-created" : "OK"; });
  if (off) return off;

  Parent& p = *find_parent(d.parent);
  lock_parent(p);
  step("mdev.remove.vendor_remove", d.uuid, "OK");

  visible_op(ex_, "mdev.remove.sysfs_files", d.uuid, [&] {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    d.type_links = false;
  });

  visible_op(ex_, "mdev.remove.device_unregister", fmt::format("{}/{}", d.parent, d.uuid), [&] {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    touch_bus_listing();
    d.bus_link = false;
    d.in_parent_dir = false;
    put_device(d);
  });
  unlock_parent(p);
  return 0;
}

Errno SimMdevBus::remove_global(Device& d) {
  const Errno refused = visible_op(ex_, "mdev.remove.check", d.uuid, [&]() -> Errno {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    if (!d.on_list) return ENODEV;
    if (!d.active) return EAGAIN;
    d.active = false;
    return 0;
  }, [](Errno e) {
    return e == ENODEV ? "ENODEV (not on mdev_list)"
           : e == EAGAIN ? "EAGAIN (not active); remove attribute stays deleted"
                         : "OK, inactive";
  });
  if (refused) return refused;

  visible_op(ex_, "mdev.remove.sysfs_files", d.uuid, [&] {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    d.type_links = false;
  });

  visible_op(ex_, "mdev.remove.device_del", fmt::format("{}/{}", d.parent, d.uuid), [&] {
    declare();
    touch_uuid(d.uuid, AccessMode::write);
    touch_bus_listing();
    d.bus_link = false;
    d.in_parent_dir = false;
    d.remove_attr = false;
  });

  visible_op(ex_, "mdev.remove.put_device", d.uuid, [&] { declare(); put_device(d); },
             [&] { return d.freed ? "released, off mdev_list" : "still referenced"; });
  return 0;
}

std::vector<std::string> SimMdevBus::list_devices() {
  return visible_op(ex_, "mdev.list", "/sys/bus/mdev/devices", [&] {
    declare();
    ex_.sched().access(object_key('M', "/sys/bus/mdev/devices"), AccessMode::read);
    std::vector<std::string> out;
    for (const Device& d : devices_)
      if (!d.freed && d.bus_link) out.push_back(d.uuid);
    std::sort(out.begin(), out.end());
    return out;
  }, [](const std::vector<std::string>& out) { return fmt::format("{}", fmt::join(out, " ")); });
}

Result<std::string> SimMdevBus::device_parent(std::string_view uuid_text) {
  const std::string uuid = lower(uuid_text);
  return visible_op(ex_, "mdev.parent", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::read);
    const Device* d = bus_device(uuid);
    return d == nullptr ? Result<std::string>::error(ENOENT) : Result<std::string>::success(d->parent);
  });
}

bool SimMdevBus::remove_visible(std::string_view uuid_text) {
  const std::string uuid = lower(uuid_text);
  return visible_op(ex_, "mdev.remove_visible", uuid, [&] {
    declare();
    touch_uuid(uuid, AccessMode::read);
    const Device* d = bus_device(uuid);
    return d != nullptr && d->remove_attr;
  }, [](bool visible) { return visible ? "yes" : "no"; });
}

Errno SimMdevBus::hold(std::string_view uuid_text) {
  const std::string uuid = lower(uuid_text);
  return visible_op(ex_, "mdev.get_device", uuid, [&]() -> Errno {
    declare();
    touch_uuid(uuid, AccessMode::write);
    Device* d = bus_device(uuid);
    if (d == nullptr) return ENOENT;
    ++d->refs;
    ++d->holds;
    return 0;
  });
}

void SimMdevBus::release_hold(std::string_view uuid_text) {
  const std::string uuid = lower(uuid_text);
  visible_op(ex_, "mdev.put_device", uuid, [&]() -> const char* {
    declare();
    touch_uuid(uuid, AccessMode::write);
    for (Device& d : devices_) {
      if (!d.freed && d.uuid == uuid && d.holds > 0) {
        --d.holds;
        put_device(d);
        return d.freed ? "released, off mdev_list" : "OK";
      }
    }
    return "no reference held";
  }, [](const char* text) { return text; });
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
