#include "backends/dom0/host_ops.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace xenrace::dom0 {
namespace {

// Closes on every path out; open(2) results are checked by the caller.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

}  // namespace

std::string loop_path(int index) { return "/dev/loop" + std::to_string(index); }

bool parse_loop_path(const std::string& path, int& index) {
  constexpr std::string_view kPrefix = "/dev/loop";
  if (path.size() <= kPrefix.size() || path.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  int v = 0;
  for (std::size_t i = kPrefix.size(); i < path.size(); ++i) {
    if (path[i] < '0' || path[i] > '9' || v > 1000000) return false;
    v = v * 10 + (path[i] - '0');
  }
  index = v;
  return true;
}

int loop_get_free(int& index) {
  Fd ctl(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (ctl.fd < 0) return errno;
  int r = ::ioctl(ctl.fd, LOOP_CTL_GET_FREE);
  if (r < 0) return errno;
  index = r;
  return 0;
}

int loop_remove(int index) {
  Fd ctl(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (ctl.fd < 0) return errno;
  return ::ioctl(ctl.fd, LOOP_CTL_REMOVE, index) < 0 ? errno : 0;
}

int loop_bind(int dev_fd, const std::string& backing, std::uint32_t flags, bool configure) {
  Fd file(::open(backing.c_str(), ((flags & LO_FLAGS_READ_ONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC));
  if (file.fd < 0) return errno;
  if (!configure) return ::ioctl(dev_fd, LOOP_SET_FD, file.fd) < 0 ? errno : 0;
  loop_config cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.fd = static_cast<__u32>(file.fd);
  cfg.info.lo_flags = flags;
  std::strncpy(reinterpret_cast<char*>(cfg.info.lo_file_name), backing.c_str(), LO_NAME_SIZE - 1);
  return ::ioctl(dev_fd, LOOP_CONFIGURE, &cfg) < 0 ? errno : 0;
}

int loop_clear(int index) {
  Fd dev(::open(loop_path(index).c_str(), O_RDONLY | O_CLOEXEC));
  if (dev.fd < 0) return errno;
  return ::ioctl(dev.fd, LOOP_CLR_FD, 0) < 0 ? errno : 0;
}

int loop_backing_file(int index, std::string& out) {
  const std::string attr = "/sys/block/loop" + std::to_string(index) + "/loop/backing_file";
  int e = read_file(attr, out);
  if (e == ENOENT) {
    // The `loop` group exists only while bound; the block device itself may still exist.
    std::string seq;
    return read_file("/sys/block/loop" + std::to_string(index) + "/diskseq", seq) == 0 ? ENXIO : ENODEV;
  }
  return e;
}

std::vector<std::pair<int, std::string>> loops_bound_in(const std::string& dir) {
  std::vector<std::pair<int, std::string>> out;
  DIR* d = ::opendir("/sys/block");
  if (!d) return out;
  const std::string prefix = dir + "/";
  const std::string deleted = " (deleted)";
  while (const dirent* e = ::readdir(d)) {
    int index = -1;
    if (!parse_loop_path(std::string("/dev/") + e->d_name, index)) continue;
    std::string bound;
    if (loop_backing_file(index, bound) != 0) continue;
    if (bound.size() > deleted.size() && bound.compare(bound.size() - deleted.size(), deleted.size(), deleted) == 0)
      bound.erase(bound.size() - deleted.size());
    if (bound.compare(0, prefix.size(), prefix) == 0 && bound.find('/', prefix.size()) == std::string::npos)
      out.emplace_back(index, bound);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

int loop_diskseq(int index, std::uint64_t& out) {
  std::string text;
  if (int e = read_file("/sys/block/loop" + std::to_string(index) + "/diskseq", text)) return e;
  try {
    out = std::stoull(text);
  } catch (...) {
    return EINVAL;
  }
  return 0;
}

int write_file(const std::string& path, const std::string& text) {
  Fd f(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (f.fd < 0) return errno;
  ssize_t n = ::write(f.fd, text.data(), text.size());
  if (n < 0) return errno;
  return static_cast<std::size_t>(n) == text.size() ? 0 : EIO;
}

int read_file(const std::string& path, std::string& out) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return errno;
  out.clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return 0;
}

}  // namespace xenrace::dom0
