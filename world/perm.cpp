#include "world/xenstore.hpp"

#include <charconv>

namespace xenrace {

std::string format_perm(const XsPerm& p) { return static_cast<char>(p.access) + std::to_string(p.domid); }

bool parse_perm(std::string_view text, XsPerm& out) {
  if (text.size() < 2) return false;
  switch (text[0]) {
    case 'n': out.access = XsPerm::Access::none; break;
    case 'r': out.access = XsPerm::Access::read; break;
    case 'w': out.access = XsPerm::Access::write; break;
    case 'b': out.access = XsPerm::Access::both; break;
    default: return false;
  }
  const char* first = text.data() + 1;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, out.domid);
  return ec == std::errc() && ptr == last;
}

}  // namespace xenrace
