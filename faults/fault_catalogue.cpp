#include "faults/fault_catalogue.hpp"

#include <cerrno>

namespace xenrace {
namespace {

// Error sets, each from the real code named in the row's real_source (see docs/fidelity.md).
constexpr Errno kXsWrite[] = {ENOSPC, EACCES, E2BIG};
constexpr Errno kXsMkdir[] = {ENOSPC, EACCES};
constexpr Errno kXsRm[] = {EACCES, ENOENT};
constexpr Errno kXsTransactionStart[] = {ENOSPC};
constexpr Errno kXsTransactionEnd[] = {EAGAIN, ENOMEM};
constexpr Errno kXsWatch[] = {ENOSPC};
constexpr Errno kLoopGetFree[] = {ENOMEM, ENOSPC};
constexpr Errno kLoopConfigure[] = {EBUSY, EINVAL, ENOMEM};
constexpr Errno kLoopClrFd[] = {ENXIO, EBUSY};
constexpr Errno kBlkbackOpen[] = {ENXIO, EACCES};
constexpr Errno kMdevCreate[] = {EEXIST, ENODEV, ENOMEM};
constexpr Errno kMdevRemove[] = {EAGAIN, ENODEV};
constexpr Errno kHvAssignDevice[] = {ENOMEM, EBUSY};

constexpr FaultPointInfo kCatalogue[] = {
    {FaultPoint::xenstore_write, "xenstore/write", FaultEffect::returns_error, kXsWrite,
     "backends/sim/xenstore/sim_xenstore.cpp SimXsConnection::write",
     "xenstored core.c do_write/create_node (ENOSPC quota, EACCES perms); libxenstore xs_talkv (E2BIG payload)",
     "a write refused: quota, permissions, or a value over XENSTORE_PAYLOAD_MAX"},
    {FaultPoint::xenstore_mkdir, "xenstore/mkdir", FaultEffect::returns_error, kXsMkdir,
     "backends/sim/xenstore/sim_xenstore.cpp SimXsConnection::mkdir", "xenstored core.c do_mkdir/create_node",
     "a mkdir refused by quota or permissions"},
    {FaultPoint::xenstore_rm, "xenstore/rm", FaultEffect::returns_error, kXsRm,
     "backends/sim/xenstore/sim_xenstore.cpp SimXsConnection::rm", "xenstored core.c do_rm (EACCES; ENOENT when the parent went)",
     "a remove refused, or racing with the parent's removal"},
    {FaultPoint::xenstore_transaction_start, "xenstore/transaction_start", FaultEffect::returns_error,
     kXsTransactionStart, "backends/sim/xenstore/sim_xenstore.cpp SimXsConnection::transaction_start",
     "xenstored transaction.c do_transaction_start (transaction quota)", "too many open transactions"},
    {FaultPoint::xenstore_transaction_end, "xenstore/transaction_end", FaultEffect::returns_error,
     kXsTransactionEnd, "backends/sim/xenstore/sim_xenstore.cpp SimXsConnection::transaction_end",
     "xenstored transaction.c do_transaction_end/finalize_transaction (EAGAIN conflict; ENOMEM failed transaction)",
     "a commit that conflicts (nothing applied, the transaction is gone) or was marked failed"},
    {FaultPoint::xenstore_watch, "xenstore/watch", FaultEffect::returns_error, kXsWatch,
     "backends/sim/xenstore/sim_xenstore.cpp SimXsConnection::watch", "xenstored watch.c do_watch (watch quota)",
     "a watch refused by the per-connection quota"},
    {FaultPoint::loop_get_free, "loop/get_free", FaultEffect::returns_error, kLoopGetFree,
     "backends/sim/loop/sim_loop.cpp SimLoop::get_free",
     "loop.c loop_control_get_free -> loop_add(-1): ENOMEM allocating, ENOSPC from idr_alloc",
     "LOOP_CTL_GET_FREE cannot allocate a new device"},
    {FaultPoint::loop_configure, "loop/configure", FaultEffect::returns_error, kLoopConfigure,
     "backends/sim/loop/sim_loop.cpp SimLoop::bind (LOOP_CONFIGURE and LOOP_SET_FD), after its own checks",
     "loop.c loop_configure (EBUSY not Lo_unbound; EINVAL flags/block size; ENOMEM)",
     "binding a loop device fails: someone else bound it first (udisks, a manual losetup)"},
    {FaultPoint::loop_clr_fd, "loop/clr_fd", FaultEffect::returns_error, kLoopClrFd,
     "backends/sim/loop/sim_loop.cpp SimLoop::clr_fd", "loop.c loop_clr_fd (ENXIO not bound; EBUSY in rundown)",
     "losetup -d fails: the device was already detached or is being torn down"},
    {FaultPoint::blkback_open, "blkback/open", FaultEffect::returns_error, kBlkbackOpen,
     "backends/sim/loop/sim_loop.cpp SimLoop::kernel_open (blkback's blkdev_get_by_dev)",
     "block/bdev.c blkdev_get_by_dev (ENXIO no live disk; EACCES writable open of a read-only disk); "
     "xen-blkback xen_vbd_create then reports ENOENT",
     "blkback cannot open the device named by physical-device (it goes to Closing with an error node)"},
    {FaultPoint::mdev_create, "mdev/create", FaultEffect::returns_error, kMdevCreate,
     "backends/sim/mdev/sim_mdev_bus.cpp SimMdevBus::write_create, after the UUID parsed",
     "mdev_core.c mdev_device_create (EEXIST UUID still listed; ENODEV parent unregistering; ENOMEM)",
     "writing a UUID to .../create fails"},
    {FaultPoint::mdev_remove, "mdev/remove", FaultEffect::returns_error, kMdevRemove,
     "backends/sim/mdev/sim_mdev_bus.cpp SimMdevBus::write_remove, before remove_self (nothing changes)",
     "mdev_core.c mdev_device_remove (EAGAIN not active; ENODEV parent unregistering)",
     "writing 1 to .../remove fails"},
    {FaultPoint::hypervisor_assign_device, "hypervisor/assign_device", FaultEffect::returns_error, kHvAssignDevice,
     "backends/sim/hypervisor/sim_hypervisor.cpp SimHypervisor::assign (the World's assign_device and a real "
     "libxl's xc_assign_device), after the domain checks",
     "xen/drivers/passthrough/pci.c assign_device (ENOMEM from the IOMMU's page tables; EBUSY from "
     "device_assigned when another assignment got there first)",
     "the hypervisor refuses to give the device to the guest"},
    {FaultPoint::actor_kill, "actor/kill", FaultEffect::kills_actor, {},
     "harness Execution::before_visible, for actors passed to make_killable()",
     "SIGKILL from a hotplug timeout (libxl's 40 s) or the OOM killer",
     "the actor dies before its next visible operation; what it held is released as at process exit"},
};

static_assert(std::size(kCatalogue) == static_cast<std::size_t>(FaultPoint::actor_kill) + 1,
              "one catalogue row per FaultPoint");

}  // namespace

std::span<const FaultPointInfo> fault_catalogue() { return kCatalogue; }

const FaultPointInfo& fault_info(FaultPoint point) { return kCatalogue[static_cast<std::size_t>(point)]; }

std::optional<FaultPoint> find_fault_point(std::string_view name) {
  for (const auto& row : kCatalogue)
    if (row.name == name) return row.point;
  return std::nullopt;
}

}  // namespace xenrace
