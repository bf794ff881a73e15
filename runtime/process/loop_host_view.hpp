// The /dev and /sys/block that process actors given a LoopService see: one set per execution, shared by its
// process actors, since they all run on one (simulated) kernel. They are directories of the execution's own,
// bind-mounted over /dev, /sys/block and /sys/dev/block in each actor's mount namespace:
//   /dev                 loop-control (c 10:237) and loopN (b 7:N) for every device the driver has, made with
//                        mknod so that stat(2) and `test -b` see what they would; null, zero, full, random and
//                        urandom are the host's (bind mounts); fd, stdin, stdout and stderr the usual links.
//                        The mount is nodev: a loop node is never opened in the kernel, only by the supervisor's
//                        emulation (an open the supervisor did not recognise fails with EACCES, never reaching
//                        a host loop device).
//   /sys/block/loopN     dev, diskseq, ro, removable, size; while bound, loop/backing_file, offset, sizelimit,
//                        autoclear, partscan and dio, as drivers/block/loop.c's attributes print them.
//   /sys/dev/block/7:N   a link to ../../block/loopN.
// sync() rewrites what changed before a process actor's tree runs, so a program reads the driver's state as
// of that moment: the state changes only in steps, and only one actor runs between steps.
#pragma once
#include <string>
#include <vector>

#include "runtime/execution.hpp"
#include "runtime/process/loop_service.hpp"
#include "runtime/process/process_tree.hpp"

namespace xenrace::process {

class LoopHostView {
 public:
  explicit LoopHostView(Execution&) {}
  ~LoopHostView();
  LoopHostView(const LoopHostView&) = delete;
  LoopHostView& operator=(const LoopHostView&) = delete;

  // Makes the directories on first use. Throws std::runtime_error naming what failed (mknod needs CAP_MKNOD).
  void prepare();
  // The bind mounts that put them in place, in the order they must be made.
  std::vector<BindDir> binds() const;
  // Brings the files in line with `devices`, writing only what changed.
  void sync(const std::vector<LoopDeviceState>& devices);

 private:
  void write_device(const LoopDeviceState& d);
  void remove_device(int index);

  std::string dir_;  // empty until prepare()
  std::vector<LoopDeviceState> shown_;
};

}  // namespace xenrace::process
