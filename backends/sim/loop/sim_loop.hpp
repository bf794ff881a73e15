// The simulated loop driver. Source of truth: Linux drivers/block/loop.c (about v6.5: loop_control_get_free,
// loop_add, loop_control_remove, loop_configure, loop_clr_fd, __loop_clr_fd, lo_release, loop_set_status)
// and block/genhd.c (inc_diskseq, disk_force_media_change); the v6.11 detach rework is Gulam Mohamed's
// "loop: Fix a race between loop detach and loop open" (18048c1af783). Every call is a visible operation.
//
// The v6.1 model (Debian 12's kernel), from the v6.1-v6.10 drivers/block/loop.c:
//  - lo_fops has no .open since Christoph Hellwig's "loop: remove lo_refcount and avoid lo_mutex in ->open /
//    ->release" (2022), so blkdev_get_by_dev and open(2) succeed in every lo_state, Lo_rundown included.
//  - loop_clr_fd: under lo_mutex, if disk_openers() > 1 it only sets LO_FLAGS_AUTOCLEAR; else it sets
//    Lo_rundown, drops the lock and calls __loop_clr_fd(lo, false) without disk->open_mutex. That function
//    drops the backing file, calls disk_force_media_change (which bumps diskseq: b90ecc0379eb, in 6.1.y
//    through its stable backport, "Cc: stable # 5.15+") and only then sets Lo_unbound. An opener that
//    comes in between reads the old diskseq and keeps a device that is emptied and then free for reuse.
//  - lo_release's AUTOCLEAR teardown runs under disk->open_mutex (blkdev_put), which blkdev_get_by_dev also
//    takes: no open fits inside it, so the model keeps that detach one step.
// v6.5 runs the same loop.c code; its model keeps LOOP_CLR_FD atomic, v6_1 makes the window a step.
//
// Worked examples (each is a test in tests/loop/sim_loop_test.cpp; diskseq values assume a fresh boot):
//  1. get_free() on a fresh machine gives 0 (a new device, diskseq 1); get_free() again gives 0 again:
//     nothing is reserved until LOOP_CONFIGURE binds it.
//  2. fd=open(0); configure(fd, "/a", 0) -> OK, diskseq 1 -> 2 (media change); configure(fd, "/b", 0)
//     -> EBUSY; get_free() now gives 1.
//  3. clr_fd on an unbound device -> ENXIO. remove(0) while bound or open -> EBUSY; remove(9) -> ENODEV.
//  4. Deferred detach: A and B both have loop0 open, A calls clr_fd -> OK but loop0 stays bound with
//     AUTOCLEAR set; it detaches (diskseq bumps) when the last of A and B closes.
//  5. Sole opener: v6.5 detaches at once inside clr_fd; v6.11 marks the device "rundown" (open() -> ENXIO,
//     configure -> EBUSY) and detaches when that fd is closed.
//  6. configure(fd, "/a", AUTOCLEAR), then the process is killed: its fd closes at exit and loop0 detaches.
//  7. Minor reuse: loop0 bound to /a (diskseq 2), detached (3), bound to /b (4): 7:0 now means /b. Before
//     b90ecc0379eb the diskseq stays 1 throughout, so it cannot tell /a's medium from /b's.
//  8. find_by_file("/a") lists bound devices whose backing file has /a's (dev, inode), as `losetup -j`.
//  9. v6.1, sole opener: clr_fd is two steps, "loop.clr_fd" (Lo_rundown) and "loop.clr_fd.teardown"
//     (detach, diskseq 2 -> 3, unbound). Between them kernel_open(7:0) succeeds with diskseq 2 and no
//     medium (LOOP_GET_STATUS64 says ENXIO once the state is not Lo_bound), and open(0) plus
//     BLKGETDISKSEQ gives 2; configure there -> EBUSY, get_free() skips loop0, clr_fd -> ENXIO.
// 10. v6.1: that kernel reference survives the teardown; get_free() then gives 0 and configure(.., "/b")
//     binds it: the reference opened while /a was being torn down now reaches /b (diskseq 4).
// 11. v6.1 with two openers: clr_fd is one step that only sets AUTOCLEAR, as on v6.5.
//
// Left out: partitions (max_part=0), offsets/sizelimit, direct I/O, block size, LOOP_CHANGE_FD, read-only
// backing files, and I/O itself. In v6.1's teardown the sysfs backing_file and the diskseq change a little
// before Lo_unbound; the model changes all three in the second step.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/sim/loop/kernel_block_open.hpp"
#include "runtime/execution.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"

namespace xenrace {

// LoopKernel (the models), LoopMedium and LoopDetach: world/kernel.hpp.

class SimLoop final : public LoopDevices, public KernelBlockOpen, public LoopKernelState {
 public:
  explicit SimLoop(Execution& ex, LoopKernel kernel = LoopKernel::v6_11);

  Result<int> get_free() override;
  Result<int> add(int index) override;
  Errno remove(int index) override;
  Result<LoopFd> open(int index) override;
  Errno close(LoopFd fd) override;
  Errno configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) override;
  Errno set_fd(LoopFd fd, std::string_view backing_file) override;
  Errno set_status_flags(LoopFd fd, std::uint32_t flags) override;
  Result<LoopStatus> get_status(LoopFd fd) override;
  Errno clr_fd(LoopFd fd) override;
  Result<std::uint64_t> fd_diskseq(LoopFd fd) override;
  Result<std::uint64_t> diskseq(int index) override;
  Result<std::string> backing_file(int index) override;
  Result<std::vector<int>> find_by_file(std::string_view path) override;
  Errno create_file(std::string_view path) override;
  Result<FileIdentity> stat_file(std::string_view path) override;
  // A real file a process actor's program binds (loop_service.hpp): known by its name as the program gave it,
  // with its real identity. No scheduling point.
  void register_file(std::string_view path, FileIdentity identity);

  // --- the kernel side: blkback's blkdev_get_by_dev / blkdev_put, by device number ---
  // A kernel reference (counts as an opener). ENXIO for a missing device, another major, or rundown.
  Result<int> kernel_open(unsigned major, unsigned minor) override;
  void kernel_close(int ref) override;
  LoopMedium medium_of_ref(int ref) const override;

  // --- observation for invariants and tests (no scheduling point, no trace event) ---
  LoopKernel kernel() const { return kernel_; }
  void set_kernel(LoopKernel k) { kernel_ = k; }
  std::optional<LoopMedium> peek(int index) const override;
  std::vector<int> indexes() const override;
  int openers(int index) const override;
  bool rundown(int index) const;  // Lo_rundown: v6.11's deferred detach, or inside v6.1's LOOP_CLR_FD
  const std::vector<LoopDetach>& detaches() const override { return detaches_; }
  std::uint64_t last_diskseq() const { return diskseq_counter_; }
  // Its part of a state key (runtime/state_key.hpp): every device, fd, kernel reference, file and detach.
  void hash_state(StateHasher& h) const;

 private:
  enum class State : std::uint8_t { unbound, bound, rundown };
  struct Device {
    State state = State::unbound;
    std::uint32_t flags = 0;
    std::string backing_file;
    std::string status_name;  // lo_file_name: given by LOOP_CONFIGURE's caller, empty after LOOP_SET_FD
    FileIdentity file;
    std::uint64_t diskseq = 0;
    int openers = 0;  // process fds plus kernel references (disk_openers)
  };
  struct Opener {
    int index = -1;
    bool open = false;
  };
  // An fd's or kernel reference's id: the opener's slot (its actor id + 1; 0 for setup code) and how many it
  // opened before, so an actor's n-th open gets one id whatever ran in between (the state cache sees two
  // orders of independent opens as one state). Ids are never reused.
  using Openers = std::map<std::int32_t, Opener>;
  std::int32_t next_id(const Openers& openers) const;
  static const Opener* find_opener(const Openers& openers, std::int32_t id);
  static Opener* find_opener(Openers& openers, std::int32_t id);

  Device* find(int index);
  Device& allocate(int index);
  Device* device_of(LoopFd fd, Errno& err, AccessMode mode);
  int index_of(LoopFd fd) const;
  void declare();
  void touch_device(int index, AccessMode mode);
  void touch_openers(int index, AccessMode mode);
  void touch_device_set(AccessMode mode);
  void touch_diskseq_counter();
  void touch_file(std::string_view path, AccessMode mode);
  void media_changed(Device& d);
  void detach(int index, Device& d, const char* reason);
  void release(int index);  // lo_release: the last close of an AUTOCLEAR device detaches it
  // v6.1's __loop_clr_fd after loop_clr_fd set Lo_rundown: a scheduling point, then the detach.
  void finish_clr_fd(int index, Device& d, const std::string& file);
  Errno bind(LoopFd fd, std::string_view op, std::string_view path, std::uint32_t flags);
  std::string device_name(int index) const;

  Execution& ex_;
  LoopKernel kernel_;
  std::map<int, Device> devices_;  // ordered: GET_FREE scans lowest index first, like the idr
  Openers fds_;  // by LoopFd.id
  Openers kernel_refs_;
  std::map<std::string, FileIdentity, std::less<>> files_;
  std::uint64_t next_inode_ = 100;
  std::uint64_t diskseq_counter_ = 0;  // per boot, global to all disks (atomic64 in block/genhd.c)
  std::vector<LoopDetach> detaches_;
};

}  // namespace xenrace
