// One connection a process actor's program opened to a service the supervisor emulates (the XenStore:
// xenstore_service.hpp; the hypervisor: hypervisor_service.hpp). The program holds one end of a socket pair in
// place of its socket; the supervisor reads what it wrote once the tree settled, applies each complete request
// as a step of the actor, and writes the reply back. Both services speak through this interface, so the
// supervisor's scheduling of a request is the same whoever answers it.
#pragma once
#include <string>
#include <string_view>

namespace xenrace::process {

// What one request did, for the trace: "<service>.<op>", its arguments, its answer.
struct ServedRequest {
  std::string op;
  std::string what;
  std::string result;
};

class ServedConnection {
 public:
  virtual ~ServedConnection() = default;  // the program closed it (a XenStore's transactions abort, its watches go)
  // Bytes from the program. False: a protocol error (the connection is closed, as xenstored closes it).
  virtual bool receive(std::string_view bytes) = 0;
  virtual bool has_request() const = 0;
  // Applies the oldest complete request and queues its reply.
  virtual ServedRequest handle_next() = 0;
  // Bytes for the program: replies, and (XenStore) watch events queued since, from any actor's writes.
  virtual bool has_output() const = 0;
  virtual std::string_view output() const = 0;
  virtual void sent(std::size_t n) = 0;
  // "path token" of the next queued output when it is a watch event, "" when it is a reply.
  virtual std::string next_event() const = 0;
};

}  // namespace xenrace::process
