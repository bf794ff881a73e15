// One client of the xenstored wire protocol, without any transport: bytes in, requests applied to the
// Store, replies and watch events out. The server (xs_server.hpp) moves the bytes over a Unix socket;
// the fuzzer and the tests feed them directly. This is xenstored's split between the connection's
// interface_funcs (transport) and core.c's process_message / wire_funcs table (logic).
//
// As C xenstored (core.c process_message, send_reply, send_event, watch.c):
//   - unknown type, or a type the server never accepts (WATCH_EVENT, ERROR, 20): XS_ERROR "ENOSYS".
//   - privileged-only type from an unprivileged connection: "EACCES".
//   - tx_id not open on this connection (except WATCH/UNWATCH, which ignore it): "ENOENT".
//   - malformed arguments (missing NUL, wrong count): "EINVAL"; a reply over 4096 bytes: "E2BIG".
//   - a header announcing more than 4096 bytes: the connection is closed.
//   - replies echo type, req_id and tx_id; errors are type XS_ERROR with "E<name>\0".
//   - a mutation's watch events are queued before its reply; WATCH's own first event after its "OK".
//   - an event identical to one still queued on this connection is dropped (not "@" events), in O(1).
//   - unknown types, and 23-26 (newer than 4.17): "ENOSYS". RESET_WATCHES checks its tx_id.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "backends/sim/xenstore/xs_message.hpp"
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

class ProtocolConnection {
 public:
  // A socket client acts as the store's domain (privileged dom0 by default).
  explicit ProtocolConnection(Store& store);
  ProtocolConnection(Store& store, DomId domid);
  ~ProtocolConnection();  // the client is gone: its transactions abort, its watches disappear
  ProtocolConnection(const ProtocolConnection&) = delete;
  ProtocolConnection& operator=(const ProtocolConnection&) = delete;

  // Bytes from the client. False: protocol error, close the connection.
  bool receive(std::string_view bytes);
  bool has_request() const { return !requests_.empty(); }
  const Message& next_request() const { return requests_.front(); }
  // Applies the oldest received request to the store and queues its reply; `answer`, when given, gets the
  // reply as text: the error's name ("ENOENT"), or the payload with its NULs as spaces.
  void handle_next(std::string* answer = nullptr);
  // Refuses the oldest received request with `err`, applying nothing, as xenstored answers an operation that
  // fails (a quota, a conflict); a refused commit discards its transaction, as a failed finalize does.
  void refuse_next(Errno err, std::string* answer = nullptr);
  void handle_all() {
    while (has_request()) handle_next();
  }

  // Bytes to send to the client, in order; `sent(n)` when the transport took n of them.
  bool has_output() const { return !out_.empty(); }
  std::string_view output() const;
  void sent(std::size_t n);
  // The front of the output is a watch event (not a reply): its "path token".
  std::optional<std::string> next_event() const;
  // Called whenever a watch event is queued outside this connection's own requests (another client's write
  // fired it): a transport that does not poll its sockets wakes here.
  void set_output_listener(std::function<void()> listener) { output_listener_ = std::move(listener); }
  // Everything queued as one string (tests, fuzzer).
  std::string take_output();

  ConnId id() const { return id_; }

 private:
  struct Reply {
    Errno err = 0;
    std::string payload;
  };
  struct Outgoing {
    std::string bytes;
    bool event = false;
    bool mergeable = false;  // an event an identical later one is merged into while this is queued
    std::size_t sent = 0;
  };
  using Handler = Reply (ProtocolConnection::*)(const Message&, TxId);
  struct Operation {
    Handler handler = nullptr;  // null: ENOSYS
    bool privileged_only = false;
    bool ignores_tx = false;
  };
  static const Operation kOperations[wire::type_count];

  void queue_reply(const Message& m, const Reply& r);
  void queue_event(std::string_view path, std::string_view token);

  Reply op_control(const Message& m, TxId tx);
  Reply op_directory(const Message& m, TxId tx);
  Reply op_read(const Message& m, TxId tx);
  Reply op_get_perms(const Message& m, TxId tx);
  Reply op_watch(const Message& m, TxId tx);
  Reply op_unwatch(const Message& m, TxId tx);
  Reply op_transaction_start(const Message& m, TxId tx);
  Reply op_transaction_end(const Message& m, TxId tx);
  Reply op_introduce(const Message& m, TxId tx);
  Reply op_release(const Message& m, TxId tx);
  Reply op_get_domain_path(const Message& m, TxId tx);
  Reply op_write(const Message& m, TxId tx);
  Reply op_mkdir(const Message& m, TxId tx);
  Reply op_rm(const Message& m, TxId tx);
  Reply op_set_perms(const Message& m, TxId tx);
  Reply op_is_domain_introduced(const Message& m, TxId tx);
  Reply op_resume(const Message& m, TxId tx);
  Reply op_set_target(const Message& m, TxId tx);
  Reply op_reset_watches(const Message& m, TxId tx);
  Reply op_directory_part(const Message& m, TxId tx);

  Store& store_;
  ConnId id_;
  MessageReader reader_;
  std::deque<Message> requests_;
  std::vector<Message> parsed_;  // reused by receive()
  std::deque<Outgoing> out_;
  std::unordered_set<std::string_view> queued_events_;  // the mergeable events in out_, by their bytes
  std::size_t event_bytes_ = 0;                         // the events' bytes in out_ (their budget)
  bool defer_events_ = false;
  bool handling_ = false;  // inside handle_next: events queued now go out with the reply
  std::function<void()> output_listener_;
  std::vector<XsWatchEvent> deferred_;  // WATCH's registration event, sent after the reply
};

}  // namespace xenrace::xs
