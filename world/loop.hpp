// Loop devices as a process sees them: /dev/loop-control ioctls, /dev/loopN file descriptors and their
// ioctls, and the sysfs attributes. Each call maps onto one real call, so the dom0 backend implements it
// with open(2)/ioctl(2)/read(2) and the simulator (backends/sim/loop) models drivers/block/loop.c.
//
// Devices are numbered by index: with max_part=0, /dev/loopN is always block device 7:N, so a reused index
// is the identical dev_t (what makes blkback's open-by-number race possible).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "world/result.hpp"

namespace xenrace {

inline constexpr unsigned kLoopMajor = 7;  // LOOP_MAJOR

// lo_flags (include/uapi/linux/loop.h)
inline constexpr std::uint32_t kLoFlagsReadOnly = 1;
inline constexpr std::uint32_t kLoFlagsAutoclear = 4;
inline constexpr std::uint32_t kLoFlagsPartscan = 8;

// A process's open file descriptor on /dev/loopN. Closed by close() or when the process exits.
struct LoopFd {
  std::int32_t id = -1;
  bool valid() const { return id >= 0; }
};

// A file's identity as stat(2) gives it: what `losetup -j` and LOOP_GET_STATUS64 compare.
struct FileIdentity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const FileIdentity&) const = default;
};

// LOOP_GET_STATUS64, reduced to what toolstacks look at.
struct LoopStatus {
  std::string backing_file;  // lo_file_name: what the LOOP_CONFIGURE caller passed; empty after LOOP_SET_FD
  FileIdentity file;
  std::uint32_t flags = 0;
};

class LoopDevices {
 public:
  virtual ~LoopDevices() = default;

  // --- /dev/loop-control ---
  // LOOP_CTL_GET_FREE: the lowest unbound device, else a new one. Reserves nothing.
  virtual Result<int> get_free() = 0;
  // LOOP_CTL_ADD: EEXIST if the index exists.
  virtual Result<int> add(int index) = 0;
  // LOOP_CTL_REMOVE: ENODEV if missing, EBUSY while bound or open.
  virtual Errno remove(int index) = 0;

  // --- /dev/loopN ---
  // open("/dev/loopN", O_RDWR): ENOENT if the device does not exist, ENXIO while it is being torn down.
  virtual Result<LoopFd> open(int index) = 0;
  virtual Errno close(LoopFd fd) = 0;
  // LOOP_CONFIGURE: binds `backing_file` with `flags` in one step. EBUSY if already bound.
  virtual Errno configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) = 0;
  // LOOP_SET_FD: the older first step (flags 0); LOOP_SET_STATUS64 sets flags afterwards.
  virtual Errno set_fd(LoopFd fd, std::string_view backing_file) = 0;
  // LOOP_SET_STATUS64 with only lo_flags changed (AUTOCLEAR and PARTSCAN settable). ENXIO if unbound.
  virtual Errno set_status_flags(LoopFd fd, std::uint32_t flags) = 0;
  // LOOP_GET_STATUS64: ENXIO if unbound.
  virtual Result<LoopStatus> get_status(LoopFd fd) = 0;
  // LOOP_CLR_FD: ENXIO if unbound; with other openers the detach is deferred to the last close.
  virtual Errno clr_fd(LoopFd fd) = 0;
  // BLKGETDISKSEQ on the open device: the medium this fd sees, without a window for reuse.
  virtual Result<std::uint64_t> fd_diskseq(LoopFd fd) = 0;

  // --- sysfs and lookups ---
  // /sys/block/loopN/diskseq. ENOENT if the device does not exist.
  virtual Result<std::uint64_t> diskseq(int index) = 0;
  // /sys/block/loopN/loop/backing_file. ENOENT if the device does not exist or is unbound.
  virtual Result<std::string> backing_file(int index) = 0;
  // `losetup -j FILE`: bound devices whose backing file has FILE's identity, lowest index first.
  virtual Result<std::vector<int>> find_by_file(std::string_view path) = 0;

  // --- backing files (a tiny file system in the simulator; real files on dom0) ---
  // Setup: creates a small backing file (EEXIST if present). On dom0, under the run's scratch directory.
  virtual Errno create_file(std::string_view path) = 0;
  virtual Result<FileIdentity> stat_file(std::string_view path) = 0;
};

}  // namespace xenrace
