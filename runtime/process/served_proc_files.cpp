#include "runtime/process/served_proc_files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace xenrace::process {

namespace {

// The simulated dom0's mounts, as the kernel prints them: its pseudo file systems and a root file system on a
// disk that has no node in the execution's /dev. No loop device and no other simulated block device is mounted.
constexpr std::string_view kMountTable =
    "/dev/root / ext4 rw,relatime 0 0\n"
    "devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /run tmpfs rw,nosuid,nodev,mode=755 0 0\n"
    "xenfs /proc/xen xenfs rw,relatime 0 0\n";

bool is_mount_table(std::string_view path) {
  if (path == "/proc/mounts" || path == "/etc/mtab" || path == "/proc/self/mounts" || path == "/proc/thread-self/mounts")
    return true;
  constexpr std::string_view kProc = "/proc/", kMounts = "/mounts";
  if (!path.starts_with(kProc) || !path.ends_with(kMounts)) return false;
  const std::string_view pid = path.substr(kProc.size(), path.size() - kProc.size() - kMounts.size());
  return !pid.empty() && std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::string_view> served_proc_file(std::string_view path) {
  if (is_mount_table(path)) return kMountTable;
  return std::nullopt;
}

int make_served_file(std::string_view content) {
  const int fd = memfd_create("xenrace-proc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -errno;
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(fd);
      return -e;
    }
    done += static_cast<std::size_t>(n);
  }
  // As /proc refuses writes, so does the file: sealed against any change.
  if (lseek(fd, 0, SEEK_SET) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

}  // namespace xenrace::process
