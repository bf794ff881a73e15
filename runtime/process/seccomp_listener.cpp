#include "runtime/process/seccomp_listener.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "runtime/process/notification.hpp"

namespace xenrace::process {

namespace {

const char* const kHeldCalls[] = {"execve",     "execveat", "clone",     "clone3",          "fork",
                                  "vfork",      "exit_group", "flock",   "nanosleep",       "clock_nanosleep", "connect",
                                  "clock_gettime", "gettimeofday", "time", "poll", "ppoll",
                                  "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2"};

[[noreturn]] void fail(const char* what, int rc) {
  throw std::runtime_error(fmt::format("process actors: {} failed: {}", what, std::strerror(-rc)));
}

}  // namespace

NotifyFilter::NotifyFilter(bool device_calls) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) throw std::runtime_error("process actors: seccomp_init failed");
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  for (const char* name : kHeldCalls) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) throw std::runtime_error(fmt::format("process actors: libseccomp does not know {}", name));
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0); rc < 0) fail("seccomp_rule_add", rc);
  }
  // fcntl record locks: F_SETLK, F_SETLKW and their open-file-description forms. Other fcntl commands run free.
  for (const int cmd : {F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW})
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(fcntl), 1, SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(cmd)));
        rc < 0)
      fail("seccomp_rule_add (fcntl)", rc);
  if (device_calls) {
    for (const int nr : {SCMP_SYS(open), SCMP_SYS(openat)})
      if (int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0); rc < 0) fail("seccomp_rule_add", rc);
    // ioctl(fd, request): held when the request's type byte is the loop driver's 'L' or the block layer's 0x12
    // (BLKGETDISKSEQ on a loop device; the supervisor lets the others on other fds run on).
    for (const scmp_datum_t type : {0x4c00, 0x1200})
      if (int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, type));
          rc < 0)
        fail("seccomp_rule_add (ioctl)", rc);
  }
  // libseccomp 2.5 exports the program to an fd only: an anonymous memory file, read back whole.
  const int mem = memfd_create("xenrace-filter", MFD_CLOEXEC);
  if (mem < 0) fail("memfd_create", -errno);
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } close_mem{mem};
  if (int rc = seccomp_export_bpf(ctx, mem); rc < 0) fail("seccomp_export_bpf", rc);
  const off_t size = lseek(mem, 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
    throw std::runtime_error("process actors: seccomp_export_bpf wrote no whole program");
  code_.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (pread(mem, code_.data(), static_cast<std::size_t>(size), 0) != size) fail("reading the filter back", -errno);
  prog_.len = static_cast<unsigned short>(code_.size());
  prog_.filter = code_.data();
}

const NotifyFilter& NotifyFilter::instance() {
  static const NotifyFilter filter(false);
  return filter;
}

const NotifyFilter& NotifyFilter::with_device_calls() {
  static const NotifyFilter filter(true);
  return filter;
}

int install_filter_in_child(const sock_fprog* prog) noexcept {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog);
  if (fd < 0 && errno == EINVAL)  // a kernel before 5.19: held processes may then be interrupted by signals
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int send_fd(int sock, int fd) noexcept {
  char byte = 'L';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int receive_fd(int sock) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != 1) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

namespace {

// The /proc files ProcessTree::settle reads, for a child held at its notification: "" or what is missing.
std::string check_proc_files(pid_t pid) {
  for (const char* name : {"stat", "schedstat", "syscall"}) {
    const std::string path = fmt::format("/proc/{}/{}", pid, name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[256] = {};
    const ssize_t n = fd < 0 ? -1 : ::read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0) ::close(fd);
    if (n <= 0) return fmt::format("{} is not readable here (the kernel lacks it, or ptrace access is denied)", path);
    if (std::string_view(name) == "syscall" && (buf[0] < '0' || buf[0] > '9'))
      return fmt::format("{} does not say where a held process sleeps (\"{}\")", path, std::string_view(buf, 16));
  }
  return "";
}

// A child installs the filter, hands its listener over, makes one held call (flock on a bad fd) and exits;
// the supervisor side answers with CONTINUE and takes the child's fd 0 with pidfd_getfd meanwhile.
std::string probe() {
  const sock_fprog* prog = nullptr;
  try {
    prog = NotifyFilter::instance().program();
  } catch (const std::exception& e) {
    return e.what();
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return "socketpair failed";
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return "fork failed";
  }
  if (pid == 0) {
    ::close(sv[0]);
    const int listener = install_filter_in_child(prog);
    if (listener < 0) _exit(10);
    if (send_fd(sv[1], listener) != 0) _exit(11);
    ::close(listener);
    ::close(sv[1]);
    const long rc = syscall(SYS_flock, -1, LOCK_UN);
    _exit(rc < 0 && errno == EBADF ? 0 : 12);
  }
  ::close(sv[1]);
  std::string why;
  const int listener = receive_fd(sv[0]);
  ::close(sv[0]);
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (listener < 0) why = "seccomp user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER) is not available here";
  else if (pidfd < 0) why = fmt::format("pidfd_open is not available here: {}", std::strerror(errno));
  if (why.empty()) {
    NotifyChannel channel(listener);
    bool took_fd = false;
    for (;;) {
      pollfd fds[2] = {{listener, POLLIN, 0}, {pidfd, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        if (auto n = channel.receive()) {
          if (!took_fd) {
            const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, 0, 0));
            if (dup < 0) why = fmt::format("pidfd_getfd on a child is not allowed here: {}", std::strerror(errno));
            else ::close(dup);
            // Quiescence needs to see where a held or blocked process sleeps.
            if (why.empty()) why = check_proc_files(pid);
            took_fd = true;
          }
          channel.respond_continue(n->id);
        }
        continue;
      }
      if (fds[1].revents & POLLIN) break;
      if (fds[0].revents & (POLLHUP | POLLERR)) break;
    }
    if (why.empty() && !took_fd) why = "seccomp user notification delivered nothing";
  } else if (listener >= 0) {
    ::close(listener);
  }
  int status = 0;
  if (pidfd >= 0) ::close(pidfd);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (why.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    why = WIFEXITED(status) && WEXITSTATUS(status) == 10
              ? "installing a seccomp filter with a new listener failed (seccomp user notification unsupported)"
              : fmt::format("the probe child ended with status {:#x}", status);
  }
  return why;
}

}  // namespace

const std::string& process_actors_unsupported() {
  static const std::string why = probe();
  return why;
}

}  // namespace xenrace::process
