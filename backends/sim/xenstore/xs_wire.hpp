// xenstored's wire format (xen/include/public/io/xs_wire.h): a 16-byte header of four host-order
// uint32 (type, req_id, tx_id, len) and at most XENSTORE_PAYLOAD_MAX bytes of payload. Our own copy
// of the constants, so the server builds without libxen-dev; tests check them against the real header.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace xenrace::xs::wire {

enum Type : std::uint32_t {
  control = 0,  // alias XS_DEBUG
  directory = 1,
  read = 2,
  get_perms = 3,
  watch = 4,
  unwatch = 5,
  transaction_start = 6,
  transaction_end = 7,
  introduce = 8,
  release = 9,
  get_domain_path = 10,
  write = 11,
  mkdir = 12,
  rm = 13,
  set_perms = 14,
  watch_event = 15,
  error = 16,
  is_domain_introduced = 17,
  resume = 18,
  set_target = 19,
  // 20 was XS_RESTRICT, removed
  reset_watches = 21,
  directory_part = 22,
  get_feature = 23,
  set_feature = 24,
  get_quota = 25,
  set_quota = 26,
  type_count = 27,
};

struct Header {
  std::uint32_t type = 0;
  std::uint32_t req_id = 0;
  std::uint32_t tx_id = 0;
  std::uint32_t len = 0;
};
static_assert(sizeof(Header) == 16);

inline constexpr std::size_t kPayloadMax = 4096;  // XENSTORE_PAYLOAD_MAX
const char* type_name(std::uint32_t type);        // "READ", ... "UNKNOWN"

// Appends one encoded message (header + payload) to `out`.
void append_message(std::string& out, std::uint32_t type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::string_view payload);

}  // namespace xenrace::xs::wire
