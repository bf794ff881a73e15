// The host's REAL xen-blkback as a scenario's BlockBackends (--blkback real on a Xen dom0): observed, never
// driven. The scenario's vbd backend directory /local/domain/0/backend/vbd/<d>/<dev> is redirected to a
// real backend directory the run makes for itself (backends/dom0/real_vbd.hpp) just before the scenario's first
// write into it, so the kernel's xenbus probes it and blkback reacts to `physical-device` by itself.
//
//  - probe(): checks that the real directory exists (the kernel probes on its own).
//  - physical-device: the scenario writes the run's numbers ("7:0" is the run's loop0); the host gets the
//    host's ("7:H"). A device number the run does not own is refused (EACCES): blkback must never open a
//    device of the host's.
//  - params (block_script = real): the host's block script reads it and binds that file, so the host sees the
//    run's file (SCRATCH/images%a.img) where the scenario wrote /images/a.img; `node` and
//    `physical-device-path` (/dev/loopH, written by the script) read back as the run's /dev/loopN.
//  - exported(): blkback has opened a device once sysfs shows vbd-<domid>-<dev>/physical_device; what it
//    exported is the loop device's backing_file and diskseq read then (a loop device blkback holds stays
//    bound: another LOOP_CLR_FD only sets autoclear). The first reading is kept: the nearest to open time.
//  - settle (before each verdict): waits, bounded in real time, until blkback opened the device or refused
//    it (error node, state Closing/Closed). One that never acted makes the run inconclusive, not a pass.
//  - destruction (end of execution): the real directory goes, xenbus unregisters the device and blkback
//    closes it; then the run's loop devices can be cleared.
// The real driver has no diskseq check, so variants that need one are skipped (block::select_kernel).
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backends/dom0/real_dirs.hpp"
#include "backends/dom0/real_vbd.hpp"
#include "runtime/execution.hpp"
#include "world/block_backend.hpp"

namespace xenrace::dom0 {

class Dom0Session;
class Dom0XenStore;
class Dom0Loop;

inline constexpr const char* kHostBlkbackDriver = "/sys/bus/xen-backend/drivers/vbd";

class RealBlockBackends final : public BlockBackends, public RealDirs {
 public:
  // Registers itself with `xenstore` (RealDirs) and the settle wait with `ex`. `observed` receives a line
  // per real backend made, for the report.
  RealBlockBackends(Execution& ex, Dom0Session& session, Dom0XenStore& xenstore, Dom0Loop& loop,
                    std::vector<std::string>& observed);
  ~RealBlockBackends() override;

  Errno probe(std::string_view backend_path) override;
  std::optional<ExportedDisk> exported(std::string_view backend_path) const override;

  Errno before_create(std::string_view path) override;
  Result<std::string> host_value(std::string_view path, std::string_view value) override;
  std::string scenario_value(std::string_view path, std::string_view value) override;

  // The real backend directory the scenario's vbd backend `scenario_path` lives at; "" when none was made.
  std::string real_backend(std::string_view scenario_path) const;

  // Bound of the settle wait: param real-blkback-wait-ms, default 10 s (TCG is slow).
  int wait_ms() const { return wait_ms_; }

 private:
  struct Vbd {
    std::string scenario;  // the scenario's backend directory
    RealVbdPaths real;
    std::uint64_t ledger_id = 0;
    bool physical_device_written = false;
    mutable std::optional<ExportedDisk> seen;
  };
  Vbd* find(std::string_view scenario_path);  // the vbd `path` is in (or is)
  const Vbd* find(std::string_view scenario_path) const;
  std::optional<ExportedDisk> read_export(const Vbd& v) const;
  std::string settle();

  Execution& ex_;
  Dom0Session& session_;
  Dom0XenStore& xenstore_;
  Dom0Loop& loop_;
  std::vector<std::string>& observed_;
  int wait_ms_ = 10000;
  std::vector<Vbd> vbds_;
  mutable std::mutex seen_mutex_;
};

}  // namespace xenrace::dom0
