#include "backends/sim/loop/sim_loop.hpp"

#include <iterator>

#include <fmt/format.h>

#include "faults/sim_faults.hpp"
#include "world/visible_op.hpp"

namespace xenrace {
namespace {

constexpr std::uint32_t kConfigureSettable = kLoFlagsReadOnly | kLoFlagsAutoclear | kLoFlagsPartscan;
constexpr std::uint32_t kSetStatusSettable = kLoFlagsAutoclear | kLoFlagsPartscan;
constexpr std::uint32_t kSetStatusClearable = kLoFlagsAutoclear;
constexpr std::uint64_t kSimFsDev = 0x801;  // the (dev, inode) pair of simulated files: one file system

std::string flags_text(std::uint32_t flags) {
  std::string s;
  if (flags & kLoFlagsReadOnly) s += "RO|";
  if (flags & kLoFlagsAutoclear) s += "AUTOCLEAR|";
  if (flags & kLoFlagsPartscan) s += "PARTSCAN|";
  if (s.empty()) return "0";
  s.pop_back();
  return s;
}

}  // namespace

SimLoop::SimLoop(Execution& ex, LoopKernel kernel) : ex_(ex), kernel_(kernel) { use_sim_faults(ex_); }

// Footprints for partial-order reduction (runtime/footprint.hpp). The shared objects: each loop device's
// record (its existence, binding, flags and diskseq) and, apart from it, its count of openers (an open and a
// close that does not detach add and subtract: updates, which commute with each other and with the scans that
// read only the binding), the set of devices (which indexes exist,
// read by the scans of LOOP_CTL_GET_FREE and find_by_file), the global diskseq counter, the list of
// detaches (which invariants read in order), and each backing file's identity. File descriptors and
// kernel references are handles: only their owner uses them, and two opens that swap their numbers are
// the same execution up to renaming, so handing one out touches nothing shared.
void SimLoop::declare() { ex_.sched().declare_footprint(); }
void SimLoop::touch_device(int index, AccessMode mode) {
  ex_.sched().access(object_key('L', static_cast<std::uint64_t>(static_cast<std::uint32_t>(index))), mode);
}
void SimLoop::touch_openers(int index, AccessMode mode) {
  ex_.sched().access(object_key('L', (std::uint64_t{1} << 32) | static_cast<std::uint32_t>(index)), mode);
}
void SimLoop::touch_device_set(AccessMode mode) { ex_.sched().access(object_key('L', "devices"), mode); }
void SimLoop::touch_diskseq_counter() { ex_.sched().access(object_key('L', "diskseq"), AccessMode::write); }
void SimLoop::touch_file(std::string_view path, AccessMode mode) { ex_.sched().access(object_key('f', path), mode); }

std::string SimLoop::device_name(int index) const { return fmt::format("loop{}", index); }

SimLoop::Device* SimLoop::find(int index) {
  auto it = devices_.find(index);
  return it == devices_.end() ? nullptr : &it->second;
}

SimLoop::Device& SimLoop::allocate(int index) {
  touch_device_set(AccessMode::write);
  touch_device(index, AccessMode::write);
  touch_openers(index, AccessMode::write);
  touch_diskseq_counter();
  Device& d = devices_[index];
  d = Device{};
  d.diskseq = ++diskseq_counter_;  // __alloc_disk_node -> inc_diskseq
  return d;
}

namespace {

constexpr int kSlotBits = 16;

// In a trace line, which already names the actor: its own count, as a process's fd number would be.
std::string fd_label(LoopFd fd) { return fmt::format("fd{}", fd.id & ((1 << kSlotBits) - 1)); }

}  // namespace

std::int32_t SimLoop::next_id(const Openers& openers) const {
  const std::int32_t slot = ex_.sched().in_actor() ? static_cast<std::int32_t>(ex_.sched().current()) + 1 : 0;
  const std::int32_t first = slot << kSlotBits;
  auto it = openers.lower_bound(first + (1 << kSlotBits));
  return it == openers.begin() || std::prev(it)->first < first ? first : std::prev(it)->first + 1;
}

const SimLoop::Opener* SimLoop::find_opener(const Openers& openers, std::int32_t id) {
  auto it = openers.find(id);
  return it == openers.end() ? nullptr : &it->second;
}

SimLoop::Opener* SimLoop::find_opener(Openers& openers, std::int32_t id) {
  auto it = openers.find(id);
  return it == openers.end() ? nullptr : &it->second;
}

SimLoop::Device* SimLoop::device_of(LoopFd fd, Errno& err, AccessMode mode) {
  const Opener* o = find_opener(fds_, fd.id);
  if (!o || !o->open) {
    err = EBADF;
    return nullptr;
  }
  err = 0;
  touch_device(o->index, mode);
  return find(o->index);
}

// The device an fd was opened on, open or closed; -1 for an id never handed out (trace names only).
int SimLoop::index_of(LoopFd fd) const {
  const Opener* o = find_opener(fds_, fd.id);
  return o ? o->index : -1;
}

void SimLoop::media_changed(Device& d) {
  // disk_force_media_change bumps diskseq only since b90ecc0379eb.
  if (kernel_ != LoopKernel::before_b90ecc0379eb) {
    touch_diskseq_counter();
    d.diskseq = ++diskseq_counter_;
  }
}

void SimLoop::detach(int index, Device& d, const char* reason) {
  touch_device(index, AccessMode::write);
  ex_.sched().access(object_key('L', "detaches"), AccessMode::write);
  detaches_.push_back(LoopDetach{index, d.backing_file, d.file, std::string(ex_.current_actor_name()), reason});
  d.state = State::unbound;
  d.flags = 0;
  d.backing_file.clear();
  d.status_name.clear();
  d.file = {};
  media_changed(d);  // __loop_clr_fd -> disk_force_media_change
}

void SimLoop::release(int index) {
  touch_device(index, AccessMode::read);
  Device* d = find(index);
  if (!d) return;
  // A close of an AUTOCLEAR device may detach it: whether it does depends on the other openers, whose opens
  // and closes this step races with. Declare the detach's footprint either way, so the step's dependencies do
  // not change with the order dpor reverses (a footprint that grows once a race is reversed loses traces).
  // Whether the device is bound with AUTOCLEAR is in its record, which this step reads: what changes it is
  // ordered with this step whichever way dpor turns it. Otherwise the close only subtracts from the count.
  if (d->state != State::unbound && (d->flags & kLoFlagsAutoclear)) {
    touch_device(index, AccessMode::write);
    touch_openers(index, AccessMode::write);
    ex_.sched().access(object_key('L', "detaches"), AccessMode::write);
    if (kernel_ != LoopKernel::before_b90ecc0379eb) touch_diskseq_counter();
  } else {
    touch_openers(index, AccessMode::update);
  }
  --d->openers;
  if (d->openers == 0 && d->state != State::unbound && (d->flags & kLoFlagsAutoclear)) detach(index, *d, "autoclear");
}

Result<int> SimLoop::get_free() {
  return visible_op(ex_, "loop.get_free", Fault{FaultPoint::loop_get_free}, "", [&] {
    declare();
    touch_device_set(AccessMode::read);
    int index = -1;
    for (const auto& [i, d] : devices_) {
      touch_device(i, AccessMode::read);
      if (d.state == State::unbound) {
        index = i;
        break;
      }
    }
    if (index < 0) {  // loop_add(-1): the lowest free id
      index = 0;
      while (devices_.count(index)) ++index;
      allocate(index);
    }
    return Result<int>::success(index);
  }, value_or_errno([this](int index) { return device_name(index); }));
}

Result<int> SimLoop::add(int index) {
  return visible_op(ex_, "loop.ctl_add", device_name(index), [&] {
    declare();
    if (index < 0) return Result<int>::error(EINVAL);
    touch_device(index, AccessMode::read);
    if (find(index)) return Result<int>::error(EEXIST);
    allocate(index);
    return Result<int>::success(index);
  }, value_or_errno([this](int i) { return device_name(i); }));
}

Errno SimLoop::remove(int index) {
  return visible_op(ex_, "loop.ctl_remove", device_name(index), [&]() -> Errno {
    declare();
    touch_device(index, AccessMode::read);
    Device* d = find(index);
    if (!d) return ENODEV;
    touch_openers(index, AccessMode::read);
    if (d->state != State::unbound || d->openers > 0) return EBUSY;
    touch_device(index, AccessMode::write);
    touch_openers(index, AccessMode::write);
    touch_device_set(AccessMode::write);
    devices_.erase(index);
    return 0;
  });
}

Result<LoopFd> SimLoop::open(int index) {
  return visible_op(ex_, "loop.open", device_name(index), [&] {
    declare();
    touch_device(index, AccessMode::read);
    Device* d = find(index);
    if (!d) return Result<LoopFd>::error(ENOENT);  // no /dev/loopN node
    if (d->state == State::rundown && kernel_ == LoopKernel::v6_11)
      return Result<LoopFd>::error(ENXIO);  // lo_open refuses while the device is torn down
    touch_openers(index, AccessMode::update);
    ++d->openers;
    const LoopFd fd{next_id(fds_)};
    fds_.emplace(fd.id, Opener{index, true});
    // The kernel closes a process's descriptors when it exits or is killed.
    ex_.sched().at_exit([this, fd] {
      Opener& o = fds_.at(fd.id);
      if (!o.open) return;
      o.open = false;
      release(o.index);
      note_event(ex_, "loop.close", fmt::format("{} (at exit)", device_name(o.index)), "OK");
    });
    return Result<LoopFd>::success(fd);
  }, value_or_errno([](LoopFd fd) { return fd_label(fd); }));
}

Errno SimLoop::close(LoopFd fd) {
  int index = -1;
  return visible_op(ex_, "loop.close", [&] { return index >= 0 ? device_name(index) : fd_label(fd); },
                    [&]() -> Errno {
                      declare();
                      Opener* o = find_opener(fds_, fd.id);
                      if (!o || !o->open) return EBADF;
                      o->open = false;
                      index = o->index;
                      release(index);
                      return 0;
                    });
}

Errno SimLoop::bind(LoopFd fd, std::string_view op, std::string_view path, std::uint32_t flags) {
  int index = -1;
  return visible_op(ex_, op, [&] { return fmt::format("{} {} {}", device_name(index), path, flags_text(flags)); }, [&] {
    declare();
    touch_file(path, AccessMode::read);
    Errno err = 0;
    Device* d = device_of(fd, err, AccessMode::write);
    auto file = files_.find(path);
    if (err == 0 && !d) err = ENXIO;
    if (err == 0 && file == files_.end()) err = ENOENT;  // opening the backing file failed
    if (err == 0 && d->state != State::unbound) err = EBUSY;
    index = index_of(fd);
    // Asked once the kernel accepted the arguments: LOOP_CONFIGURE fails here, not before.
    if (err == 0) err = fault_at(ex_, FaultPoint::loop_configure, path);
    if (err == 0) {
      media_changed(*d);  // loop_configure calls disk_force_media_change before binding
      d->state = State::bound;
      d->flags = flags & kConfigureSettable;
      d->backing_file = std::string(path);
      d->status_name = op == "loop.configure" ? std::string(path) : std::string();
      d->file = file->second;
    }
    return err;
  });
}

Errno SimLoop::configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) {
  return bind(fd, "loop.configure", backing_file, flags);
}

Errno SimLoop::set_fd(LoopFd fd, std::string_view backing_file) { return bind(fd, "loop.set_fd", backing_file, 0); }

Errno SimLoop::set_status_flags(LoopFd fd, std::uint32_t flags) {
  int index = -1;
  return visible_op(ex_, "loop.set_status", [&] { return fmt::format("{} {}", device_name(index), flags_text(flags)); },
                    [&] {
                      declare();
                      Errno err = 0;
                      Device* d = device_of(fd, err, AccessMode::write);
                      if (err == 0 && (!d || d->state != State::bound)) err = ENXIO;
                      if (err == 0) d->flags = (d->flags & ~kSetStatusClearable) | (flags & kSetStatusSettable);
                      index = err == EBADF ? -1 : index_of(fd);
                      return err;
                    });
}

Result<LoopStatus> SimLoop::get_status(LoopFd fd) {
  int index = -1;
  return visible_op(ex_, "loop.get_status", [&] { return device_name(index); }, [&] {
    declare();
    Errno err = 0;
    Device* d = device_of(fd, err, AccessMode::read);
    if (err == 0 && (!d || d->state != State::bound)) err = ENXIO;
    index = err == EBADF ? -1 : index_of(fd);
    return err ? Result<LoopStatus>::error(err)
               : Result<LoopStatus>::success(LoopStatus{d->status_name, d->file, d->flags});
  }, value_or_errno([](const LoopStatus& st) { return st.backing_file; }));
}

Errno SimLoop::clr_fd(LoopFd fd) {
  int index = -1;
  std::string what;
  bool rundown_first = false;
  Device* d = nullptr;
  const Errno result = visible_op(
      ex_, "loop.clr_fd",
      [&] { return what.empty() ? device_name(index) : fmt::format("{} ({})", device_name(index), what); },
      [&] {
        declare();
        Errno err = 0;
        d = device_of(fd, err, AccessMode::write);
        if (err == 0 && (!d || d->state != State::bound)) err = ENXIO;
        index = err == EBADF ? -1 : index_of(fd);
        if (err == 0) err = fault_at(ex_, FaultPoint::loop_clr_fd, device_name(index));
        if (err == 0) {
          touch_openers(index, AccessMode::read);
          what = d->backing_file;
          // Detach now or at the last close, by the other openers: declare the detach either way (release()).
          ex_.sched().access(object_key('L', "detaches"), AccessMode::write);
          if (kernel_ != LoopKernel::before_b90ecc0379eb) touch_diskseq_counter();
          if (kernel_ == LoopKernel::v6_11) {
            d->flags |= kLoFlagsAutoclear;  // detached at the last close
            if (d->openers == 1) d->state = State::rundown;
          } else if (d->openers > 1) {
            d->flags |= kLoFlagsAutoclear;  // deferred: someone else still has it open
          } else if (kernel_ == LoopKernel::v6_1) {
            d->state = State::rundown;  // the rest is __loop_clr_fd, after lo_mutex is dropped
            rundown_first = true;
          } else {
            detach(index, *d, "clr_fd");
          }
        }
        return err;
      },
      [&](Errno e) { return rundown_first ? "Lo_rundown" : errno_name(e); });
  if (rundown_first) finish_clr_fd(index, *d, what);
  return result;
}

void SimLoop::finish_clr_fd(int index, Device& d, const std::string& file) {
  // The second half of LOOP_CLR_FD: not a visible operation of its own (a kill must not land before it),
  // so a bare scheduling point and then its event.
  auto tear_down = [&] {
    detach(index, d, "clr_fd");
    note_event(ex_, "loop.clr_fd.teardown", fmt::format("{} ({})", device_name(index), file), "OK");
  };
  // Nothing blocks an opener here (no lo_open, no open_mutex held), so any actor may run. A kill lands when
  // the ioctl returns: the teardown completes first. d stays valid: remove() refuses a device not unbound.
  try {
    // For the state cache: the ioctl's frame holds the device and its file here, and returns 0 after.
    Scheduler::Rest tearing_down(ex_.sched(), 1, Scheduler::Rest::callee);
    tearing_down.keep(index, file);
    ex_.sched().yield();
  } catch (const ActorKilled&) {
    tear_down();
    throw;
  }
  tear_down();
}

Result<std::uint64_t> SimLoop::fd_diskseq(LoopFd fd) {
  int index = -1;
  return visible_op(ex_, "loop.blkgetdiskseq", [&] { return device_name(index); }, [&] {
    declare();
    Errno err = 0;
    Device* d = device_of(fd, err, AccessMode::read);
    if (err == 0 && !d) err = ENXIO;
    index = err == EBADF ? -1 : index_of(fd);
    return err ? Result<std::uint64_t>::error(err) : Result<std::uint64_t>::success(d->diskseq);
  }, value_or_errno([](std::uint64_t seq) { return std::to_string(seq); }));
}

Result<std::uint64_t> SimLoop::diskseq(int index) {
  return visible_op(ex_, "loop.read_diskseq", device_name(index), [&] {
    declare();
    touch_device(index, AccessMode::read);
    Device* d = find(index);
    return d ? Result<std::uint64_t>::success(d->diskseq) : Result<std::uint64_t>::error(ENOENT);
  }, value_or_errno([](std::uint64_t seq) { return std::to_string(seq); }));
}

Result<std::string> SimLoop::backing_file(int index) {
  return visible_op(ex_, "loop.read_backing_file", device_name(index), [&] {
    declare();
    touch_device(index, AccessMode::read);
    Device* d = find(index);
    // The sysfs "loop" group exists while the device has a backing file (bound or being torn down).
    return d && d->state != State::unbound ? Result<std::string>::success(d->backing_file)
                                           : Result<std::string>::error(ENOENT);
  });
}

Result<std::vector<int>> SimLoop::find_by_file(std::string_view path) {
  return visible_op(ex_, "loop.find_by_file", path, [&] {
    declare();
    touch_file(path, AccessMode::read);
    auto file = files_.find(path);
    if (file == files_.end()) return Result<std::vector<int>>::error(ENOENT);
    std::vector<int> found;
    touch_device_set(AccessMode::read);
    for (const auto& [i, d] : devices_)
      if (touch_device(i, AccessMode::read); d.state == State::bound && d.file == file->second) found.push_back(i);  // GET_STATUS64 fails unless bound
    return Result<std::vector<int>>::success(std::move(found));
  }, [this](const Result<std::vector<int>>& r) {
    std::string result;
    if (!r.ok()) result = errno_name(r.err);
    for (int i : r.value) result += (result.empty() ? "" : ",") + device_name(i);
    return result.empty() ? std::string("none") : result;
  });
}

Errno SimLoop::create_file(std::string_view path) {
  touch_file(path, AccessMode::write);
  ex_.sched().access(object_key('f', "next inode"), AccessMode::write);
  if (files_.count(std::string(path))) return EEXIST;
  files_.emplace(std::string(path), FileIdentity{kSimFsDev, next_inode_++});
  return 0;
}

void SimLoop::register_file(std::string_view path, FileIdentity identity) {
  touch_file(path, AccessMode::write);
  files_.insert_or_assign(std::string(path), identity);
}

Result<FileIdentity> SimLoop::stat_file(std::string_view path) {
  touch_file(path, AccessMode::read);
  auto it = files_.find(path);
  return it == files_.end() ? Result<FileIdentity>::error(ENOENT) : Result<FileIdentity>::success(it->second);
}

Result<int> SimLoop::kernel_open(unsigned major, unsigned minor) {
  const std::string dev = fmt::format("{}:{}", major, minor);
  Device* d = nullptr;
  return visible_op(ex_, "blkdev.get_by_dev", Fault{FaultPoint::blkback_open, dev}, dev, [&] {
    declare();
    if (major == kLoopMajor) touch_device(static_cast<int>(minor), AccessMode::read);
    d = major == kLoopMajor ? find(static_cast<int>(minor)) : nullptr;
    if (!d || (d->state == State::rundown && kernel_ == LoopKernel::v6_11)) return Result<int>::error(ENXIO);
    touch_openers(static_cast<int>(minor), AccessMode::update);
    ++d->openers;
    const Result<int> r = Result<int>::success(next_id(kernel_refs_));
    kernel_refs_.emplace(r.value, Opener{static_cast<int>(minor), true});
    return r;
  }, [&](const Result<int>& r) {
    if (!r.ok()) return std::string(errno_name(r.err));
    if (d->state == State::unbound) return std::string("OK (no medium)");
    if (d->state == State::rundown)  // only v6.1 lets an open in here
      return fmt::format("OK (being torn down, diskseq {})", d->diskseq);
    return fmt::format("OK ({}, diskseq {})", d->backing_file, d->diskseq);
  });
}

void SimLoop::kernel_close(int ref) {
  int index = -1;
  visible_op(ex_, "blkdev.put", [&] { return device_name(index); }, [&] {
    declare();
    Opener& o = kernel_refs_.at(ref);
    index = o.index;
    if (o.open) {
      o.open = false;
      release(o.index);
    }
  });
}

LoopMedium SimLoop::medium_of_ref(int ref) const {
  const Opener& o = kernel_refs_.at(ref);
  LoopMedium m = peek(o.index).value_or(LoopMedium{});
  auto it = devices_.find(o.index);
  if (it != devices_.end() && it->second.state == State::rundown) {
    // Torn down: LOOP_GET_STATUS64 says ENXIO and I/O fails; only the diskseq (not bumped yet) is left.
    m.bound = false;
    m.backing_file.clear();
    m.file = {};
  }
  return m;
}

std::optional<LoopMedium> SimLoop::peek(int index) const {
  auto it = devices_.find(index);
  if (it == devices_.end()) return std::nullopt;
  const Device& d = it->second;
  return LoopMedium{index, d.state != State::unbound, d.backing_file, d.file, d.diskseq, d.flags};
}

std::vector<int> SimLoop::indexes() const {
  std::vector<int> out;
  for (const auto& [i, d] : devices_) out.push_back(i);
  return out;
}

bool SimLoop::rundown(int index) const {
  auto it = devices_.find(index);
  return it != devices_.end() && it->second.state == State::rundown;
}

int SimLoop::openers(int index) const {
  auto it = devices_.find(index);
  return it == devices_.end() ? 0 : it->second.openers;
}

void SimLoop::hash_state(StateHasher& h) const {
  h.add(static_cast<int>(kernel_));
  h.add(devices_.size());
  for (const auto& [index, d] : devices_) {
    h.add(index);
    h.add(static_cast<int>(d.state));
    h.add(d.flags);
    h.add(d.backing_file);
    h.add(d.status_name);
    h.add(d.file.dev);
    h.add(d.file.ino);
    h.add(d.diskseq);
    h.add(d.openers);
  }
  // Closed fds and references stay: their ids say which opener holds which, and which id comes next.
  for (const auto* openers : {&fds_, &kernel_refs_}) {
    h.add(openers->size());
    for (const auto& [id, o] : *openers) {
      h.add(id);
      h.add(o.index);
      h.add(o.open);
    }
  }
  h.add(files_.size());
  for (const auto& [path, id] : files_) {
    h.add(path);
    h.add(id.dev);
    h.add(id.ino);
  }
  h.add(next_inode_);
  h.add(diskseq_counter_);
  h.add(detaches_.size());
  for (const LoopDetach& det : detaches_) {
    h.add(det.index);
    h.add(det.backing_file);
    h.add(det.file.dev);
    h.add(det.file.ino);
    h.add(det.by);
    h.add(det.reason);
  }
}

}  // namespace xenrace
