#include "backends/sim/loop/sim_loop.hpp"

#include <fmt/format.h>

#include "faults/sim_faults.hpp"

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

const char* to_string(LoopKernel k) {
  switch (k) {
    case LoopKernel::before_b90ecc0379eb: return "before-b90ecc0379eb";
    case LoopKernel::v6_5: return "v6.5";
    case LoopKernel::v6_11: return "v6.11";
    case LoopKernel::v6_1: return "v6.1";
  }
  return "?";
}

SimLoop::SimLoop(Execution& ex, LoopKernel kernel) : ex_(ex), kernel_(kernel) {}

std::string SimLoop::device_name(int index) const { return fmt::format("loop{}", index); }

SimLoop::Device* SimLoop::find(int index) {
  auto it = devices_.find(index);
  return it == devices_.end() ? nullptr : &it->second;
}

SimLoop::Device& SimLoop::allocate(int index) {
  Device& d = devices_[index];
  d = Device{};
  d.diskseq = ++diskseq_counter_;  // __alloc_disk_node -> inc_diskseq
  return d;
}

SimLoop::Device* SimLoop::device_of(LoopFd fd, Errno& err) {
  if (fd.id < 0 || static_cast<std::size_t>(fd.id) >= fds_.size() || !fds_[fd.id].open) {
    err = EBADF;
    return nullptr;
  }
  err = 0;
  return find(fds_[fd.id].index);
}

void SimLoop::media_changed(Device& d) {
  // disk_force_media_change bumps diskseq only since b90ecc0379eb.
  if (kernel_ != LoopKernel::before_b90ecc0379eb) d.diskseq = ++diskseq_counter_;
}

void SimLoop::detach(int index, Device& d, const char* reason) {
  detaches_.push_back(LoopDetach{index, d.backing_file, d.file, std::string(ex_.current_actor_name()), reason});
  d.state = State::unbound;
  d.flags = 0;
  d.backing_file.clear();
  d.status_name.clear();
  d.file = {};
  media_changed(d);  // __loop_clr_fd -> disk_force_media_change
}

void SimLoop::release(int index) {
  Device* d = find(index);
  if (!d) return;
  --d->openers;
  if (d->openers == 0 && d->state != State::unbound && (d->flags & kLoFlagsAutoclear)) detach(index, *d, "autoclear");
}

Result<int> SimLoop::get_free() {
  ex_.before_visible();
  if (Errno e = fault_here(ex_, FaultPoint::loop_get_free)) {
    ex_.record("loop.get_free", "", errno_name(e));
    return Result<int>::error(e);
  }
  int index = -1;
  for (const auto& [i, d] : devices_) {
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
  ex_.record("loop.get_free", "", device_name(index));
  return Result<int>::success(index);
}

Result<int> SimLoop::add(int index) {
  ex_.before_visible();
  Result<int> r;
  if (index < 0) {
    r = Result<int>::error(EINVAL);
  } else if (find(index)) {
    r = Result<int>::error(EEXIST);
  } else {
    allocate(index);
    r = Result<int>::success(index);
  }
  ex_.record("loop.ctl_add", device_name(index), r.ok() ? device_name(index) : errno_name(r.err));
  return r;
}

Errno SimLoop::remove(int index) {
  ex_.before_visible();
  Errno err = 0;
  Device* d = find(index);
  if (!d) {
    err = ENODEV;
  } else if (d->state != State::unbound || d->openers > 0) {
    err = EBUSY;
  } else {
    devices_.erase(index);
  }
  ex_.record("loop.ctl_remove", device_name(index), errno_name(err));
  return err;
}

Result<LoopFd> SimLoop::open(int index) {
  ex_.before_visible();
  Result<LoopFd> r;
  Device* d = find(index);
  if (!d) {
    r = Result<LoopFd>::error(ENOENT);  // no /dev/loopN node
  } else if (d->state == State::rundown && kernel_ == LoopKernel::v6_11) {
    r = Result<LoopFd>::error(ENXIO);  // lo_open refuses while the device is torn down
  } else {
    ++d->openers;
    const LoopFd fd{static_cast<std::int32_t>(fds_.size())};
    fds_.push_back(Opener{index, true});
    // The kernel closes a process's descriptors when it exits or is killed.
    ex_.sched().at_exit([this, fd] {
      if (!fds_[fd.id].open) return;
      fds_[fd.id].open = false;
      release(fds_[fd.id].index);
      ex_.record("loop.close", fmt::format("{} (at exit)", device_name(fds_[fd.id].index)), "OK");
    });
    r = Result<LoopFd>::success(fd);
  }
  ex_.record("loop.open", device_name(index), r.ok() ? fmt::format("fd{}", r.value.id) : errno_name(r.err));
  return r;
}

Errno SimLoop::close(LoopFd fd) {
  ex_.before_visible();
  Errno err = 0;
  int index = -1;
  if (fd.id < 0 || static_cast<std::size_t>(fd.id) >= fds_.size() || !fds_[fd.id].open) {
    err = EBADF;
  } else {
    fds_[fd.id].open = false;
    index = fds_[fd.id].index;
    release(index);
  }
  ex_.record("loop.close", index >= 0 ? device_name(index) : fmt::format("fd{}", fd.id), errno_name(err));
  return err;
}

Errno SimLoop::bind(LoopFd fd, std::string_view op, std::string_view path, std::uint32_t flags) {
  ex_.before_visible();
  Errno err = 0;
  Device* d = device_of(fd, err);
  auto file = files_.find(path);
  if (err == 0 && !d) err = ENXIO;
  if (err == 0 && file == files_.end()) err = ENOENT;  // opening the backing file failed
  if (err == 0 && d->state != State::unbound) err = EBUSY;
  const int index = fd.id >= 0 && static_cast<std::size_t>(fd.id) < fds_.size() ? fds_[fd.id].index : -1;
  if (err == 0) err = fault_here(ex_, FaultPoint::loop_configure, path);
  if (err == 0) {
    media_changed(*d);  // loop_configure calls disk_force_media_change before binding
    d->state = State::bound;
    d->flags = flags & kConfigureSettable;
    d->backing_file = std::string(path);
    d->status_name = op == "loop.configure" ? std::string(path) : std::string();
    d->file = file->second;
  }
  ex_.record(op, fmt::format("{} {} {}", device_name(index), path, flags_text(flags)), errno_name(err));
  return err;
}

Errno SimLoop::configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) {
  return bind(fd, "loop.configure", backing_file, flags);
}

Errno SimLoop::set_fd(LoopFd fd, std::string_view backing_file) { return bind(fd, "loop.set_fd", backing_file, 0); }

Errno SimLoop::set_status_flags(LoopFd fd, std::uint32_t flags) {
  ex_.before_visible();
  Errno err = 0;
  Device* d = device_of(fd, err);
  if (err == 0 && (!d || d->state != State::bound)) err = ENXIO;
  if (err == 0) d->flags = (d->flags & ~kSetStatusClearable) | (flags & kSetStatusSettable);
  const int index = err == EBADF ? -1 : fds_[fd.id].index;
  ex_.record("loop.set_status", fmt::format("{} {}", device_name(index), flags_text(flags)), errno_name(err));
  return err;
}

Result<LoopStatus> SimLoop::get_status(LoopFd fd) {
  ex_.before_visible();
  Errno err = 0;
  Device* d = device_of(fd, err);
  if (err == 0 && (!d || d->state != State::bound)) err = ENXIO;
  Result<LoopStatus> r = err ? Result<LoopStatus>::error(err)
                             : Result<LoopStatus>::success(LoopStatus{d->status_name, d->file, d->flags});
  const int index = err == EBADF ? -1 : fds_[fd.id].index;
  ex_.record("loop.get_status", device_name(index), r.ok() ? r.value.backing_file : errno_name(err));
  return r;
}

Errno SimLoop::clr_fd(LoopFd fd) {
  ex_.before_visible();
  Errno err = 0;
  Device* d = device_of(fd, err);
  if (err == 0 && (!d || d->state != State::bound)) err = ENXIO;
  const int index = err == EBADF ? -1 : fds_[fd.id].index;
  if (err == 0) err = fault_here(ex_, FaultPoint::loop_clr_fd, device_name(index));
  std::string what;
  bool rundown_first = false;
  if (err == 0) {
    what = d->backing_file;
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
  ex_.record("loop.clr_fd", what.empty() ? device_name(index) : fmt::format("{} ({})", device_name(index), what),
             rundown_first ? "Lo_rundown" : errno_name(err));
  if (rundown_first) finish_clr_fd(index, *d, what);
  return err;
}

void SimLoop::finish_clr_fd(int index, Device& d, const std::string& file) {
  auto tear_down = [&] {
    detach(index, d, "clr_fd");
    ex_.record("loop.clr_fd.teardown", fmt::format("{} ({})", device_name(index), file), "OK");
  };
  // Nothing blocks an opener here (no lo_open, no open_mutex held), so any actor may run. A kill lands when
  // the ioctl returns: the teardown completes first. d stays valid: remove() refuses a device not unbound.
  try {
    ex_.sched().yield();
  } catch (const ActorKilled&) {
    tear_down();
    throw;
  }
  tear_down();
}

Result<std::uint64_t> SimLoop::fd_diskseq(LoopFd fd) {
  ex_.before_visible();
  Errno err = 0;
  Device* d = device_of(fd, err);
  if (err == 0 && !d) err = ENXIO;
  auto r = err ? Result<std::uint64_t>::error(err) : Result<std::uint64_t>::success(d->diskseq);
  const int index = err == EBADF ? -1 : fds_[fd.id].index;
  ex_.record("loop.blkgetdiskseq", device_name(index), r.ok() ? std::to_string(r.value) : errno_name(err));
  return r;
}

Result<std::uint64_t> SimLoop::diskseq(int index) {
  ex_.before_visible();
  Device* d = find(index);
  auto r = d ? Result<std::uint64_t>::success(d->diskseq) : Result<std::uint64_t>::error(ENOENT);
  ex_.record("loop.read_diskseq", device_name(index), r.ok() ? std::to_string(r.value) : errno_name(r.err));
  return r;
}

Result<std::string> SimLoop::backing_file(int index) {
  ex_.before_visible();
  Device* d = find(index);
  // The sysfs "loop" group exists while the device has a backing file (bound or being torn down).
  auto r = d && d->state != State::unbound ? Result<std::string>::success(d->backing_file)
                                           : Result<std::string>::error(ENOENT);
  ex_.record("loop.read_backing_file", device_name(index), r.ok() ? r.value : errno_name(r.err));
  return r;
}

Result<std::vector<int>> SimLoop::find_by_file(std::string_view path) {
  ex_.before_visible();
  auto file = files_.find(path);
  Result<std::vector<int>> r;
  if (file == files_.end()) {
    r = Result<std::vector<int>>::error(ENOENT);
  } else {
    std::vector<int> found;
    for (const auto& [i, d] : devices_)
      if (d.state == State::bound && d.file == file->second) found.push_back(i);  // GET_STATUS64 fails unless bound
    r = Result<std::vector<int>>::success(std::move(found));
  }
  std::string result;
  if (!r.ok()) result = errno_name(r.err);
  for (int i : r.value) result += (result.empty() ? "" : ",") + device_name(i);
  ex_.record("loop.find_by_file", path, result.empty() ? "none" : result);
  return r;
}

Errno SimLoop::create_file(std::string_view path) {
  if (files_.count(std::string(path))) return EEXIST;
  files_.emplace(std::string(path), FileIdentity{kSimFsDev, next_inode_++});
  return 0;
}

Result<FileIdentity> SimLoop::stat_file(std::string_view path) {
  auto it = files_.find(path);
  return it == files_.end() ? Result<FileIdentity>::error(ENOENT) : Result<FileIdentity>::success(it->second);
}

Result<int> SimLoop::kernel_open(unsigned major, unsigned minor) {
  ex_.before_visible();
  Result<int> r;
  Device* d = major == kLoopMajor ? find(static_cast<int>(minor)) : nullptr;
  if (Errno injected = fault_here(ex_, FaultPoint::blkback_open, fmt::format("{}:{}", major, minor))) {
    r = Result<int>::error(injected);
  } else if (!d || (d->state == State::rundown && kernel_ == LoopKernel::v6_11)) {
    r = Result<int>::error(ENXIO);
  } else {
    ++d->openers;
    r = Result<int>::success(static_cast<int>(kernel_refs_.size()));
    kernel_refs_.push_back(Opener{static_cast<int>(minor), true});
  }
  std::string result = errno_name(r.err);
  if (r.ok()) {
    if (d->state == State::unbound)
      result = "OK (no medium)";
    else if (d->state == State::rundown)  // only v6.1 lets an open in here
      result = fmt::format("OK (being torn down, diskseq {})", d->diskseq);
    else
      result = fmt::format("OK ({}, diskseq {})", d->backing_file, d->diskseq);
  }
  ex_.record("blkdev.get_by_dev", fmt::format("{}:{}", major, minor), result);
  return r;
}

void SimLoop::kernel_close(int ref) {
  ex_.before_visible();
  Opener& o = kernel_refs_.at(static_cast<std::size_t>(ref));
  if (o.open) {
    o.open = false;
    release(o.index);
  }
  ex_.record("blkdev.put", device_name(o.index), "OK");
}

LoopMedium SimLoop::medium_of_ref(int ref) const {
  const Opener& o = kernel_refs_.at(static_cast<std::size_t>(ref));
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
  return LoopMedium{index, d.state != State::unbound, d.backing_file, d.file, d.diskseq};
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

}  // namespace xenrace
