#include "backends/sim/mdev/mdev_sysfs_input.hpp"

#include <cctype>

namespace xenrace {

namespace {
constexpr std::size_t kUuidStringLen = 36;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}
}  // namespace

Result<std::string> parse_mdev_create_text(std::string_view text) {
  using R = Result<std::string>;
  if (text.size() < kUuidStringLen || text.size() > kUuidStringLen + 1) return R::error(EINVAL);
  std::string name;
  name.reserve(kUuidStringLen);
  for (std::size_t i = 0; i < kUuidStringLen; ++i) {
    const char c = text[i];
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? c != '-' : !is_hex(c)) return R::error(EINVAL);
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return R::success(std::move(name));
}

Result<unsigned long> parse_mdev_remove_text(std::string_view text) {
  using R = Result<unsigned long>;
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  if (text.empty()) return R::error(EINVAL);
  unsigned long value = 0;
  for (char c : text) {
    const int d = digit_value(c);
    if (d >= base) return R::error(EINVAL);
    value = value * static_cast<unsigned long>(base) + static_cast<unsigned long>(d);
  }
  return R::success(value);
}

}  // namespace xenrace
