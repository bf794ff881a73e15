// The waits of a held process on virtual time: poll, ppoll, select, pselect6, epoll_wait, epoll_pwait and
// epoll_pwait2. A held wait that would block (no fd ready, a timeout that is not zero) is parked by the supervisor
// instead of running in the kernel, where its timeout would be real time. It ends, as a step of the actor, when one
// of its fds becomes ready (a XenStore reply or watch event the supervisor wrote, a pipe another process of the
// tree wrote), when a signal arrives that the call does not block (a child's SIGCHLD: the kernel would return
// EINTR), or when virtual time reaches its deadline. What the supervisor needs to decide that, read from the held
// process without running it.
#pragma once
#include <poll.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/process/notification.hpp"
#include "runtime/types.hpp"

namespace xenrace::process {

enum class WaitKind : std::uint8_t { poll, select, epoll };

struct PollCall {
  WaitKind kind = WaitKind::poll;
  // The fds to look at, as poll(2) would be asked. select's sets become one entry per fd; epoll's instance is one
  // entry, its own fd, which polls readable while any of its watched fds is ready (looking consumes no event).
  std::vector<pollfd> fds;
  // select only, one per fd: the revents that make it ready for the sets it is in (the kernel's POLLIN_SET,
  // POLLOUT_SET and POLLEX_SET). Empty: any revents (poll's and epoll's rule).
  std::vector<short> ready_when;
  VirtualTime timeout = kForever;         // kForever: none (a negative timeout, a null pointer)
  // select and pselect6: where the program's timeval or timespec is. At the deadline the supervisor writes a zero
  // timeout there and lets the kernel run the call, which then returns 0 and clears the sets, as a timeout does.
  std::uint64_t timeout_addr = 0;
  bool timeout_is_timeval = false;
  std::optional<std::uint64_t> sigmask;   // ppoll's, pselect6's, epoll_pwait's: blocked while it waits; else the thread's
  int error = 0;                          // EFAULT or EINVAL: the kernel would refuse the call at once

  // "poll", "select" or "epoll_wait": how the trace names the call.
  const char* name() const;
};

// Whether `nr` is one of the waits above.
bool is_wait_call(long nr);

// A duration or deadline as the kernel accepts it (timespec64_valid: no negative part, nanoseconds below a
// second), and as virtual time. Every timespec a held wait or sleep passes is checked by this one rule.
inline bool valid_timespec(const timespec& ts) {
  return ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1'000'000'000;
}
inline VirtualTime virtual_duration(const timespec& ts) {
  return static_cast<VirtualTime>(ts.tv_sec) * 1'000'000'000 + static_cast<VirtualTime>(ts.tv_nsec);
}

// The arguments of a held wait. More fds than `max_fds` is not a call to emulate: error E2BIG here (the
// supervisor then lets the kernel run it).
PollCall read_wait_call(pid_t pid, const Notification& n, std::size_t max_fds = 1024);

// Whether the call would find an fd ready now (or one not open: poll reports POLLNVAL, select EBADF, both at once).
// `pidfd` is the process's; its fds are duplicated (pidfd_getfd) and polled here with a zero timeout, so the answer
// is the one the kernel would give the process now.
bool wait_ready(int pidfd, const PollCall& call);

// Whether thread `tid` has a signal pending that `mask` (else its own blocked set) does not block: its wait
// would end with EINTR.
bool signal_pending(pid_t tid, std::optional<std::uint64_t> mask);

// Whether the kernel would return from `call` at once, made now by thread `tid` of the process `pidfd` names:
// arguments it refuses, a zero timeout, an fd ready, or a signal pending that the call does not block.
bool returns_at_once(int pidfd, pid_t tid, const PollCall& call);

}  // namespace xenrace::process
