// The XenStore that a process actor's programs reach through libxenstore's socket. A program started with a
// service (ProcessOptions::xenstore) finds XENSTORED_PATH in its environment, naming a socket file that
// nothing listens on: its connect() there is held, and the supervisor answers it by putting one end of a
// socket pair in place of the program's socket (SECCOMP_IOCTL_NOTIF_ADDFD). The other end is the
// supervisor's, so every request is read by the supervisor and applied as a step of the actor, and the
// program never talks to anything the scheduler does not control.
//
// runtime/ cannot see the simulated xenstored (backends/sim/), so the simulator implements this interface
// over its wire protocol and hands it to spawn_process.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace xenrace::process {

// What one request did, for the trace: "xs.<op>", its arguments, its answer.
struct XenStoreTraceEvent {
  std::string op;
  std::string what;
  std::string result;
};

// One connection, as xenstored's: bytes in, requests applied in order, replies and watch events out.
class XenStoreClient {
 public:
  virtual ~XenStoreClient() = default;  // the program closed it: its transactions abort, its watches go
  // Bytes from the program. False: a protocol error (the connection is closed, as xenstored closes it).
  virtual bool receive(std::string_view bytes) = 0;
  virtual bool has_request() const = 0;
  // Applies the oldest complete request to the store and queues its reply.
  virtual XenStoreTraceEvent handle_next() = 0;
  // Bytes for the program: replies, and watch events queued since (from any actor's writes).
  virtual bool has_output() const = 0;
  virtual std::string_view output() const = 0;
  virtual void sent(std::size_t n) = 0;
  // "path token" of the next queued output when it is a watch event, "" when it is a reply.
  virtual std::string next_event() const = 0;
};

class XenStoreService {
 public:
  virtual ~XenStoreService() = default;
  // A new privileged (dom0) connection, opened by the running actor. `on_output` is called whenever output is
  // queued for it outside its own requests (a watch event fired by another actor's write).
  virtual std::unique_ptr<XenStoreClient> connect(std::function<void()> on_output) = 0;
};

}  // namespace xenrace::process
