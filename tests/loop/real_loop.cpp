#include "real_loop.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "backends/dom0/host_ops.hpp"

#ifndef BLKGETDISKSEQ
#define BLKGETDISKSEQ _IOR(0x12, 128, __u64)
#endif

namespace xenrace::testing {
namespace {

std::string dev_path(int index) { return fmt::format("/dev/loop{}", index); }

template <class T>
Result<T> from_errno() {
  return Result<T>::error(errno);
}

}  // namespace

RealLoop::RealLoop(std::string scratch_dir) : scratch_(std::move(scratch_dir)) {
  control_ = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
}

RealLoop::~RealLoop() {
  close_all();
  if (control_ >= 0) ::close(control_);
}

void RealLoop::close_all() {
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

std::string RealLoop::real_path(std::string_view name) const { return scratch_ + std::string(name); }

int RealLoop::os_fd(LoopFd fd) const {
  if (fd.id < 0 || static_cast<std::size_t>(fd.id) >= fds_.size()) return -1;
  return fds_[fd.id];
}

Result<int> RealLoop::get_free() {
  const int r = ::ioctl(control_, LOOP_CTL_GET_FREE);
  return r < 0 ? from_errno<int>() : Result<int>::success(r);
}

Result<int> RealLoop::add(int index) {
  const int r = ::ioctl(control_, LOOP_CTL_ADD, index);
  if (r < 0) return from_errno<int>();
  owned_.insert(r);
  return Result<int>::success(r);
}

Errno RealLoop::remove(int index) { return ::ioctl(control_, LOOP_CTL_REMOVE, index) < 0 ? errno : 0; }

Result<LoopFd> RealLoop::open(int index) {
  const int fd = ::open(dev_path(index).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return from_errno<LoopFd>();
  fds_.push_back(fd);
  return Result<LoopFd>::success(LoopFd{static_cast<std::int32_t>(fds_.size() - 1)});
}

Errno RealLoop::close(LoopFd fd) {
  const int os = os_fd(fd);
  if (os < 0) return EBADF;
  fds_[fd.id] = -1;
  return ::close(os) < 0 ? errno : 0;
}

Errno RealLoop::bind(LoopFd fd, std::string_view path, std::uint32_t flags, bool configure) {
  const int os = os_fd(fd);
  if (os < 0) return EBADF;
  return dom0::loop_bind(os, real_path(path), flags, configure);
}

Errno RealLoop::configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) {
  return bind(fd, backing_file, flags, true);
}

Errno RealLoop::set_fd(LoopFd fd, std::string_view backing_file) { return bind(fd, backing_file, 0, false); }

Errno RealLoop::set_status_flags(LoopFd fd, std::uint32_t flags) {
  const int os = os_fd(fd);
  if (os < 0) return EBADF;
  loop_info64 info;
  std::memset(&info, 0, sizeof info);
  if (::ioctl(os, LOOP_GET_STATUS64, &info) < 0) return errno;
  info.lo_flags = flags;
  return ::ioctl(os, LOOP_SET_STATUS64, &info) < 0 ? errno : 0;
}

Result<LoopStatus> RealLoop::get_status(LoopFd fd) {
  const int os = os_fd(fd);
  if (os < 0) return Result<LoopStatus>::error(EBADF);
  loop_info64 info;
  std::memset(&info, 0, sizeof info);
  if (::ioctl(os, LOOP_GET_STATUS64, &info) < 0) return from_errno<LoopStatus>();
  LoopStatus st;
  st.backing_file = reinterpret_cast<const char*>(info.lo_file_name);
  if (st.backing_file.rfind(scratch_, 0) == 0) st.backing_file.erase(0, scratch_.size());
  st.file = FileIdentity{info.lo_device, info.lo_inode};
  st.flags = info.lo_flags;
  return Result<LoopStatus>::success(st);
}

Errno RealLoop::clr_fd(LoopFd fd) {
  const int os = os_fd(fd);
  if (os < 0) return EBADF;
  return ::ioctl(os, LOOP_CLR_FD, 0) < 0 ? errno : 0;
}

Result<std::uint64_t> RealLoop::fd_diskseq(LoopFd fd) {
  const int os = os_fd(fd);
  if (os < 0) return Result<std::uint64_t>::error(EBADF);
  __u64 seq = 0;
  if (::ioctl(os, BLKGETDISKSEQ, &seq) < 0) return from_errno<std::uint64_t>();
  return Result<std::uint64_t>::success(seq);
}

Result<std::uint64_t> RealLoop::diskseq(int index) {
  std::ifstream in(fmt::format("/sys/block/loop{}/diskseq", index));
  std::uint64_t seq = 0;
  if (!(in >> seq)) return Result<std::uint64_t>::error(ENOENT);
  return Result<std::uint64_t>::success(seq);
}

Result<std::string> RealLoop::backing_file(int index) {
  std::ifstream in(fmt::format("/sys/block/loop{}/loop/backing_file", index));
  std::string path;
  if (!std::getline(in, path)) return Result<std::string>::error(ENOENT);
  if (path.rfind(scratch_, 0) == 0) path.erase(0, scratch_.size());
  return Result<std::string>::success(path);
}

Result<std::vector<int>> RealLoop::find_by_file(std::string_view path) {
  auto id = stat_file(path);
  if (!id.ok()) return Result<std::vector<int>>::error(id.err);
  std::vector<int> found;
  for (int index : owned_) {  // `losetup -j`, but only over the devices this object added
    const int fd = ::open(dev_path(index).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    loop_info64 info;
    std::memset(&info, 0, sizeof info);
    if (::ioctl(fd, LOOP_GET_STATUS64, &info) == 0 && info.lo_device == id.value.dev && info.lo_inode == id.value.ino)
      found.push_back(index);
    ::close(fd);
  }
  return Result<std::vector<int>>::success(std::move(found));
}

Errno RealLoop::create_file(std::string_view path) {
  const int fd = ::open(real_path(path).c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  const Errno err = ::ftruncate(fd, 1 << 20) < 0 ? errno : 0;
  ::close(fd);
  return err;
}

Result<FileIdentity> RealLoop::stat_file(std::string_view path) {
  struct stat st;
  if (::stat(real_path(path).c_str(), &st) < 0) return from_errno<FileIdentity>();
  return Result<FileIdentity>::success(FileIdentity{st.st_dev, st.st_ino});
}

}  // namespace xenrace::testing
