// The simulated xen-blkback: one daemon actor per vbd backend directory, reacting to XenStore as
// Linux drivers/block/xen-blkback/xenbus.c does (xen_blkbk_probe, backend_changed, xen_vbd_create,
// xenbus_dev_fatal, frontend_changed's close path), with the diskseq check of Demi Marie Obenour's
// unmerged series (seed 002) as a selectable kernel variant.
//
// Worked examples (tests/blkback/sim_blkback_test.cpp):
//  1. probe(be): blkback watches be/physical-device (its first event fires at registration and finds no
//     node: ignored) and writes state=2 (InitWait); with diskseq support it also writes opened=0.
//  2. The script writes physical-device="7:0": blkback reads mode, opens 7:0 *now* (blkdev_get_by_dev),
//     records the medium behind it, writes opened=1 (diskseq variants) and state=4 (Connected).
//  3. physical-device changes to "7:1" after a successful open: warning "changing physical device (from
//     7:0 to 7:1) not supported.", nothing else happens.
//  4. Diskseq node variant: diskseq="5" but loop0's medium has diskseq 6 -> the device is put back,
//     error node "19 creating vbd structure" (ENODEV), state=5 (Closing); major/minor are reset so a
//     later physical-device write is parsed again.
//  5. diskseq="" / "0a" / 17 digits / "1z" -> xenbus_dev_fatal with the parser's errno, state=5.
//  6. Without diskseq support the `diskseq` node is ignored: a reused minor exports the other medium.
//  7. Opening 7:N when loopN does not exist -> "2 creating vbd structure" (ENOENT), state=5.
//  8. online=0 (the toolstack removing the device, frontend already gone): state=6 (Closed), then the
//     device is put (blkdev_put after the state switch, as device_unregister runs after it).
//
// Left out: the frontend handshake (the frontend is taken as ready, so blkback connects right after the
// open), rings, feature negotiation, cdrom, the vbd handle, and I/O.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "backends/sim/loop/kernel_block_open.hpp"
#include "runtime/execution.hpp"
#include "world/block_backend.hpp"
#include "world/kernel.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

// BlkbackDiskseq, the selectable diskseq check: world/kernel.hpp.

class SimBlockBackends final : public BlockBackends {
 public:
  // `block`: the block layer blkback opens devices from (SimLoop, or the dom0 backend's real loop devices).
  SimBlockBackends(Execution& ex, XenStore& xenstore, KernelBlockOpen& block);

  Errno probe(std::string_view backend_path) override;
  std::optional<ExportedDisk> exported(std::string_view backend_path) const override;
  // One daemon actor, "xenbus backend/vbd", plays the xenbus core's watch (xenbus_probe_backend.c
  // backend_changed -> xenbus_dev_changed -> xenbus_probe_node): a new backend/vbd/<domid>/<devid> whose
  // `state` reads 1 is probed; one already probed, or in another state, is left alone.
  void probe_as_created() override;

  void set_diskseq_support(BlkbackDiskseq d) { diskseq_ = d; }
  BlkbackDiskseq diskseq_support() const { return diskseq_; }
  // Its part of a state key (runtime/state_key.hpp): the check it runs and every backend it probed.
  void hash_state(StateHasher& h) const;

 private:
  struct Backend {
    std::string path;
    // be->major, be->minor, be->diskseq: the device this backend has taken (0 when none).
    unsigned major = 0;
    unsigned minor = 0;
    std::uint64_t diskseq = 0;
    int ref = -1;  // the kernel reference to the opened device
    std::optional<ExportedDisk> exported;
  };
  void run(Backend& be);
  void watch_backend_tree();
  void backend_changed(Backend& be, XsConnection& xs);
  void fatal(Backend& be, XsConnection& xs, Errno err, const std::string& message);
  bool writes_opened() const { return diskseq_ != BlkbackDiskseq::unsupported; }

  Execution& ex_;
  XenStore& xenstore_;
  KernelBlockOpen& loop_;
  BlkbackDiskseq diskseq_ = BlkbackDiskseq::unsupported;
  std::map<std::string, Backend, std::less<>> backends_;
};

}  // namespace xenrace
