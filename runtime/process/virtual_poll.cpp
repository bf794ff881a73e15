#include "runtime/process/virtual_poll.hpp"

#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "runtime/process/remote_memory.hpp"

namespace xenrace::process {

namespace {

// The kernel's readiness sets for select (fs/select.c).
constexpr short kSelectIn = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
constexpr short kSelectOut = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
constexpr short kSelectEx = POLLPRI;

bool read_timespec(pid_t pid, std::uint64_t addr, PollCall& call) {
  timespec ts{};
  if (!read_remote(pid, addr, &ts, sizeof(ts))) {
    call.error = EFAULT;
    return false;
  }
  if (!valid_timespec(ts)) {
    call.error = EINVAL;
    return false;
  }
  call.timeout = virtual_duration(ts);
  return true;
}

// A signal mask passed by pointer with its size (ppoll, epoll_pwait, pselect6's inner pair).
bool read_sigmask(pid_t pid, std::uint64_t addr, std::uint64_t size, PollCall& call) {
  if (addr == 0) return true;
  std::uint64_t mask = 0;
  if (size != sizeof(mask)) {
    call.error = EINVAL;
    return false;
  }
  if (!read_remote(pid, addr, &mask, sizeof(mask))) {
    call.error = EFAULT;
    return false;
  }
  call.sigmask = mask;
  return true;
}

// poll(fds, nfds, ms) and ppoll(fds, nfds, tsp, sigmask, sigsetsize).
void read_poll(pid_t pid, const Notification& n, std::size_t max_fds, PollCall& call) {
  const std::uint64_t count = n.args[1];
  if (count > max_fds) {
    call.error = E2BIG;
    return;
  }
  call.fds.resize(count);
  if (count > 0 && !read_remote(pid, n.args[0], call.fds.data(), count * sizeof(pollfd))) {
    call.error = EFAULT;
    return;
  }
  if (n.nr == SYS_poll) {
    const int ms = static_cast<int>(n.args[2]);
    if (ms >= 0) call.timeout = static_cast<VirtualTime>(ms) * 1'000'000;
    return;
  }
  if (n.args[2] != 0 && !read_timespec(pid, n.args[2], call)) return;
  read_sigmask(pid, n.args[3], n.args[4], call);
}

// select(nfds, r, w, x, timeval) and pselect6(nfds, r, w, x, timespec, {sigmask, size}).
void read_select(pid_t pid, const Notification& n, std::size_t max_fds, PollCall& call) {
  call.kind = WaitKind::select;
  const int nfds = static_cast<int>(n.args[0]);
  if (nfds < 0) {
    call.error = EINVAL;
    return;
  }
  if (static_cast<std::size_t>(nfds) > max_fds) {
    call.error = E2BIG;
    return;
  }
  constexpr std::size_t kWordBits = 8 * sizeof(std::uint64_t);
  const std::size_t words = (static_cast<std::size_t>(nfds) + kWordBits - 1) / kWordBits;
  std::vector<std::uint64_t> sets[3];
  for (int s = 0; s < 3; ++s) {
    if (n.args[1 + s] == 0 || words == 0) continue;
    sets[s].resize(words);
    if (!read_remote(pid, n.args[1 + s], sets[s].data(), words * sizeof(std::uint64_t))) {
      call.error = EFAULT;
      return;
    }
  }
  const short ready_for[3] = {kSelectIn, kSelectOut, kSelectEx};
  for (int fd = 0; fd < nfds; ++fd) {
    short ask = 0, ready = 0;
    for (int s = 0; s < 3; ++s)
      if (!sets[s].empty() && (sets[s][static_cast<std::size_t>(fd) / kWordBits] >> (fd % kWordBits) & 1)) {
        ask |= ready_for[s] & ~(POLLHUP | POLLERR);  // poll reports these unasked
        ready |= ready_for[s];
      }
    if (ready == 0) continue;
    call.fds.push_back(pollfd{fd, ask, 0});
    call.ready_when.push_back(ready);
  }
  if (n.args[4] != 0) {
    call.timeout_addr = n.args[4];
    if (n.nr == SYS_select) {
      call.timeout_is_timeval = true;
      timeval tv{};
      if (!read_remote(pid, n.args[4], &tv, sizeof(tv))) {
        call.error = EFAULT;
        return;
      }
      if (tv.tv_sec < 0 || tv.tv_usec < 0) {
        call.error = EINVAL;
        return;
      }
      // The kernel carries whole seconds out of tv_usec.
      call.timeout = static_cast<VirtualTime>(tv.tv_sec + tv.tv_usec / 1'000'000) * 1'000'000'000 +
                     static_cast<VirtualTime>(tv.tv_usec % 1'000'000) * 1'000;
    } else if (!read_timespec(pid, n.args[4], call)) {
      return;
    }
  }
  if (n.nr == SYS_pselect6 && n.args[5] != 0) {
    struct {
      std::uint64_t mask_addr;
      std::uint64_t size;
    } pair{};
    if (!read_remote(pid, n.args[5], &pair, sizeof(pair))) {
      call.error = EFAULT;
      return;
    }
    read_sigmask(pid, pair.mask_addr, pair.size, call);
  }
}

// epoll_wait(epfd, events, max, ms), epoll_pwait(..., ms, sigmask, size), epoll_pwait2(..., timespec, sigmask, size).
void read_epoll(pid_t pid, const Notification& n, PollCall& call) {
  call.kind = WaitKind::epoll;
  const int epfd = static_cast<int>(n.args[0]);
  // Only an epoll instance polls as "has a ready event"; anything else the kernel refuses at once.
  char target[64] = {};
  const std::string link = fmt::format("/proc/{}/fd/{}", pid, epfd);
  const ssize_t len = readlink(link.c_str(), target, sizeof(target) - 1);
  if (len < 0 || std::string_view(target, static_cast<std::size_t>(len)) != "anon_inode:[eventpoll]" ||
      static_cast<int>(n.args[2]) <= 0) {
    call.error = len < 0 ? EBADF : EINVAL;
    return;
  }
  call.fds.push_back(pollfd{epfd, POLLIN, 0});
  if (n.nr == SYS_epoll_pwait2) {
    if (n.args[3] != 0 && !read_timespec(pid, n.args[3], call)) return;
  } else {
    const int ms = static_cast<int>(n.args[3]);
    if (ms >= 0) call.timeout = static_cast<VirtualTime>(ms) * 1'000'000;
  }
  if (n.nr != SYS_epoll_wait) read_sigmask(pid, n.args[4], n.args[5], call);
}

}  // namespace

const char* PollCall::name() const {
  switch (kind) {
    case WaitKind::select: return "select";
    case WaitKind::epoll: return "epoll_wait";
    case WaitKind::poll: break;
  }
  return "poll";
}

bool is_wait_call(long nr) {
  return nr == SYS_poll || nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6 || nr == SYS_epoll_wait ||
         nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

PollCall read_wait_call(pid_t pid, const Notification& n, std::size_t max_fds) {
  PollCall call;
  if (n.nr == SYS_select || n.nr == SYS_pselect6) read_select(pid, n, max_fds, call);
  else if (n.nr == SYS_epoll_wait || n.nr == SYS_epoll_pwait || n.nr == SYS_epoll_pwait2) read_epoll(pid, n, call);
  else read_poll(pid, n, max_fds, call);
  return call;
}

bool wait_ready(int pidfd, const PollCall& call) {
  std::vector<pollfd> mine;
  std::vector<short> ready_when;
  mine.reserve(call.fds.size());
  bool ready = false;
  for (std::size_t i = 0; i < call.fds.size(); ++i) {
    const pollfd& f = call.fds[i];
    if (f.fd < 0) continue;  // ignored by poll
    const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, f.fd, 0));
    if (dup < 0) {
      ready = true;  // not open in the process: poll reports POLLNVAL, select EBADF, at once
      continue;
    }
    mine.push_back(pollfd{dup, f.events, 0});
    ready_when.push_back(call.ready_when.empty() ? static_cast<short>(~0) : call.ready_when[i]);
  }
  if (!ready && !mine.empty()) {
    int r;
    do r = ::poll(mine.data(), mine.size(), 0);
    while (r < 0 && errno == EINTR);
    for (std::size_t i = 0; r > 0 && i < mine.size(); ++i)
      if (mine[i].revents & (ready_when[i] | POLLNVAL)) ready = true;
  }
  for (const pollfd& f : mine) ::close(f.fd);
  return ready;
}

bool returns_at_once(int pidfd, pid_t tid, const PollCall& call) {
  return call.error != 0 || call.timeout == 0 || wait_ready(pidfd, call) || signal_pending(tid, call.sigmask);
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
