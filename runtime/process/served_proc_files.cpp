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
// The same mounts twice: as /proc/mounts lists them (fs/proc_namespace.c show_vfsmnt), and as mountinfo does
// (show_mountinfo: mount id, parent id, major:minor, root, mount point, options, optional fields, "-", type,
// source, super options), which libmount (mount, findmnt, lsblk) reads instead.
constexpr std::string_view kMountTable =
    "/dev/root / ext4 rw,relatime 0 0\n"
    "devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /run tmpfs rw,nosuid,nodev,mode=755 0 0\n"
    "xenfs /proc/xen xenfs rw,relatime 0 0\n";
constexpr std::string_view kMountInfo =
    "1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
    "22 1 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs devtmpfs rw,mode=755\n"
    "23 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "24 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "25 1 0:23 / /run rw,nosuid,nodev shared:13 - tmpfs tmpfs rw,mode=755\n"
    "26 23 0:24 / /proc/xen rw,relatime shared:14 - xenfs xenfs rw\n";

// /proc/<self, thread-self or a pid>/<name>.
bool is_per_process(std::string_view path, std::string_view name) {
  constexpr std::string_view kProc = "/proc/";
  if (!path.starts_with(kProc)) return false;
  path.remove_prefix(kProc.size());
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || path.substr(slash + 1) != name) return false;
  const std::string_view who = path.substr(0, slash);
  if (who == "self" || who == "thread-self") return true;
  return !who.empty() && std::all_of(who.begin(), who.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::string_view> served_proc_file(std::string_view path) {
  if (path == "/proc/mounts" || path == "/etc/mtab" || is_per_process(path, "mounts")) return kMountTable;
  if (is_per_process(path, "mountinfo")) return kMountInfo;
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
