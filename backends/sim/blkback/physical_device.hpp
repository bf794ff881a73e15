// Parsing blkback's backend nodes. Sources of truth: Linux drivers/block/xen-blkback/xenbus.c
// backend_changed (xenbus_scanf "%x:%x" on physical-device) and Demi Marie Obenour's unmerged diskseq
// series (seed 002): v2 2023-05-30 "xen-blkback: Implement diskseq checks" (a separate `diskseq` node)
// and RFC 2023-01-26 (diskseq@major:minor inside physical-device).
//
// parse_diskseq is the strict parser from the review, as worked examples (tests/blkback):
//   ""                  -> EFAULT  "diskseq must not be empty"
//   "12345678901234567" -> ERANGE  (17 digits: "diskseq too long")
//   "0", "0a"           -> ERANGE  "diskseq must not start with '0'"
//   "1f", "FFFFFFFFFFFFFFFF" -> 0x1f, UINT64_MAX   (hex, either case, the whole string consumed)
//   "1g", "1 ", "+1", "1\n" -> EINVAL "invalid diskseq" (simple_strtoull stopped early)
// parse_major_minor follows the kernel's vsscanf("%x:%x"): leading blanks and a 0x prefix are skipped,
// junk after the minor is ignored ("7:a" -> 7:10; "7:1junk" -> 7:1), and fewer than two fields -> EINVAL.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "world/block_backend.hpp"
#include "world/result.hpp"

namespace xenrace {

struct DiskseqError {
  Errno err = 0;
  const char* message = "";  // the kernel's xenbus_dev_fatal text
};

// The strict diskseq rules; on failure returns the errno and the kernel's message.
Result<std::uint64_t> parse_diskseq(std::string_view text, DiskseqError* why = nullptr);

struct PhysicalDevice {
  unsigned major = 0;
  unsigned minor = 0;
  std::uint64_t diskseq = 0;  // 0: no diskseq given (no check)
  bool operator==(const PhysicalDevice&) const = default;
};

// "%x:%x" as xenbus_scanf reads it.
Result<PhysicalDevice> parse_major_minor(std::string_view text);
// RFC 2023-01-26 syntax: "diskseq@major:minor" (diskseq strict as above, majors/minors at most 8 hex
// digits, bytes restricted to 0x21..0x7e, diskseq 0 invalid) or plain "major:minor".
Result<PhysicalDevice> parse_physical_device_with_diskseq(std::string_view text);

// What a block script writes (format_major_minor, format_diskseq): world/block_backend.hpp.

}  // namespace xenrace
