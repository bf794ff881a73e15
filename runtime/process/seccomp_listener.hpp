// The seccomp side of a process actor: the filter that holds a program at the system calls the supervisor
// controls, installed in the forked child before it execs, and the hand-over of its listener fd to the
// supervisor. The filter is built once with libseccomp in the supervisor; the child only loads the ready
// BPF program (a forked child of a possibly threaded process may call async-signal-safe functions only).
//
// Each actor's child installs its own filter with SECCOMP_FILTER_FLAG_NEW_LISTENER. Every process the
// program forks inherits it, so an actor is known by its listener, never by pid or connection. With
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19), a received notification is no longer interrupted by
// a non-fatal signal, so a held process stays held until the supervisor answers.
#pragma once
#include <linux/filter.h>

#include <string>
#include <vector>

namespace xenrace::process {

// The system calls a process actor's tree is held at; everything else runs free.
// exec: execve, execveat; fork: clone, clone3, fork, vfork; exit_group; flock; nanosleep, clock_nanosleep;
// connect; poll, ppoll; clock_gettime, gettimeofday, time (made as system calls by virtual_time_preload.c); fcntl's
// F_SETLK, F_SETLKW, F_OFD_SETLK and F_OFD_SETLKW.
class NotifyFilter {
 public:
  // Built on first use. Throws std::runtime_error naming the libseccomp call that failed.
  static const NotifyFilter& instance();
  // The same, and open, openat and the ioctls of the loop driver (type 'L', 0x4Cxx): for actors whose
  // programs reach emulated loop devices (loop_service.hpp). Every open is then held, and the supervisor lets
  // the ones it does not emulate run on without a step.
  static const NotifyFilter& with_device_calls();
  const sock_fprog* program() const { return &prog_; }

 private:
  explicit NotifyFilter(bool device_calls);
  std::vector<sock_filter> code_;
  sock_fprog prog_{};
};

// In the forked child, before exec (async-signal-safe): sets no_new_privs and installs the filter with a new
// listener. Returns the listener fd, or -errno.
int install_filter_in_child(const sock_fprog* prog) noexcept;

// Hands `fd` over the unix socket `sock` (SCM_RIGHTS). Async-signal-safe. Returns 0 or -errno.
int send_fd(int sock, int fd) noexcept;
// The fd sent over `sock`, or -1 when the peer closed without sending one.
int receive_fd(int sock);

// "" when this kernel supports what process actors need (seccomp user notification with CONTINUE, pidfd_open,
// pidfd_getfd, process_vm_readv on a child), else why not. Probed once per process by a child that installs
// a listener and hands it over.
const std::string& process_actors_unsupported();

}  // namespace xenrace::process
