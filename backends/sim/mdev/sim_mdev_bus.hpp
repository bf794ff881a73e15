// SimMdevBus: the vfio mdev core and its sysfs files, under the scheduler.
//
// Source of truth: Linux drivers/vfio/mdev/mdev_core.c (mdev_device_create, mdev_device_remove,
// mdev_device_release) and mdev_sysfs.c (create_store, remove_store), fs/kernfs (kernfs_remove_self
// behind device_remove_file_self), drivers/base/core.c (device_add: kobject, attribute groups, bus link),
// and the 2018 thread "vfio/mdev: Check globally for duplicate devices" for the older core
// (xenrace/shared/seeds/003, docs/fidelity.md §5). Two cores are selectable:
//
// MdevCore::per_parent_lock (v4.10 .. v4.17): create holds parent->lock; the duplicate check looks
//   only at that parent's children; the device joins mdev_list only after creation completed.
//   create steps: lock parent; dup check on the parent (EEXIST) | kobject under the parent |
//     bus link /sys/bus/mdev/devices/UUID (a link that exists already: kernel WARN "sysfs: cannot create
//     duplicate filename", EEXIST) | vendor create | sysfs files incl. `remove` | unlock; list_add
//   remove steps: list lookup + list_del (ENODEV when not on the list) | lock parent; vendor remove |
//     sysfs files | device_unregister (bus link and kobject go); unlock. A failed remove re-creates
//     the `remove` attribute.
// MdevCore::global_list (v4.18 .. today): no parent lock; the UUID is reserved on mdev_list first.
//   create steps: global dup check (EEXIST) + list_add, inactive | device_add: kobject and `remove` |
//     bus link + uevent | driver attach | mdev_type links | active = true
//   remove steps: not listed: ENODEV; !active: EAGAIN (the `remove` attribute, already deleted by
//     remove_store, stays deleted: the current-code quirk) | sysfs links | device_del |
//     put_device: at the last reference mdev_device_release takes the UUID off mdev_list.
// Every step above is a visible operation, so the scheduler can run other writers in every gap.
//
// remove_store (both cores): the write opens /sys/bus/mdev/devices/UUID/remove (ENOENT when not
// there), parses (EINVAL; 0 is a successful no-op), then device_remove_file_self: the first writer
// deletes the attribute and removes the device; a writer that had the file open too loses, waits until
// the winner's write returns, and returns success without removing anything.
//
// Worked examples (each is a test in tests/mdev/):
//  1. global_list: A creates U on parent P1 while B creates U on P2 -> exactly one gets EEXIST, from
//     the list check, and no kernel warning.
//  2. per_parent_lock: the same -> both pass their parent's check; the second to reach the bus link
//     gets EEXIST with the WARN, and in between U has a directory under both parents.
//  3. per_parent_lock: B writes `remove` after A's create made it visible but before list_add ->
//     ENODEV, and `remove` comes back. global_list: the same gap gives EAGAIN and `remove` is gone.
//  4. global_list: U removed while someone holds a reference -> create U again gives EEXIST until the
//     reference is put.
//  5. Two writers of `remove` on one device -> both succeed, the device is removed once.
#pragma once
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/execution.hpp"
#include "world/kernel.hpp"
#include "world/mdev.hpp"

namespace xenrace {

// MdevCore, the two cores above: world/kernel.hpp.

class SimMdevBus final : public MdevBus, public MdevKernelState {
 public:
  explicit SimMdevBus(Execution& ex);

  // --- configuration (setup code) ---
  void set_core(MdevCore core) { core_ = core; }
  MdevCore core() const { return core_; }
  // A parent device registered with mdev_register_parent, offering these types ("nvidia-63"...).
  void add_parent(std::string name, std::vector<std::string> types);

  // --- MdevBus (visible operations) ---
  Errno write_create(std::string_view parent, std::string_view type, std::string_view text) override;
  Errno write_remove(std::string_view uuid, std::string_view text) override;
  std::vector<std::string> list_devices() override;
  Result<std::string> device_parent(std::string_view uuid) override;
  bool remove_visible(std::string_view uuid) override;

  // --- kernel-side references (an open vfio device fd, a sysfs reader): get_device/put_device ---
  Errno hold(std::string_view uuid);     // ENOENT when no device is on the bus under that name
  void release_hold(std::string_view uuid);

  // --- inspection for invariants and tests: no scheduling point, no trace event ---
  // Parents that have a device directory /sys/devices/.../PARENT/UUID now.
  std::vector<std::string> parents_with(std::string_view uuid) const override;
  bool on_list(std::string_view uuid) const;
  bool has_remove_attribute(std::string_view uuid) const override;  // /sys/bus/mdev/devices/UUID/remove exists
  bool creating(std::string_view uuid) const override;  // a create of uuid has started and not returned
  bool removing(std::string_view uuid) const;  // a remove of uuid has won remove_self and not returned
  const std::vector<std::string>& kernel_warnings() const override { return warnings_; }

 private:
  void declare();
  void touch_uuid(std::string_view uuid, AccessMode mode);
  void touch_bus_listing();
  struct Device {
    std::string uuid;
    std::string parent;
    std::string type;
    bool in_parent_dir = false;  // kobject /sys/devices/.../PARENT/UUID
    bool bus_link = false;       // /sys/bus/mdev/devices/UUID points here
    bool remove_attr = false;
    bool type_links = false;
    bool on_list = false;
    bool active = false;         // global_list core only
    bool creating = false;
    bool removing = false;
    bool freed = false;
    int refs = 0;
    int holds = 0;  // references taken through hold()
    unsigned remove_attr_generation = 0;  // a re-created attribute is a new file
    WaitQueue remove_write_done;          // losers of remove_self wait here
  };
  struct Parent {
    std::string name;
    std::vector<std::string> types;
    bool locked = false;  // parent->lock (per_parent_lock core)
    WaitQueue lock_waiters;
  };

  Parent* find_parent(std::string_view name);
  Device* bus_device(std::string_view uuid);
  const Device* bus_device(std::string_view uuid) const;
  void lock_parent(Parent& p);
  void unlock_parent(Parent& p);
  void put_device(Device& d);
  Errno create_per_parent(Parent& p, std::string_view type, const std::string& uuid);
  Errno create_global(Parent& p, std::string_view type, const std::string& uuid);
  // The bus link of a device being created: EEXIST (a kernel warning, `undo`, the reference dropped) when
  // another device of that UUID has it.
  Errno bus_link(Device& d, const std::function<void()>& undo);
  Errno remove_per_parent(Device& d);
  Errno remove_global(Device& d);
  void step(std::string_view op, std::string_view args, std::string_view result);

  Execution& ex_;
  MdevCore core_ = MdevCore::global_list;
  std::deque<Parent> parents_;
  std::deque<Device> devices_;  // deque: devices keep their address while others are added
  std::vector<std::string> warnings_;
  std::vector<std::string> creating_;  // UUIDs whose create write has not returned
};

}  // namespace xenrace
