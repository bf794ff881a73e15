#include "backends/dom0/dom0_loop.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "backends/dom0/host_ops.hpp"
#include "faults/fault_catalogue.hpp"
#include "world/visible_op.hpp"
#include "world/world.hpp"

namespace xenrace::dom0 {
namespace {

constexpr off_t kBackingFileSize = 1 << 20;  // small: the race is about identity, not content

std::string device_name(int index) { return fmt::format("loop{}", index); }

std::string flags_text(std::uint32_t flags) {
  std::string out;
  if (flags & kLoFlagsReadOnly) out += "|RO";
  if (flags & kLoFlagsAutoclear) out += "|AUTOCLEAR";
  if (flags & kLoFlagsPartscan) out += "|PARTSCAN";
  return out.empty() ? "0" : out.substr(1);
}

int errno_or_eio() { return errno ? errno : EIO; }

}  // namespace

Dom0Loop::Dom0Loop(Execution& ex, Dom0Session& session) : ex_(ex), session_(session) {
  const int ctl = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0)
    throw ComponentUnavailable(fmt::format("loop devices: cannot open /dev/loop-control: {} (needs the loop driver "
                                           "and root)",
                                           std::strerror(errno)));
  ::close(ctl);
}

Dom0Loop::~Dom0Loop() {
  for (auto& f : fds_)
    if (f.fd >= 0) ::close(f.fd);
  for (auto& k : kernel_refs_)
    if (k.fd >= 0) ::close(k.fd);
  // Undo in reverse: clear the bindings still on the run's files, then remove the files.
  for (auto& [host, binding] : bindings_) {
    std::string bound;
    if (loop_backing_file(host, bound) == 0 && (bound == binding.first || bound == binding.first + " (deleted)")) {
      if (loop_clear(host) != 0) continue;  // still held (e.g. a deferred detach): `xenrace cleanup` retries
    }
    session_.ledger().released(binding.second);
  }
  // What another program bound to the run's files (the host's block script), still bound now.
  if (others_entry_) {
    bool all_cleared = true;
    for (const auto& [host, file] : loops_bound_in(session_.scratch_dir_if_any())) all_cleared &= loop_clear(host) == 0;
    if (all_cleared) session_.ledger().released(others_entry_);
  }
  for (auto& [path, entry] : files_)
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) session_.ledger().released(entry);
}

void Dom0Loop::expect_bindings_by_others() {
  if (others_entry_) return;
  session_.scratch_dir();
  others_entry_ = session_.ledger().intend("loop-in", {session_.scratch_dir_if_any()});
}

void Dom0Loop::adopt_bound_devices() {
  std::vector<std::pair<int, std::string>> found;
  {
    Scheduler::IoWindow io(ex_.sched());
    found = loops_bound_in(session_.scratch_dir_if_any());
  }
  // Shared state only once the actor lock is held again.
  for (const auto& [host, file] : found) scenario_index(host);
}

int Dom0Loop::scenario_index(int host) {
  if (auto it = scenario_of_.find(host); it != scenario_of_.end()) return it->second;
  const int s = static_cast<int>(host_of_.size());
  host_of_.push_back(host);
  scenario_of_[host] = s;
  return s;
}

int Dom0Loop::host_index(int index) const {
  return index >= 0 && static_cast<std::size_t>(index) < host_of_.size() ? host_of_[index] : -1;
}

int Dom0Loop::scenario_index_of(int host) const {
  auto it = scenario_of_.find(host);
  return it == scenario_of_.end() ? -1 : it->second;
}

std::string Dom0Loop::host_file(std::string_view path) const {
  std::string flat(path);
  if (!flat.empty() && flat[0] == '/') flat.erase(0, 1);
  for (char& c : flat)
    if (c == '/') c = '%';  // one flat directory: cleanup removes files, then the directory
  return session_.scratch_dir_if_any() + "/" + flat;
}

std::string Dom0Loop::scenario_file(const std::string& host) const {
  std::string h = host;
  const std::string deleted = " (deleted)";
  if (h.size() > deleted.size() && h.compare(h.size() - deleted.size(), deleted.size(), deleted) == 0)
    h.erase(h.size() - deleted.size());
  const std::string dir = session_.scratch_dir_if_any() + "/";
  if (h.compare(0, dir.size(), dir) != 0) return host;  // not the run's: shown as the host names it
  std::string rest = h.substr(dir.size());
  for (char& c : rest)
    if (c == '%') c = '/';
  return "/" + rest;
}

int Dom0Loop::fd_of(LoopFd fd, int& index) const {
  if (!fd.valid() || static_cast<std::size_t>(fd.id) >= fds_.size() || fds_[fd.id].fd < 0) return -1;
  index = fds_[fd.id].index;
  return fds_[fd.id].fd;
}

Result<int> Dom0Loop::get_free() {
  return visible_op(ex_, "loop.get_free", Fault{FaultPoint::loop_get_free}, "", [&] {
    int host = -1;
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = loop_get_free(host);
    }
    return e ? Result<int>::error(e) : Result<int>::success(scenario_index(host));
  }, value_or_errno([this](int index) { return device_name(index); }));
}

// LOOP_CTL_ADD names a global number, and on a real host loopN may be anyone's. The run's loop numbers are
// its own (run-relative), so adding the run's next number means obtaining a device the host reports free
// (LOOP_CTL_GET_FREE creates one when none is); a number the run already has is EEXIST, as for the kernel.
Result<int> Dom0Loop::add(int index) {
  const int next = static_cast<int>(host_of_.size());
  if (index > next)
    throw ComponentUnavailable(fmt::format(
        "LOOP_CTL_ADD of loop{} while the run has {} loop device(s): on a real host loop numbers are global, and a "
        "run only uses devices it obtained, in order",
        index, next));
  return visible_op(ex_, "loop.ctl_add", device_name(index), [&] {
    if (index < 0) return Result<int>::error(EINVAL);
    if (index < next) return Result<int>::error(EEXIST);
    int host = -1;
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = loop_get_free(host);
    }
    if (e) return Result<int>::error(e);
    if (scenario_index(host) != index) return Result<int>::error(EEXIST);  // the host's free device is one the run already has
    return Result<int>::success(index);
  }, value_or_errno([this](int i) { return device_name(i); }));
}

Errno Dom0Loop::remove(int index) {
  return visible_op(ex_, "loop.ctl_remove", device_name(index), [&] {
    const int host = host_index(index);
    Errno e = ENODEV;
    if (host >= 0) {
      Scheduler::IoWindow io(ex_.sched());
      e = loop_remove(host);
    }
    return e;
  });
}

Result<LoopFd> Dom0Loop::open(int index) {
  return visible_op(ex_, "loop.open", device_name(index), [&] {
    int host = host_index(index);
    if (host < 0 && index >= 0 && others_entry_) {
      adopt_bound_devices();  // a device the block script bound since is the run's next index
      host = host_index(index);
    }
    if (host < 0) return Result<LoopFd>::error(ENOENT);  // never obtained by this run: as if it did not exist
    int fd;
    {
      Scheduler::IoWindow io(ex_.sched());
      fd = ::open(loop_path(host).c_str(), O_RDWR | O_CLOEXEC);
    }
    if (fd < 0) return Result<LoopFd>::error(errno_or_eio());
    LoopFd id{static_cast<std::int32_t>(fds_.size())};
    fds_.push_back(OpenFd{fd, index});
    // The kernel closes a process's descriptors when it exits or is killed.
    ex_.sched().at_exit([this, id] {
      if (fds_[id.id].fd < 0) return;
      ::close(fds_[id.id].fd);
      fds_[id.id].fd = -1;
      note_event(ex_, "loop.close", fmt::format("{} (at exit)", device_name(fds_[id.id].index)), "OK");
    });
    return Result<LoopFd>::success(id);
  }, value_or_errno([](LoopFd fd) { return fmt::format("fd{}", fd.id); }));
}

Errno Dom0Loop::close(LoopFd fd) {
  int index = -1;
  int real = -1;
  return visible_op(ex_, "loop.close", [&] { return real >= 0 ? device_name(index) : fmt::format("fd{}", fd.id); },
                    [&] {
                      real = fd_of(fd, index);
                      Errno e = EBADF;
                      if (real >= 0) {
                        Scheduler::IoWindow io(ex_.sched());
                        e = ::close(real) == 0 ? 0 : errno_or_eio();
                      }
                      if (real >= 0) fds_[fd.id].fd = -1;
                      return e;
                    });
}

Errno Dom0Loop::bind(LoopFd fd, std::string_view op, std::string_view path, std::uint32_t flags, bool configure) {
  int index = -1;
  return visible_op(ex_, op, [&] { return fmt::format("{} {} {}", device_name(index), path, flags_text(flags)); }, [&] {
    const int real = fd_of(fd, index);
    const std::string host = host_file(path);
    if (real < 0) return EBADF;
    if (!files_.count(host)) return ENOENT;  // only the run's own files can be bound
    // Asked where the simulator asks it: once the arguments are accepted, before the ioctl.
    if (const Errno injected = fault_at(ex_, FaultPoint::loop_configure, path)) return injected;
    const int host_idx = host_index(index);
    // Ledgered before the ioctl: a crash right after it still leaves the binding listed.
    Ledger::Creation c(session_.ledger(), "loop", {loop_path(host_idx), host});
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = loop_bind(real, host, flags, configure);
    }
    // Shared state only once the actor lock is held again: in free mode another actor's bind may be inserting
    // into bindings_ during the window (a crash seen in the nightly, blkback-minor-reuse --blkback real).
    if (e == 0)
      bindings_[host_idx] = {host, c.id()};
    else
      session_.ledger().released(c.id());
    return e;
  });
}

Errno Dom0Loop::configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) {
  return bind(fd, "loop.configure", backing_file, flags, true);
}

Errno Dom0Loop::set_fd(LoopFd fd, std::string_view backing_file) {
  return bind(fd, "loop.set_fd", backing_file, 0, false);
}

Errno Dom0Loop::set_status_flags(LoopFd fd, std::uint32_t flags) {
  int index = -1;
  return visible_op(ex_, "loop.set_status", [&] { return fmt::format("{} {}", device_name(index), flags_text(flags)); },
                    [&] {
                      const int real = fd_of(fd, index);
                      if (real < 0) return EBADF;
                      Scheduler::IoWindow io(ex_.sched());
                      loop_info64 info;
                      std::memset(&info, 0, sizeof info);
                      if (::ioctl(real, LOOP_GET_STATUS64, &info) != 0) return errno_or_eio();
                      info.lo_flags = flags;
                      return ::ioctl(real, LOOP_SET_STATUS64, &info) == 0 ? 0 : errno_or_eio();
                    });
}

Result<LoopStatus> Dom0Loop::get_status(LoopFd fd) {
  int index = -1;
  return visible_op(ex_, "loop.get_status", [&] { return device_name(index); }, [&] {
    const int real = fd_of(fd, index);
    if (real < 0) return Result<LoopStatus>::error(EBADF);
    loop_info64 info;
    std::memset(&info, 0, sizeof info);
    int rc;
    {
      Scheduler::IoWindow io(ex_.sched());
      rc = ::ioctl(real, LOOP_GET_STATUS64, &info);
    }
    if (rc != 0) return Result<LoopStatus>::error(errno_or_eio());
    LoopStatus s;
    // lo_file_name is cut at 64 bytes; sysfs has the whole path.
    std::string bound;
    s.backing_file = loop_backing_file(host_index(index), bound) == 0
                         ? scenario_file(bound)
                         : scenario_file(reinterpret_cast<const char*>(info.lo_file_name));
    s.file = FileIdentity{info.lo_device, info.lo_inode};
    s.flags = info.lo_flags;
    return Result<LoopStatus>::success(std::move(s));
  }, value_or_errno([](const LoopStatus& st) { return fmt::format("{} {}", st.backing_file, flags_text(st.flags)); }));
}

Errno Dom0Loop::clr_fd(LoopFd fd) {
  int index = -1;
  return visible_op(ex_, "loop.clr_fd", [&] { return device_name(index); }, [&] {
    const int real = fd_of(fd, index);
    if (real < 0) return EBADF;
    // Asked where the simulator asks it: for a descriptor the kernel accepted, before the ioctl.
    if (const Errno injected = fault_at(ex_, FaultPoint::loop_clr_fd, device_name(index))) return injected;
    Scheduler::IoWindow io(ex_.sched());
    return ::ioctl(real, LOOP_CLR_FD, 0) == 0 ? 0 : errno_or_eio();
  });
}

Result<std::uint64_t> Dom0Loop::fd_diskseq(LoopFd fd) {
  int index = -1;
  return visible_op(ex_, "loop.blkgetdiskseq", [&] { return device_name(index); }, [&] {
    const int real = fd_of(fd, index);
    if (real < 0) return Result<std::uint64_t>::error(EBADF);
    __u64 seq = 0;
    Scheduler::IoWindow io(ex_.sched());
    return ::ioctl(real, BLKGETDISKSEQ, &seq) == 0 ? Result<std::uint64_t>::success(seq)
                                                    : Result<std::uint64_t>::error(errno_or_eio());
  }, value_or_errno([](std::uint64_t seq) { return std::to_string(seq); }));
}

Result<std::uint64_t> Dom0Loop::diskseq(int index) {
  return visible_op(ex_, "loop.read_diskseq", device_name(index), [&] {
    const int host = host_index(index);
    if (host < 0) return Result<std::uint64_t>::error(ENOENT);
    std::uint64_t seq = 0;
    Scheduler::IoWindow io(ex_.sched());
    const Errno e = loop_diskseq(host, seq);
    return e ? Result<std::uint64_t>::error(e) : Result<std::uint64_t>::success(seq);
  }, value_or_errno([](std::uint64_t seq) { return std::to_string(seq); }));
}

Result<std::string> Dom0Loop::backing_file(int index) {
  return visible_op(ex_, "loop.read_backing_file", device_name(index), [&] {
    const int host = host_index(index);
    if (host < 0) return Result<std::string>::error(ENOENT);
    std::string bound;
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = loop_backing_file(host, bound);
    }
    // The interface says ENOENT for "no such device or unbound".
    return e ? Result<std::string>::error(ENOENT) : Result<std::string>::success(scenario_file(bound));
  });
}

Result<std::vector<int>> Dom0Loop::find_by_file(std::string_view path) {
  return visible_op(ex_, "loop.find_by_file", path, [&] {
    const std::string host = host_file(path);
    std::vector<int> found;
    {
      Scheduler::IoWindow io(ex_.sched());
      // sysfs only: reading the host's other devices' attributes opens none of them.
      for (int h = 0; h < 1024; ++h) {
        std::string bound;
        const Errno e = loop_backing_file(h, bound);
        if (e == ENODEV) continue;
        if (e == 0 && (bound == host || bound == host + " (deleted)")) found.push_back(h);
      }
    }
    std::vector<int> out;
    for (int h : found) out.push_back(scenario_index(h));
    std::sort(out.begin(), out.end());
    return Result<std::vector<int>>::success(std::move(out));
  }, [](const Result<std::vector<int>>& r) { return fmt::format("[{}]", fmt::join(r.value, " ")); });
}

Result<int> Dom0Loop::kernel_open(unsigned major, unsigned minor) {
  const std::string dev = fmt::format("{}:{}", major, minor);
  LoopMedium m;
  return visible_op(ex_, "blkdev.get_by_dev", Fault{FaultPoint::blkback_open, dev}, dev, [&] {
    const int index = static_cast<int>(minor);
    const int host = major == kLoopMajor ? host_index(index) : -1;
    m.index = index;
    if (host < 0) return Result<int>::error(ENXIO);  // as blkdev_get_by_dev for a device that does not exist
    std::optional<Scheduler::IoWindow> io(std::in_place, ex_.sched());
    const int fd = ::open(loop_path(host).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return Result<int>::error(errno_or_eio());
    // The medium behind the descriptor, read before anything else can run.
    __u64 seq = 0;
    if (::ioctl(fd, BLKGETDISKSEQ, &seq) == 0) m.diskseq = seq;
    loop_info64 info;
    std::memset(&info, 0, sizeof info);
    if (::ioctl(fd, LOOP_GET_STATUS64, &info) == 0) {  // ENXIO: unbound, no medium
      std::string bound;
      m.bound = true;
      m.file = FileIdentity{info.lo_device, info.lo_inode};
      m.backing_file = loop_backing_file(host, bound) == 0
                           ? scenario_file(bound)
                           : scenario_file(reinterpret_cast<const char*>(info.lo_file_name));
    }
    // Shared state only once the actor lock is held again: other actors run during the window.
    io.reset();
    const Result<int> r = Result<int>::success(static_cast<int>(kernel_refs_.size()));
    kernel_refs_.push_back(KernelRef{fd, m});
    return r;
  }, [&](const Result<int>& r) {
    if (!r.ok()) return std::string(errno_name(r.err));
    return m.bound ? fmt::format("OK ({}, diskseq {})", m.backing_file, m.diskseq) : std::string("OK (no medium)");
  });
}

void Dom0Loop::kernel_close(int ref) {
  const auto at = static_cast<std::size_t>(ref);
  visible_op(ex_, "blkdev.put", [&] { return device_name(kernel_refs_.at(at).medium.index); }, [&] {
    // No reference into kernel_refs_ across the I/O window: another actor may append to it meanwhile (free
    // mode), which reallocates the vector.
    const int fd = std::exchange(kernel_refs_.at(at).fd, -1);
    if (fd >= 0) {
      Scheduler::IoWindow io(ex_.sched());
      ::close(fd);
    }
  });
}

LoopMedium Dom0Loop::medium_of_ref(int ref) const { return kernel_refs_.at(static_cast<std::size_t>(ref)).medium; }

Errno Dom0Loop::create_file(std::string_view path) {
  session_.scratch_dir();  // created and ledgered on first use
  const std::string host = host_file(path);
  if (files_.count(host)) return EEXIST;
  Ledger::Creation c(session_.ledger(), "file", {host});
  const int fd = ::open(host.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const Errno e = errno_or_eio();
    session_.ledger().released(c.id());
    return e;
  }
  const bool sized = ::ftruncate(fd, kBackingFileSize) == 0;
  ::close(fd);
  files_[host] = c.id();
  return sized ? 0 : EIO;
}

Result<FileIdentity> Dom0Loop::stat_file(std::string_view path) {
  struct stat st;
  if (::stat(host_file(path).c_str(), &st) != 0) return Result<FileIdentity>::error(errno_or_eio());
  return Result<FileIdentity>::success(FileIdentity{static_cast<std::uint64_t>(st.st_dev), st.st_ino});
}

}  // namespace xenrace::dom0
