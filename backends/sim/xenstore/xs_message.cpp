#include "backends/sim/xenstore/xs_message.hpp"

#include <cstring>

namespace xenrace::xs {

namespace wire {

const char* type_name(std::uint32_t type) {
  static constexpr const char* kNames[] = {
      "CONTROL",    "DIRECTORY", "READ",       "GET_PERMS",   "WATCH",         "UNWATCH",
      "TRANSACTION_START", "TRANSACTION_END", "INTRODUCE", "RELEASE", "GET_DOMAIN_PATH", "WRITE",
      "MKDIR",      "RM",        "SET_PERMS",  "WATCH_EVENT", "ERROR",         "IS_DOMAIN_INTRODUCED",
      "RESUME",     "SET_TARGET", "RESTRICT",  "RESET_WATCHES", "DIRECTORY_PART", "GET_FEATURE",
      "SET_FEATURE", "GET_QUOTA", "SET_QUOTA"};
  return type < std::size(kNames) ? kNames[type] : "UNKNOWN";
}

void append_message(std::string& out, std::uint32_t type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::string_view payload) {
  const Header h{type, req_id, tx_id, static_cast<std::uint32_t>(payload.size())};
  out.append(reinterpret_cast<const char*>(&h), sizeof h);
  out.append(payload);
}

}  // namespace wire

bool MessageReader::feed(std::string_view bytes, std::vector<Message>& out) {
  while (!bytes.empty()) {
    if (have_ < sizeof(wire::Header)) {
      const std::size_t n = std::min(bytes.size(), sizeof(wire::Header) - have_);
      std::memcpy(header_bytes_ + have_, bytes.data(), n);
      have_ += n;
      bytes.remove_prefix(n);
      if (have_ < sizeof(wire::Header)) return true;
      std::memcpy(&current_.header, header_bytes_, sizeof(wire::Header));
      if (current_.header.len > wire::kPayloadMax) return false;
      current_.payload.clear();
      current_.payload.reserve(current_.header.len);
    }
    const std::size_t missing = current_.header.len - current_.payload.size();
    const std::size_t n = std::min(bytes.size(), missing);
    current_.payload.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (current_.payload.size() == current_.header.len) {
      out.push_back(std::move(current_));
      current_ = Message{};
      have_ = 0;
    }
  }
  return true;
}

std::optional<std::string_view> one_arg(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  const std::size_t nul = payload.find('\0');
  if (nul != payload.size() - 1) return std::nullopt;
  return payload.substr(0, nul);
}

std::vector<std::string_view> strings(std::string_view payload) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t nul; (nul = payload.find('\0', start)) != std::string_view::npos; start = nul + 1)
    out.push_back(payload.substr(start, nul - start));
  return out;
}

long parse_number(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  long v = 0;
  constexpr long kMax = 0x7fffffffffffffffL;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const int digit = text[i] - '0';
    if (v > (kMax - digit) / 10) return negative ? -kMax - 1 : kMax;  // strtol saturates
    v = v * 10 + digit;
  }
  return negative ? -v : v;
}

}  // namespace xenrace::xs
