// libFuzzer target: arbitrary bytes on a xenstored socket connection. The first byte picks the client
// (dom0 or an unprivileged domain), the rest is the byte stream. Whatever arrives, the server must
// answer or close, and the store must stay a well-formed tree.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "backends/sim/xenstore/xs_path.hpp"
#include "backends/sim/xenstore/xs_protocol.hpp"

namespace {
using namespace xenrace;
using namespace xenrace::xs;

void check_tree(const Store& s) {
  for (const auto& [path, node] : s.nodes()) {
    if (node.perms.empty()) {
      std::fprintf(stderr, "node %s has no permissions\n", path.c_str());
      std::abort();
    }
    if (is_special(path) || path == "/") continue;
    const Node* parent = s.peek(parent_of(path));
    bool listed = false;
    if (parent)
      for (const auto& c : parent->children) listed |= c == basename_of(path);
    if (!listed) {
      std::fprintf(stderr, "node %s is not listed by its parent\n", path.c_str());
      std::abort();
    }
    for (const auto& c : node.children)
      if (!s.peek(path + "/" + c)) {
        std::fprintf(stderr, "node %s lists missing child %s\n", path.c_str(), c.c_str());
        std::abort();
      }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Store store;
  {
    ProtocolConnection other(store, 5);  // a second client receiving events, released with its transactions
    ProtocolConnection client(store, data[0] & 1 ? 5 : 0);
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    // Fed in two pieces, as a socket may deliver it.
    const std::size_t cut = size > 2 ? data[1] % (bytes.size() + 1) : 0;
    if (client.receive(bytes.substr(0, cut)) && client.receive(bytes.substr(cut))) client.handle_all();
    while (client.has_output()) {
      if (client.output().size() > 16 + 4096) std::abort();  // a message over the payload limit
      client.sent(client.output().size());
    }
    other.take_output();
    check_tree(store);
  }
  check_tree(store);
  return 0;
}
