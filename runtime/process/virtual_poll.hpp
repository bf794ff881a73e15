// poll and ppoll on virtual time. A held poll that would wait (no fd ready, a timeout that is not zero) is
// parked by the supervisor instead of running in the kernel, where its timeout would be real time. It ends, as a
// step of the actor, when one of its fds becomes ready (a XenStore reply or watch event the supervisor wrote, a
// pipe another process of the tree wrote), when a signal arrives that the call does not block (a child's
// SIGCHLD: the kernel would return EINTR), or when virtual time reaches its deadline (it returns 0). What the
// supervisor needs to decide that, read from the held process without running it.
#pragma once
#include <poll.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/process/notification.hpp"
#include "runtime/types.hpp"

namespace xenrace::process {

struct PollCall {
  std::vector<pollfd> fds;
  VirtualTime timeout = kForever;         // kForever: none (a negative timeout, a null timespec)
  std::optional<std::uint64_t> sigmask;   // ppoll's: the signals blocked while it waits; else the thread's own
  int error = 0;                          // EFAULT or EINVAL: the kernel would refuse the call at once
};

// The arguments of a held poll or ppoll. More fds than `max_fds` is not a call to emulate: error E2BIG here
// (the supervisor then lets the kernel run it).
PollCall read_poll_call(pid_t pid, const Notification& n, std::size_t max_fds = 1024);

// Whether poll(fds, timeout 0) in the process would return at once: an fd is ready, or not open (POLLNVAL).
// `pidfd` is the process's; its fds are duplicated (pidfd_getfd) and polled here, so the answer is the one the
// kernel would give the process now.
bool poll_ready(int pidfd, const std::vector<pollfd>& fds);

// Whether thread `tid` has a signal pending that `mask` (else its own blocked set) does not block: its wait
// would end with EINTR.
bool signal_pending(pid_t tid, std::optional<std::uint64_t> mask);

// Whether the kernel would return from `call` at once, made now by thread `tid` of the process `pidfd` names:
// arguments it refuses, a zero timeout, an fd ready, or a signal pending that the call does not block.
bool returns_at_once(int pidfd, pid_t tid, const PollCall& call);

}  // namespace xenrace::process
