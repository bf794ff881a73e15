#include "world/xs_trace_format.hpp"

#include <fmt/format.h>

namespace xenrace::xs_trace {

std::string shorten(std::string_view s) {
  constexpr std::size_t kMax = 48;
  if (s.size() <= kMax) return std::string(s);
  return fmt::format("{}...({} bytes)", s.substr(0, kMax), s.size());
}

std::string with_tx(TxId tx, std::string_view rest) {
  return tx == kNoTx ? std::string(rest) : fmt::format("t{} {}", tx, rest);
}

std::string format_perms(const XsPerms& perms) {
  std::string out;
  for (const auto& p : perms) {
    if (!out.empty()) out += ' ';
    out += format_perm(p);
  }
  return out;
}

}  // namespace xenrace::xs_trace
