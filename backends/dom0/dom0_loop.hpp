// Loop devices of the real host (drivers/block/loop.c through /dev/loop-control, /dev/loopN ioctls and
// sysfs), as the LoopDevices a scenario sees. Confinement:
//  - Indices are the run's own: the first host device the run obtains (LOOP_CTL_GET_FREE, or found bound
//    to one of its files) is scenario index 0, the next 1, and so on. A scenario that names an index the
//    run never obtained gets ENOENT, as for a device that does not exist — never the host's loopN.
//  - Backing files live in the run's scratch directory (the scenario's "/images/a.img" becomes
//    SCRATCH/images%a.img) and only those can be bound.
//  - Each file and each binding is written to the ledger before it is made; at the end of the execution
//    every binding still on one of the run's files is cleared and the files are removed.
//  - Devices someone else binds to the run's files (the host's block script: `losetup -f`, then
//    `losetup DEV FILE`) are the run's too once expect_bindings_by_others() was called: ledgered as "any
//    device bound to a file in the scratch directory" before that other program runs, numbered when first
//    seen (next scenario index), and cleared at the end of the execution like the run's own.
// Trace events carry scenario indices and paths, so they read like the simulator's; diskseq values are
// the host's (global, large), not the simulator's small counter.
// It is also the block layer for a kernel-side opener (KernelBlockOpen): the simulated blkback driver, on a
// host without xen-blkback, opens the run's real loop devices by the run's numbers (7:N is the run's loopN)
// and reads the medium (BLKGETDISKSEQ, LOOP_GET_STATUS64, sysfs backing_file) on the descriptor it holds.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "backends/dom0/dom0_session.hpp"
#include "backends/sim/loop/kernel_block_open.hpp"
#include "runtime/execution.hpp"
#include "world/loop.hpp"

namespace xenrace::dom0 {

class Dom0Loop final : public LoopDevices, public KernelBlockOpen {
 public:
  // Throws ComponentUnavailable when /dev/loop-control cannot be opened (no loop driver, not root).
  Dom0Loop(Execution& ex, Dom0Session& session);
  ~Dom0Loop() override;

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

  // --- KernelBlockOpen: blkdev_get_by_dev / blkdev_put for the simulated blkback driver ---
  // open("/dev/loopH", O_RDWR) of the run's loopN (ENXIO for another major or an index the run never
  // obtained); the medium is read on that descriptor at once. The descriptor is not closed when an actor
  // exits (a kernel reference); the end of the execution closes it before clearing the bindings.
  Result<int> kernel_open(unsigned major, unsigned minor) override;
  void kernel_close(int ref) override;
  LoopMedium medium_of_ref(int ref) const override;

  // --- devices bound by another program (the host's block script) to the run's files ---
  // Ledgers (once per execution, kind loop-in) that every loop device bound to a file in the run's scratch
  // directory is to be cleared, before the other program may bind one. Throws when the ledger is closed.
  void expect_bindings_by_others();
  // Gives the run's next indices to devices bound to the run's files that it has not seen yet (sysfs only,
  // in an I/O window; lowest host number first). open() of an index the run does not have does this too.
  void adopt_bound_devices();

  // --- the run's numbering and names, for observers of the real kernel (and tests) ---
  int host_index(int index) const;                     // -1 when the run never obtained it
  int scenario_index_of(int host) const;               // -1 when the run never obtained host loopN
  std::string host_file(std::string_view path) const;  // where a scenario file lives on the host
  std::string scenario_file(const std::string& host) const;  // a host path as the scenario names it

 private:
  struct OpenFd {
    int fd = -1;
    int index = -1;  // scenario index
  };
  int scenario_index(int host);  // assigns the next index on first sight
  int fd_of(LoopFd fd, int& index) const;
  Errno bind(LoopFd fd, std::string_view op, std::string_view path, std::uint32_t flags, bool configure);

  Execution& ex_;
  Dom0Session& session_;
  std::vector<int> host_of_;           // scenario index -> host index
  std::map<int, int> scenario_of_;     // host index -> scenario index
  std::vector<OpenFd> fds_;            // LoopFd.id indexes this; ids are never reused
  struct KernelRef {
    int fd = -1;
    LoopMedium medium;
  };
  std::vector<KernelRef> kernel_refs_;  // kernel_open's ref indexes this
  std::map<std::string, std::uint64_t> files_;  // host path -> ledger entry
  std::map<int, std::pair<std::string, std::uint64_t>> bindings_;  // host index -> (host file, ledger entry)
  std::uint64_t others_entry_ = 0;  // the loop-in ledger entry; 0: nobody else binds the run's files
};

}  // namespace xenrace::dom0
