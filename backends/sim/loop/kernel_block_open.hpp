// A block device opened by number from kernel context: what xen-blkback's xen_vbd_create does with
// blkdev_get_by_dev(MKDEV(major, minor)) and, at teardown, blkdev_put. The simulated blkback driver
// (backends/sim/blkback) needs only this from the block layer, so it runs on top of either
//  - SimLoop (backends/sim/loop): the simulated loop driver, or
//  - dom0::Dom0Loop: the host's real loop devices, opened by the run's own device numbers (7:N is the run's
//    loopN, never the host's), with BLKGETDISKSEQ and /sys/block/loopN/loop/backing_file read on the open
//    device and the backing file named as the scenario names it.
// The medium is read at open time: that is what blkback exports, whatever the device is bound to later.
#pragma once
#include <cstdint>
#include <string>

#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/result.hpp"

namespace xenrace {

// What a kernel-side opener finds behind a device number: LoopMedium (world/kernel.hpp).

class KernelBlockOpen {
 public:
  virtual ~KernelBlockOpen() = default;
  // blkdev_get_by_dev: a kernel reference (counts as an opener, like a process's fd, but is not closed when
  // an actor exits). ENXIO for a missing device, another major, or a device being torn down. One visible
  // operation ("blkdev.get_by_dev").
  virtual Result<int> kernel_open(unsigned major, unsigned minor) = 0;
  // blkdev_put. One visible operation ("blkdev.put").
  virtual void kernel_close(int ref) = 0;
  // The medium the reference was opened on (no scheduling point).
  virtual LoopMedium medium_of_ref(int ref) const = 0;
};

}  // namespace xenrace
