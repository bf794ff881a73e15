// The loop devices a process actor's programs reach: /dev/loop-control, /dev/loopN and their ioctls (the loop
// driver's, and of the block layer's the one the model knows, BLKGETDISKSEQ), and
// /sys/block. A program started with a service (ProcessOptions::loop) sees a /dev and a /sys/block of the
// execution's own (loop_host_view.hpp); its open() of a loop node and its LOOP_* ioctls on that fd are held
// and answered by the supervisor through this interface, so `losetup` drives the simulated loop driver and
// never a host loop device.
//
// runtime/ cannot see the simulated loop driver (backends/sim/loop), so the simulator implements this
// interface over it (process_loop.*) and hands it to spawn_process.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xenrace::process {

// One loop device as LOOP_GET_STATUS64 and sysfs show it.
struct LoopDeviceState {
  int index = -1;
  bool bound = false;
  std::string backing_file;   // lo_file_name / loop/backing_file: as the configuring program named it
  std::uint64_t file_dev = 0;  // the backing file's identity (stat): lo_device, lo_inode
  std::uint64_t file_ino = 0;
  std::uint32_t flags = 0;     // lo_flags
  std::uint64_t diskseq = 0;
  bool operator==(const LoopDeviceState&) const = default;
};

class LoopService {
 public:
  virtual ~LoopService() = default;
  // Each of these is one visible operation of the calling actor: its scheduling point, its failure point and
  // its trace event are the simulated driver's, as for a fiber actor's call. Results are >= 0, or -errno.
  virtual int get_free() = 0;          // LOOP_CTL_GET_FREE: an index
  virtual int add(int index) = 0;      // LOOP_CTL_ADD
  virtual int remove(int index) = 0;   // LOOP_CTL_REMOVE
  virtual int open(int index) = 0;     // open("/dev/loopN"): a handle for the calls below
  virtual int close(int handle) = 0;   // the last close of that open file
  // LOOP_CONFIGURE and LOOP_SET_FD: `file` is the backing file as the program named it, dev/ino its identity.
  virtual int configure(int handle, const std::string& file, std::uint64_t dev, std::uint64_t ino, std::uint32_t flags) = 0;
  virtual int set_fd(int handle, const std::string& file, std::uint64_t dev, std::uint64_t ino) = 0;
  virtual int set_status_flags(int handle, std::uint32_t flags) = 0;  // LOOP_SET_STATUS64 (lo_flags)
  virtual int get_status(int handle, LoopDeviceState& out) = 0;       // LOOP_GET_STATUS64 (index: the caller's)
  virtual int clr_fd(int handle) = 0;                                 // LOOP_CLR_FD
  virtual int diskseq(int handle, std::uint64_t& out) = 0;            // BLKGETDISKSEQ
  // Observation, no scheduling point: every device that exists, lowest index first (for /sys/block and /dev).
  virtual std::vector<LoopDeviceState> devices() const = 0;
};

}  // namespace xenrace::process
