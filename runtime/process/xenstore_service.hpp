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

#include "runtime/process/served_connection.hpp"

namespace xenrace::process {

class XenStoreService {
 public:
  virtual ~XenStoreService() = default;
  // A new privileged (dom0) connection, opened by the running actor. `on_output` is called whenever output is
  // queued for it outside its own requests (a watch event fired by another actor's write).
  virtual std::unique_ptr<ServedConnection> connect(std::function<void()> on_output) = 0;
};

}  // namespace xenrace::process
