#include "runtime/process/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/process/cpu_slot.hpp"
#include "runtime/process/seccomp_listener.hpp"

namespace xenrace::process {

namespace {

bool is_fork_call(int nr) { return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork; }
bool is_held_call(int nr, bool device_calls) {
  return is_fork_call(nr) || nr == SYS_execve || nr == SYS_execveat || nr == SYS_exit_group || nr == SYS_flock ||
         nr == SYS_nanosleep || nr == SYS_clock_nanosleep || nr == SYS_connect || nr == SYS_clock_gettime ||
         nr == SYS_gettimeofday || nr == SYS_time || nr == SYS_fcntl ||
         (device_calls && (nr == SYS_open || nr == SYS_openat || nr == SYS_ioctl));
}

int pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

bool has_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)) != 0;
}

// Reads a small /proc file into buf; its length, or -1.
ssize_t read_small(const char* path, char* buf, std::size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t n = ::read(fd, buf, size - 1);
  ::close(fd);
  if (n >= 0) buf[n] = '\0';
  return n;
}


// The thread group a task belongs to (the Tgid line of /proc/TID/status), or 0.
pid_t thread_group_of(pid_t tid) {
  char path[64], buf[1024];
  std::snprintf(path, sizeof(path), "/proc/%d/status", tid);
  if (read_small(path, buf, sizeof(buf)) <= 0) return 0;
  const char* line = std::strstr(buf, "\nTgid:");
  return line == nullptr ? 0 : static_cast<pid_t>(std::atoi(line + 6));
}

std::string comm_of(pid_t pid) {
  char path[64], buf[64];
  std::snprintf(path, sizeof(path), "/proc/%d/comm", pid);
  if (read_small(path, buf, sizeof(buf)) <= 0) return "?";
  std::string s(buf);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Orphans of the tree come back to the supervisor, so it can reap them; without this they would go to
// init, which in a container may never reap.
// Once per process: fork does not pass the attribute on, so a forked explore worker sets its own.
void become_subreaper() {
  static pid_t done_in = 0;
  if (done_in == getpid()) return;
  done_in = getpid();
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

}  // namespace

// A watchdog, not a decision: a tree that computes forever without a held call (a busy loop of shell builtins)
// would otherwise block the scheduler for ever. Counted in rounds of at least 50 us, so the limit is at least
// kGiveUpSeconds of wall time; an execution that reaches it fails, naming the processes still running.
constexpr unsigned kGiveUpSeconds = 120;
constexpr unsigned kGiveUpRound = kGiveUpSeconds * 20'000;

ProcessTree::ProcessTree() = default;

ProcessTree::~ProcessTree() {
  kill_all();
  for (auto& p : procs_)
    if (p.pidfd >= 0) ::close(p.pidfd);
}

void ProcessTree::start(const std::string& path, const std::vector<std::string>& argv,
                        const std::vector<std::string>& env, const std::vector<BindDir>& binds,
                        bool device_calls) {
  device_calls_ = device_calls;
  const sock_fprog* prog =
      (device_calls ? NotifyFilter::with_device_calls() : NotifyFilter::instance()).program();
  become_subreaper();
  keep_process_actors_on_one_cpu();  // the supervisor's thread, and so the program forked below
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) throw std::runtime_error(fmt::format("process actor: opening /dev/null: {}", std::strerror(errno)));
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    ::close(devnull);
    throw std::runtime_error(fmt::format("process actor: socketpair: {}", std::strerror(errno)));
  }
  const pid_t supervisor = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(devnull);
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::runtime_error(fmt::format("process actor: fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // The child: async-signal-safe calls only.
    setpgid(0, 0);  // the tree's process group: one kill(-pgid) reaches forks not found yet
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != supervisor) _exit(125);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(devnull, 0);
    if (!binds.empty()) {
      // A mount namespace of the tree's own, where the program's fixed host paths are the execution's
      // directories; nothing it does there reaches the host's.
      if (unshare(CLONE_NEWNS) != 0) _exit(124);
      if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(124);
      for (const auto& b : binds) {
        if (mount(b.host.c_str(), b.seen_as.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) _exit(124);
        if (b.no_devices &&
            mount(nullptr, b.seen_as.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_NODEV | MS_NOSUID, nullptr) != 0)
          _exit(124);
      }
    }
    const int listener = install_filter_in_child(prog);
    if (listener < 0) _exit(126);
    if (send_fd(sv[1], listener) != 0) _exit(126);
    // Nothing of the supervisor's leaks into the program (another actor's listener above all).
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execve(path.c_str(), cargv.data(), cenv.data());
    _exit(127);
  }
  ::close(devnull);
  ::close(sv[1]);
  const int listener = receive_fd(sv[0]);
  ::close(sv[0]);
  if (listener < 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124)
      throw std::runtime_error(
          "process actor: could not give the program its private directories (unshare(CLONE_NEWNS) and bind "
          "mounts need CAP_SYS_ADMIN)");
    throw std::runtime_error(fmt::format(
        "process actor: the child could not install its seccomp listener (status {:#x}); is seccomp user "
        "notification available?", status));
  }
  channel_ = std::make_unique<NotifyChannel>(listener);
  pgid_ = pid;
  TreeProcess p;
  p.ordinal = 1;
  p.pid = pid;
  p.pidfd = pidfd_open(pid);
  if (p.pidfd < 0) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::runtime_error(fmt::format("process actor: pidfd_open: {}", std::strerror(errno)));
  }
  p.files = ProcFiles(pid);
  procs_.push_back(std::move(p));
}

TreeProcess* ProcessTree::by_pid(pid_t pid) {
  for (auto& p : procs_)
    if (!p.exited && p.pid == pid) return &p;
  return nullptr;
}

bool ProcessTree::is_exited_child(pid_t pid) const {
  return std::any_of(procs_.begin(), procs_.end(), [pid](const TreeProcess& p) { return p.exited && p.pid == pid; });
}

TreeProcess* ProcessTree::adopt(pid_t pid, std::uint32_t parent, Changes& ch) {
  const int fd = pidfd_open(pid);
  if (fd < 0) return nullptr;  // gone already (reaped by its parent)
  TreeProcess p;
  p.ordinal = static_cast<std::uint32_t>(procs_.size() + 1);
  p.parent = parent;
  p.pid = pid;
  p.pidfd = fd;
  p.files = ProcFiles(pid);
  procs_.push_back(std::move(p));
  if (parent != 0) at(parent).forked = false;  // a vfork parent still waits until the child execs or exits
  ch.born.push_back(procs_.back().ordinal);
  return &procs_.back();
}

void ProcessTree::find_children(Changes& ch) {
  // Which parents wait for their child to be found, and the children found, by parent then pid.
  std::vector<std::pair<std::uint32_t, pid_t>> found;
  DIR* d = opendir("/proc");
  if (d == nullptr) throw std::runtime_error(fmt::format("process actor: opendir /proc: {}", std::strerror(errno)));
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
    TaskSample s;
    if (!read_stat_of(pid, s)) continue;
    if (s.state == 'Z' && is_exited_child(pid)) continue;  // a child of the tree that died, not reaped yet
    for (const auto& p : procs_)
      if (p.forked && !p.exited && p.pid == s.ppid && by_pid(pid) == nullptr) found.emplace_back(p.ordinal, pid);
  }
  closedir(d);
  std::sort(found.begin(), found.end());
  for (auto& p : procs_) p.forked = false;  // the fork failed, or its child is gone already, if not found
  for (const auto& [parent, pid] : found) adopt(pid, parent, ch);
}

void ProcessTree::try_reap(TreeProcess& p) {
  if (p.reaped || p.pidfd < 0) return;
  siginfo_t info{};
  if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(p.pidfd), &info, WEXITED | WNOHANG) == 0 &&
      info.si_pid != 0) {
    p.reaped = true;
    p.wait_status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : (info.si_status & 0x7f);
  }
}

void ProcessTree::reap_exited() {
  for (auto& p : procs_)
    if (p.exited) try_reap(p);
}

bool ProcessTree::all_exited() const {
  return std::all_of(procs_.begin(), procs_.end(), [](const TreeProcess& p) { return p.exited; });
}

void ProcessTree::wait_for_activity(unsigned round) {
  // A notification or an exit wakes the wait at once; a process going to sleep in the kernel has no event,
  // so after a short spin the wait looks again every 50 microseconds. Only latency depends on this, never the
  // outcome: settle() decides on what it sees, not on how long it waited.
  std::vector<pollfd> fds;
  fds.push_back({channel_->fd(), POLLIN, 0});
  for (const auto& p : procs_)
    if (!p.exited) fds.push_back({p.pidfd, POLLIN, 0});
  if (round < 256) {
    sched_yield();
    poll(fds.data(), fds.size(), 0);
  } else {
    const timespec look_again{0, 50'000};
    ppoll(fds.data(), fds.size(), &look_again, nullptr);
  }
}

bool ProcessTree::drain(Changes& ch) {
  bool changed = false;
  for (;;) {
    pollfd l{channel_->fd(), POLLIN, 0};
    if (poll(&l, 1, 0) <= 0 || !(l.revents & POLLIN)) break;
    changed = true;
    auto n = channel_->receive();
    if (!n) continue;
    TreeProcess* p = by_pid(n->pid);
    if (p == nullptr) {
      // A thread of a process of the tree (libxenstore's watch reader, say): its call is the process's.
      if (TreeProcess* owner = by_pid(thread_group_of(n->pid)); owner != nullptr && owner->pid != n->pid) {
        if (owner->held) {
          // Two threads of one process held at once: the later runs as made, since a process is answered
          // one call at a time. Threads are not serialised yet (docs/process-actors.md).
          channel_->respond_continue(n->id);
        } else {
          owner->held = *n;
        }
        continue;
      }
      // A child that reached a held call before its parent's fork was settled.
      TaskSample s;
      std::uint32_t parent = 0;
      if (read_stat_of(n->pid, s))
        if (TreeProcess* pp = by_pid(s.ppid)) parent = pp->ordinal;
      p = adopt(n->pid, parent, ch);
      if (p == nullptr) continue;
    }
    p->held = *n;
    p->in_vfork = false;
  }
  return changed;
}

bool ProcessTree::threads_settled(TreeProcess& p, bool& changed) {
  // The other threads of p, by the same rule as a process: blocked in the kernel (or held), and the same on two
  // looks. A thread woken by another (a reader thread handing a watch event to the main one) is seen running.
  char dir[64];
  std::snprintf(dir, sizeof(dir), "/proc/%d/task", p.pid);
  DIR* d = opendir(dir);
  if (d == nullptr) return true;  // gone: its pidfd says so next
  bool quiet = true;
  std::string signature;
  while (const dirent* e = readdir(d)) {
    const pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    if (tid <= 0 || tid == p.pid) continue;
    char task[96];
    std::snprintf(task, sizeof(task), "%s/%d", dir, tid);
    TaskSample s;
    if (!read_task_at(task, s)) continue;  // it exited
    const bool off_cpu = std::strncmp(s.call, "running", 7) != 0;
    const bool held_here = p.held && p.held->pid == tid;
    const bool blocked = held_here || (off_cpu && !is_held_call(std::atoi(s.call), device_calls_) &&
                                       (s.state == 'S' || s.state == 'T' || s.state == 't'));
    if (!blocked) quiet = false;
    signature += fmt::format("{}:{}:{}:{};", tid, s.state, s.runs, s.call);
  }
  closedir(d);
  if (signature != p.threads) changed = true;
  p.threads = std::move(signature);
  return quiet;
}

ProcessTree::Changes ProcessTree::settle() {
  Changes ch;
  for (unsigned round = 0;; ++round) {
    bool changed = false;
    // Calls held since the last look.
    if (drain(ch)) changed = true;
    bool quiet = true;
    for (auto& p : procs_) {
      if (p.exited) continue;
      if (has_exited(p.pidfd)) {
        p.exited = true;
        p.held.reset();
        p.files.close();
        ch.died.push_back(p.ordinal);
        try_reap(p);
        changed = true;
        continue;
      }
      // The stat file alone first: its thread count says whether there are other threads to look at (rarely:
      // libxl's watch reader), and it is all a held process needs.
      TaskSample s;
      if (!(p.held ? p.files.read_stat(s) : p.files.read(s))) {
        quiet = false;  // exiting right now: its pidfd will say so
        continue;
      }
      if ((s.threads > 1 || !p.threads.empty()) && !threads_settled(p, changed)) quiet = false;
      if (p.held) continue;
      const bool off_cpu = std::strncmp(s.call, "running", 7) != 0;
      const int nr = off_cpu ? std::atoi(s.call) : -1;
      // Asleep in a held call but not held: its notification is on its way (drained below, or next round).
      const bool in_held_call = off_cpu && is_held_call(nr, device_calls_) && !(p.in_vfork && is_fork_call(nr));
      const char state = s.state;
      const bool blocked = off_cpu && !in_held_call &&
                           (state == 'S' || state == 'T' || state == 't' || (state == 'D' && p.in_vfork && is_fork_call(nr)));
      if (!blocked) quiet = false;
      if (!p.sampled || s.runs != p.runs || state != p.state || p.call != s.call) changed = true;
      p.call = s.call;
      p.sampled = true;
      p.runs = s.runs;
      p.state = state;
    }
    if (quiet && std::any_of(procs_.begin(), procs_.end(), [](const TreeProcess& p) { return p.forked; })) {
      find_children(ch);
      changed = true;
    }
    // And those made while the scan ran: a process seen asleep in its notification has it queued by now.
    if (drain(ch)) changed = true;
    if (quiet && !changed) return ch;
    if (round == kGiveUpRound)
      throw std::runtime_error(fmt::format(
          "process tree never settled: still running after about {} s without a held call: {}", kGiveUpSeconds,
          describe_running()));
    wait_for_activity(round);
  }
}

void ProcessTree::kill_all() {
  // The group is signalled only while a process of the tree lives: once all are reaped, its number may be
  // anybody's.
  if (pgid_ > 0 && !all_exited()) ::kill(-pgid_, SIGKILL);
  for (auto& p : procs_)
    if (!p.exited && p.pidfd >= 0) syscall(SYS_pidfd_send_signal, p.pidfd, SIGKILL, nullptr, 0);
  for (auto& p : procs_) {
    if (p.exited || p.pidfd < 0) continue;
    pollfd fd{p.pidfd, POLLIN, 0};
    while (poll(&fd, 1, -1) < 0 && errno == EINTR) {
    }
    p.exited = true;
    p.held.reset();
    p.files.close();
  }
  // Every process of the tree is dead now; those whose parent died too were handed to the supervisor.
  reap_exited();
  if (pgid_ > 0) {
    siginfo_t info{};
    while (waitid(P_PGID, static_cast<id_t>(pgid_), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0) info = {};
  }
}

std::string ProcessTree::describe_running() const {
  std::string out;
  for (const auto& p : procs_) {
    if (p.exited || p.held) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("p{} ({}, state {})", p.ordinal, comm_of(p.pid), p.state);
  }
  return out;
}

std::string ProcessTree::describe_blocked() const {
  std::string out;
  for (const auto& p : procs_) {
    if (p.exited || p.held) continue;
    if (!out.empty()) out += ", ";
    char path[64], call[128] = "?";
    std::snprintf(path, sizeof(path), "/proc/%d/syscall", p.pid);
    if (read_small(path, call, sizeof(call)) > 0) { char* sp = std::strchr(call, ' '); if (sp != nullptr) *sp = '\0'; }
    out += fmt::format("p{} ({}, state {}, in system call {})", p.ordinal, comm_of(p.pid), p.state, call);
  }
  return out;
}

}  // namespace xenrace::process
