#include "runtime/process/loop_host_view.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace xenrace::process {

namespace fs = std::filesystem;

namespace {

constexpr unsigned kLoopMajor = 7;                       // LOOP_MAJOR
constexpr unsigned kMiscMajor = 10, kLoopCtrlMinor = 237;  // /dev/loop-control
const char* const kHostDevices[] = {"null", "zero", "full", "random", "urandom"};

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(fmt::format("process actors: writing {}: {}", p.string(), std::strerror(errno)));
}

void make_node(const fs::path& p, mode_t type, unsigned major, unsigned minor) {
  if (mknod(p.c_str(), type | 0600, makedev(major, minor)) != 0 && errno != EEXIST)
    throw std::runtime_error(fmt::format("process actors: mknod {}: {} (the loop nodes need CAP_MKNOD)", p.string(),
                                         std::strerror(errno)));
}

}  // namespace

LoopHostView::~LoopHostView() {
  if (dir_.empty()) return;
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void LoopHostView::prepare() {
  if (!dir_.empty()) return;
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = fmt::format("{}/xenrace-loop-XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (mkdtemp(dir.data()) == nullptr)
    throw std::runtime_error(fmt::format("process actors: mkdtemp {}: {}", dir, std::strerror(errno)));
  dir_ = dir;
  const fs::path root(dir_);
  fs::create_directories(root / "dev");
  fs::create_directories(root / "sys-block");
  fs::create_directories(root / "sys-dev-block");
  for (const char* name : kHostDevices) write_file(root / "dev" / name, "");
  fs::create_symlink("/proc/self/fd", root / "dev" / "fd");
  fs::create_symlink("/proc/self/fd/0", root / "dev" / "stdin");
  fs::create_symlink("/proc/self/fd/1", root / "dev" / "stdout");
  fs::create_symlink("/proc/self/fd/2", root / "dev" / "stderr");
  make_node(root / "dev" / "loop-control", S_IFCHR, kMiscMajor, kLoopCtrlMinor);
}

std::vector<BindDir> LoopHostView::binds() const {
  std::vector<BindDir> out;
  const fs::path root(dir_);
  // The host's harmless devices first, onto the empty files, while /dev is still the host's.
  for (const char* name : kHostDevices) {
    BindDir b;
    b.host = fmt::format("/dev/{}", name);
    b.seen_as = (root / "dev" / name).string();
    out.push_back(std::move(b));
  }
  BindDir dev;
  dev.host = (root / "dev").string();
  dev.seen_as = "/dev";
  dev.no_devices = true;
  out.push_back(std::move(dev));
  BindDir block;
  block.host = (root / "sys-block").string();
  block.seen_as = "/sys/block";
  out.push_back(std::move(block));
  BindDir by_number;
  by_number.host = (root / "sys-dev-block").string();
  by_number.seen_as = "/sys/dev/block";
  out.push_back(std::move(by_number));
  return out;
}

void LoopHostView::sync(const std::vector<LoopDeviceState>& devices) {
  if (dir_.empty() || devices == shown_) return;
  for (const LoopDeviceState& old : shown_)
    if (std::none_of(devices.begin(), devices.end(), [&](const LoopDeviceState& d) { return d.index == old.index; }))
      remove_device(old.index);
  for (const LoopDeviceState& d : devices) {
    auto was = std::find_if(shown_.begin(), shown_.end(), [&](const LoopDeviceState& s) { return s.index == d.index; });
    if (was == shown_.end() || !(*was == d)) write_device(d);
  }
  shown_ = devices;
}

void LoopHostView::write_device(const LoopDeviceState& d) {
  const fs::path root(dir_);
  const std::string name = fmt::format("loop{}", d.index);
  const fs::path sys = root / "sys-block" / name;
  fs::create_directories(sys);
  make_node(root / "dev" / name, S_IFBLK, kLoopMajor, static_cast<unsigned>(d.index));
  const fs::path link = root / "sys-dev-block" / fmt::format("{}:{}", kLoopMajor, d.index);
  if (!fs::is_symlink(link)) fs::create_symlink("../../block/" + name, link);
  write_file(sys / "dev", fmt::format("{}:{}\n", kLoopMajor, d.index));
  write_file(sys / "diskseq", fmt::format("{}\n", d.diskseq));
  write_file(sys / "ro", (d.flags & 1) != 0 ? "1\n" : "0\n");  // LO_FLAGS_READ_ONLY
  write_file(sys / "removable", "0\n");
  write_file(sys / "size", "0\n");
  std::error_code ignored;
  if (!d.bound) {
    fs::remove_all(sys / "loop", ignored);  // the attribute group exists only while bound
    return;
  }
  fs::create_directories(sys / "loop");
  write_file(sys / "loop" / "backing_file", d.backing_file + "\n");
  write_file(sys / "loop" / "offset", "0\n");
  write_file(sys / "loop" / "sizelimit", "0\n");
  write_file(sys / "loop" / "autoclear", (d.flags & 4) != 0 ? "1\n" : "0\n");  // LO_FLAGS_AUTOCLEAR
  write_file(sys / "loop" / "partscan", (d.flags & 8) != 0 ? "1\n" : "0\n");   // LO_FLAGS_PARTSCAN
  write_file(sys / "loop" / "dio", "0\n");
}

void LoopHostView::remove_device(int index) {
  const fs::path root(dir_);
  std::error_code ignored;
  fs::remove_all(root / "sys-block" / fmt::format("loop{}", index), ignored);
  fs::remove(root / "sys-dev-block" / fmt::format("{}:{}", kLoopMajor, index), ignored);
  fs::remove(root / "dev" / fmt::format("loop{}", index), ignored);
}

}  // namespace xenrace::process
