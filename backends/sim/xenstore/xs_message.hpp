// Framing and argument parsing of requests on a xenstored socket, as core.c handle_input and
// get_string/get_strings/onearg read them. Pure functions over bytes: the fuzzer drives them directly.
//
//   feed 16 header bytes with len=5, then "/a\0b" + "c": one message, payload "/a\0bc".
//   a header with len > 4096: protocol error; xenstored drops the connection (ignore_connection).
//   one_arg("/a\0") -> "/a"; one_arg("/a") (no NUL) -> none; one_arg("/a\0b\0") -> none.
//   strings("a\0b\0c") -> {"a", "b"}: only NUL-terminated strings count.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sim/xenstore/xs_wire.hpp"

namespace xenrace::xs {

struct Message {
  wire::Header header;
  std::string payload;
};

class MessageReader {
 public:
  // Consumes bytes; complete messages are appended to `out`. False on a protocol error (payload too
  // long): the caller must close the connection and never feed this reader again.
  bool feed(std::string_view bytes, std::vector<Message>& out);
  bool mid_message() const { return have_ > 0; }

 private:
  char header_bytes_[sizeof(wire::Header)] = {};
  std::size_t have_ = 0;  // bytes of the current message received (header first)
  Message current_;
};

// The single NUL-terminated string filling the whole payload (onearg), or nullopt.
std::optional<std::string_view> one_arg(std::string_view payload);
// Every NUL-terminated string of the payload, in order (get_strings).
std::vector<std::string_view> strings(std::string_view payload);
// atoi(), as xenstored parses domids, ports and offsets: leading white space, a sign, digits; 0 when
// there are none. Callers store it in an unsigned int as xenstored does, so "-1" becomes 4294967295.
long parse_number(std::string_view text);

}  // namespace xenrace::xs
