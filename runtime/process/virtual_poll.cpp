#include "runtime/process/virtual_poll.hpp"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "runtime/process/remote_memory.hpp"

namespace xenrace::process {

PollCall read_poll_call(pid_t pid, const Notification& n, std::size_t max_fds) {
  PollCall call;
  const std::uint64_t count = n.args[1];
  if (count > max_fds) {
    call.error = E2BIG;
    return call;
  }
  call.fds.resize(count);
  if (count > 0 && !read_remote(pid, n.args[0], call.fds.data(), count * sizeof(pollfd))) {
    call.error = EFAULT;
    return call;
  }
  if (n.nr == SYS_poll) {
    const int ms = static_cast<int>(n.args[2]);
    if (ms >= 0) call.timeout = static_cast<VirtualTime>(ms) * 1'000'000;
    return call;
  }
  // ppoll(fds, nfds, tsp, sigmask, sigsetsize)
  if (n.args[2] != 0) {
    timespec ts{};
    if (!read_remote(pid, n.args[2], &ts, sizeof(ts))) {
      call.error = EFAULT;
      return call;
    }
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) {
      call.error = EINVAL;
      return call;
    }
    call.timeout = static_cast<VirtualTime>(ts.tv_sec) * 1'000'000'000 + static_cast<VirtualTime>(ts.tv_nsec);
  }
  if (n.args[3] != 0) {
    std::uint64_t mask = 0;
    if (n.args[4] != sizeof(mask)) {
      call.error = EINVAL;
      return call;
    }
    if (!read_remote(pid, n.args[3], &mask, sizeof(mask))) {
      call.error = EFAULT;
      return call;
    }
    call.sigmask = mask;
  }
  return call;
}

bool poll_ready(int pidfd, const std::vector<pollfd>& fds) {
  std::vector<pollfd> mine;
  mine.reserve(fds.size());
  bool ready = false;
  for (const pollfd& f : fds) {
    if (f.fd < 0) continue;  // ignored by poll
    const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, f.fd, 0));
    if (dup < 0) {
      ready = true;  // not open in the process: poll reports POLLNVAL at once
      continue;
    }
    mine.push_back(pollfd{dup, f.events, 0});
  }
  if (!ready && !mine.empty()) {
    int r;
    do r = ::poll(mine.data(), mine.size(), 0);
    while (r < 0 && errno == EINTR);
    ready = r > 0;
  }
  for (const pollfd& f : mine) ::close(f.fd);
  return ready;
}

bool returns_at_once(int pidfd, pid_t tid, const PollCall& call) {
  return call.error != 0 || call.timeout == 0 || poll_ready(pidfd, call.fds) || signal_pending(tid, call.sigmask);
}

bool signal_pending(pid_t tid, std::optional<std::uint64_t> mask) {
  std::ifstream status(fmt::format("/proc/{}/status", tid));
  std::uint64_t pending = 0, blocked = 0;
  for (std::string line; std::getline(status, line);) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    if (key != "SigPnd" && key != "ShdPnd" && key != "SigBlk") continue;
    const std::uint64_t v = std::stoull(line.substr(colon + 1), nullptr, 16);
    if (key == "SigBlk") blocked = v;
    else pending |= v;
  }
  return (pending & ~mask.value_or(blocked)) != 0;
}

}  // namespace xenrace::process
