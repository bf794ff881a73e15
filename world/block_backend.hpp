// xen-blkback as a scenario sees it. The toolstack creates a vbd backend directory in XenStore
// (/local/domain/0/backend/vbd/<domid>/<devid>) and the kernel's blkback reacts to it: in the simulator
// probe() starts a blkback actor for that directory (xen_blkbk_probe); on a real dom0 the kernel probes by
// itself and probe() only checks that the backend exists. What the backend exported is observed, never
// driven: a scenario's invariants compare it with what the block script meant to export.
#pragma once
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "world/loop.hpp"
#include "world/result.hpp"

namespace xenrace {

// What a block script writes: "%x:%x" (stat -c %t:%T) into physical-device, and a diskseq in lowercase hex.
inline std::string format_major_minor(unsigned major, unsigned minor) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%x:%x", major, minor);
  return buf;
}
inline std::string format_diskseq(std::uint64_t diskseq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIx64, diskseq);
  return buf;
}

// The medium blkback opened, read at the moment it opened the device by major:minor.
struct ExportedDisk {
  unsigned major = 0;
  unsigned minor = 0;
  bool has_medium = false;   // false: the loop device was unbound when blkback opened it
  std::string backing_file;  // the file behind the device at open time
  FileIdentity file;
  std::uint64_t diskseq = 0;
  bool released = false;  // blkback has since closed the device (backend Closed)
};

class BlockBackends {
 public:
  virtual ~BlockBackends() = default;
  // Start (sim) or expect (dom0) blkback for an existing vbd backend directory.
  virtual Errno probe(std::string_view backend_path) = 0;
  // What blkback exported for that backend, if it has opened a device.
  virtual std::optional<ExportedDisk> exported(std::string_view backend_path) const = 0;
  // From now on, probe each vbd backend directory that appears with `state` Initialising, as the kernel's
  // xenbus does through its watch on backend/vbd: for a toolstack that runs as a program (real libxl), whose
  // directories a scenario cannot probe one by one. Call from setup code. A real kernel does this itself.
  virtual void probe_as_created() {}
};

}  // namespace xenrace
