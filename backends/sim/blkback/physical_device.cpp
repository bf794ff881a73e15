#include "backends/sim/blkback/physical_device.hpp"

#include <fmt/format.h>

namespace xenrace {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// One "%x" conversion of the kernel's vsscanf: blanks, optional 0x, then at least one hex digit.
bool scan_hex(std::string_view text, std::size_t& pos, std::uint64_t& out) {
  while (pos < text.size() && is_blank(text[pos])) ++pos;
  if (pos + 1 < text.size() && text[pos] == '0' && (text[pos + 1] == 'x' || text[pos + 1] == 'X') &&
      pos + 2 < text.size() && hex_value(text[pos + 2]) >= 0)
    pos += 2;
  const std::size_t start = pos;
  out = 0;
  while (pos < text.size() && hex_value(text[pos]) >= 0) out = out * 16 + static_cast<unsigned>(hex_value(text[pos++]));
  return pos > start;
}

Result<std::uint64_t> fail(DiskseqError* why, Errno err, const char* message) {
  if (why) *why = DiskseqError{err, message};
  return Result<std::uint64_t>::error(err);
}

// A strict fixed-width hex field ("%8x" with nothing else): 1..8 digits, whole string.
bool strict_hex32(std::string_view text, unsigned& out) {
  if (text.empty() || text.size() > 8) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    const int h = hex_value(c);
    if (h < 0) return false;
    v = v * 16 + static_cast<unsigned>(h);
  }
  out = static_cast<unsigned>(v);
  return true;
}

}  // namespace

Result<std::uint64_t> parse_diskseq(std::string_view text, DiskseqError* why) {
  if (text.empty()) return fail(why, EFAULT, "diskseq must not be empty");
  if (text.size() > 16) return fail(why, ERANGE, "diskseq too long");
  if (text[0] == '0') return fail(why, ERANGE, "diskseq must not start with '0'");
  std::uint64_t value = 0;
  for (char c : text) {
    const int h = hex_value(c);
    if (h < 0) return fail(why, EINVAL, "invalid diskseq");
    value = value * 16 + static_cast<unsigned>(h);
  }
  if (why) *why = DiskseqError{};
  return Result<std::uint64_t>::success(value);
}

Result<PhysicalDevice> parse_major_minor(std::string_view text) {
  std::size_t pos = 0;
  std::uint64_t major = 0, minor = 0;
  if (!scan_hex(text, pos, major)) return Result<PhysicalDevice>::error(EINVAL);
  if (pos >= text.size() || text[pos] != ':') return Result<PhysicalDevice>::error(EINVAL);
  ++pos;
  if (!scan_hex(text, pos, minor)) return Result<PhysicalDevice>::error(EINVAL);
  return Result<PhysicalDevice>::success(
      PhysicalDevice{static_cast<unsigned>(major), static_cast<unsigned>(minor), 0});
}

Result<PhysicalDevice> parse_physical_device_with_diskseq(std::string_view text) {
  for (char c : text)
    if (c < 0x21 || c > 0x7e) return Result<PhysicalDevice>::error(EINVAL);
  PhysicalDevice out;
  std::string_view devnum = text;
  if (const auto at = text.find('@'); at != std::string_view::npos) {
    auto seq = parse_diskseq(text.substr(0, at));
    if (!seq.ok()) return Result<PhysicalDevice>::error(seq.err);
    out.diskseq = seq.value;
    devnum = text.substr(at + 1);
  }
  const auto colon = devnum.find(':');
  if (colon == std::string_view::npos || !strict_hex32(devnum.substr(0, colon), out.major) ||
      !strict_hex32(devnum.substr(colon + 1), out.minor))
    return Result<PhysicalDevice>::error(EINVAL);
  return Result<PhysicalDevice>::success(out);
}

}  // namespace xenrace
