// Malformed input on the socket, through the protocol layer (no transport) and the real server: an
// XS_ERROR reply or a closed connection as xenstored gives, never a crash or a changed store.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "backends/sim/xenstore/xs_protocol.hpp"
#include "server_fixture.hpp"

#if __has_include(<xen/io/xs_wire.h>)
#include <xen/io/xs_wire.h>
#define XENRACE_HAVE_XS_WIRE 1
#endif

namespace xenrace::xs {
namespace {

std::string request(std::uint32_t type, std::string_view payload, std::uint32_t req_id = 7, std::uint32_t tx = 0) {
  std::string out;
  wire::append_message(out, type, req_id, tx, payload);
  return out;
}

struct Decoded {
  wire::Header h;
  std::string payload;
};

std::vector<Decoded> decode(const std::string& bytes) {
  std::vector<Message> msgs;
  MessageReader r;
  EXPECT_TRUE(r.feed(bytes, msgs));
  std::vector<Decoded> out;
  for (auto& m : msgs) out.push_back({m.header, m.payload});
  return out;
}

std::string error_of(Store& s, const std::string& bytes) {
  ProtocolConnection c(s);
  EXPECT_TRUE(c.receive(bytes));
  c.handle_all();
  auto replies = decode(c.take_output());
  EXPECT_EQ(replies.size(), 1u);
  if (replies.empty()) return "";
  return replies[0].h.type == wire::error ? replies[0].payload : "not an error: " + replies[0].payload;
}

TEST(WireConstants, MatchXenHeader) {
#ifdef XENRACE_HAVE_XS_WIRE
  EXPECT_EQ(wire::kPayloadMax, static_cast<std::size_t>(XENSTORE_PAYLOAD_MAX));
  EXPECT_EQ(wire::directory_part, XS_DIRECTORY_PART);
  EXPECT_GE(static_cast<unsigned>(wire::type_count), static_cast<unsigned>(XS_TYPE_COUNT));  // 4.17 stops at DIRECTORY_PART
  EXPECT_EQ(wire::watch_event, XS_WATCH_EVENT);
  EXPECT_EQ(wire::error, XS_ERROR);
  EXPECT_EQ(sizeof(wire::Header), sizeof(xsd_sockmsg));
#else
  GTEST_SKIP() << "xen/io/xs_wire.h (libxen-dev) is absent";
#endif
}

TEST(Malformed, ErrorsAsXenstoredGivesThem) {
  Store s;
  const std::uint64_t before = s.generation();
  EXPECT_EQ(error_of(s, request(99, "/a")), std::string("ENOSYS\0", 7));
  EXPECT_EQ(error_of(s, request(wire::watch_event, "/a\0t\0")), std::string("ENOSYS\0", 7));
  EXPECT_EQ(error_of(s, request(20, "")), std::string("ENOSYS\0", 7));
  EXPECT_EQ(error_of(s, request(wire::read, "/a")), std::string("EINVAL\0", 7));         // no NUL
  EXPECT_EQ(error_of(s, request(wire::read, "")), std::string("EINVAL\0", 7));           // no argument
  EXPECT_EQ(error_of(s, request(wire::read, std::string("/a\0/b\0", 6))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::write, "/a")), std::string("EINVAL\0", 7));        // no value separator
  EXPECT_EQ(error_of(s, request(wire::write, std::string("/a b\0v", 6))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::watch, std::string("/a\0", 3))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::read, std::string("/a\0", 3), 7, 42)), std::string("ENOENT\0", 7));
  EXPECT_EQ(error_of(s, request(wire::transaction_end, std::string("X\0", 2))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::set_perms, std::string("/\0q0\0", 5))), std::string("EINVAL\0", 7));
  EXPECT_EQ(s.generation(), before);  // nothing changed
}

// What the 4.17 dispatch table and argument parsers do with the messages that newer or older clients
// send (wire_funcs, get_strings, xs_strings_to_perms).
TEST(Malformed, NewerTypesAndLooseArgumentsAsXenstored4_17) {
  Store s;
  for (std::uint32_t type : {23u, 24u, 25u, 26u})
    EXPECT_EQ(error_of(s, request(type, std::string("\0", 1))), std::string("ENOSYS\0", 7)) << type;
  EXPECT_EQ(error_of(s, request(wire::reset_watches, "", 7, 42)), std::string("ENOENT\0", 7));  // checks tx_id
  // SET_PERMS: strtol(base 0) into an unsigned int: -1 is domain 4294967295, which does not exist.
  EXPECT_EQ(error_of(s, request(wire::set_perms, std::string("/\0n-1\0", 6))), std::string("ENOENT\0", 7));
  EXPECT_EQ(error_of(s, request(wire::set_perms, std::string("/\0n4294967295\0", 14))), std::string("ENOENT\0", 7));
  EXPECT_EQ(error_of(s, request(wire::set_perms, std::string("/\0r\0", 4))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::set_perms, std::string("/\0n0x\0", 6))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::set_perms, std::string("@foo\0n0\0", 8))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::get_perms, std::string("@introduceDomain\0", 17))), std::string("EINVAL\0", 7));
  EXPECT_EQ(error_of(s, request(wire::write, std::string("@foo\0v", 6))), std::string("EINVAL\0", 7));
  // WATCH takes the first two strings and ignores a third; UNWATCH of an invalid path is just unknown.
  ProtocolConnection c(s);
  ASSERT_TRUE(c.receive(request(wire::watch, std::string("/w\0t\0extra\0", 11))));
  ASSERT_TRUE(c.receive(request(wire::set_perms, std::string("/\0n0x0\0", 7))));  // hex: domain 0
  c.handle_all();
  auto replies = decode(c.take_output());
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].payload, std::string("OK\0", 3));
  EXPECT_EQ(replies[1].h.type, wire::watch_event);
  EXPECT_EQ(replies[2].payload, std::string("OK\0", 3));
  EXPECT_EQ(error_of(s, request(wire::unwatch, std::string("/a b\0t\0", 7))), std::string("ENOENT\0", 7));
}

TEST(Malformed, RepliesEchoTheHeaderAndWatchEventsFollowTheOk) {
  Store s;
  ProtocolConnection c(s);
  ASSERT_TRUE(c.receive(request(wire::watch, std::string("/w\0tok\0", 7), 11, 0)));
  // "/w/x": an event for "/w" itself would be identical to the still-unsent registration event, and
  // dropped as xenstored drops it.
  ASSERT_TRUE(c.receive(request(wire::write, std::string("/w/x\0v", 6), 12, 0)));
  c.handle_all();
  auto out = decode(c.take_output());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].h.type, wire::watch);
  EXPECT_EQ(out[0].h.req_id, 11u);
  EXPECT_EQ(out[0].payload, std::string("OK\0", 3));
  EXPECT_EQ(out[1].h.type, wire::watch_event);
  EXPECT_EQ(out[1].h.req_id, 0u);
  EXPECT_EQ(out[1].payload, std::string("/w\0tok\0", 7));
  EXPECT_EQ(out[2].h.type, wire::watch_event);  // the write's event comes before the write's reply
  EXPECT_EQ(out[3].h.type, wire::write);
  EXPECT_EQ(out[3].h.req_id, 12u);
  // Two identical events while the first is unsent: one goes out.
  ASSERT_TRUE(c.receive(request(wire::write, std::string("/w/x\0a", 6))));
  ASSERT_TRUE(c.receive(request(wire::write, std::string("/w/x\0b", 6))));
  c.handle_all();
  EXPECT_EQ(decode(c.take_output()).size(), 3u);
}

TEST(Malformed, OversizedHeaderClosesTheConnection) {
  Store s;
  ProtocolConnection c(s);
  std::string bytes = request(wire::read, "");
  wire::Header h{wire::read, 1, 0, 4097};
  std::memcpy(bytes.data(), &h, sizeof h);
  EXPECT_FALSE(c.receive(bytes));
}

TEST(Malformed, ByteAtATimeIsTheSameAsAllAtOnce) {
  Store s;
  ProtocolConnection c(s);
  const std::string bytes = request(wire::write, std::string("/a\0value", 8)) + request(wire::read, std::string("/a\0", 3));
  for (char b : bytes) ASSERT_TRUE(c.receive(std::string_view(&b, 1)));
  c.handle_all();
  auto out = decode(c.take_output());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].payload, "value");
}

TEST(Malformed, DirectoryPartPagesWholeNames) {
  Store s;
  ConnId d0 = s.open_connection(0);
  std::string all;
  for (int i = 0; i < 200; ++i) {
    const std::string name = "entry-number-" + std::to_string(i) + "-padded-to-be-long";
    ASSERT_EQ(s.write(d0, kNoTx, "/big/" + name, ""), 0);
    all += name + '\0';
  }
  ProtocolConnection c(s);
  std::string got;
  for (std::size_t off = 0;;) {
    ASSERT_TRUE(c.receive(request(wire::directory_part, "/big" + std::string(1, '\0') + std::to_string(off) + '\0')));
    c.handle_all();
    auto r = decode(c.take_output());
    ASSERT_EQ(r[0].h.type, wire::directory_part);
    ASSERT_LE(r[0].payload.size(), wire::kPayloadMax);
    const std::string chunk = r[0].payload.substr(r[0].payload.find('\0') + 1);
    if (chunk.size() >= 2 && chunk.substr(chunk.size() - 2) == std::string(2, '\0')) {
      got += chunk.substr(0, chunk.size() - 1);
      break;
    }
    got += chunk;
    off += chunk.size();
  }
  EXPECT_EQ(got, all);
  ASSERT_TRUE(c.receive(request(wire::directory, std::string("/big\0", 5))));
  c.handle_all();
  EXPECT_EQ(decode(c.take_output())[0].payload, std::string("E2BIG\0", 6));
}

struct RawSocket {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  explicit RawSocket(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~RawSocket() { ::close(fd); }
  void send_all(const std::string& b) { ASSERT_EQ(::send(fd, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size())); }
  std::string recv_message() {  // blocks for one whole message; "" when the server closed
    std::string got;
    char buf[4096];
    MessageReader r;
    std::vector<Message> m;
    while (m.empty()) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return "";
      r.feed(std::string_view(buf, static_cast<std::size_t>(n)), m);
    }
    return m[0].payload;
  }
};

using MalformedSocket = ServerFixture;

TEST_F(MalformedSocket, OversizedMessageClosesOnlyThatClient) {
  RawSocket bad(socket), good(socket);
  std::string bytes(16, '\0');
  wire::Header h{wire::write, 1, 0, 100000};
  std::memcpy(bytes.data(), &h, sizeof h);
  bad.send_all(bytes);
  EXPECT_EQ(bad.recv_message(), "");  // closed
  good.send_all(request(wire::write, std::string("/ok\0" "1", 5)));
  EXPECT_EQ(good.recv_message(), std::string("OK\0", 3));
}

TEST_F(MalformedSocket, DisconnectMidMessageAndMidTransaction) {
  {
    RawSocket c(socket);
    c.send_all(request(wire::transaction_start, std::string("\0", 1)));
    const std::string id = c.recv_message();
    const auto tx = static_cast<std::uint32_t>(std::stoul(id));
    c.send_all(request(wire::write, std::string("/tx-node\0v", 10), 2, tx));
    EXPECT_EQ(c.recv_message(), std::string("OK\0", 3));
    c.send_all(request(wire::write, std::string("/partial\0value", 14)).substr(0, 20));  // cut mid-message
  }
  RawSocket check(socket);
  check.send_all(request(wire::read, std::string("/tx-node\0", 9)));
  EXPECT_EQ(check.recv_message(), std::string("ENOENT\0", 7));
  check.send_all(request(wire::read, std::string("/partial\0", 9)));
  EXPECT_EQ(check.recv_message(), std::string("ENOENT\0", 7));
}

}  // namespace
}  // namespace xenrace::xs
