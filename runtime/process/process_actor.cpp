#include "runtime/process/process_actor.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/sched.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/process/loop_host_view.hpp"
#include "runtime/process/process_locks.hpp"
#include "runtime/process/process_tree.hpp"
#include "runtime/process/remote_memory.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/process/served_proc_files.hpp"
#include "runtime/process/virtual_poll.hpp"

namespace xenrace::process {

namespace {

const char* errno_text(int e) {
  const char* name = strerrorname_np(e);
  return name != nullptr ? name : "EIO";
}

std::string base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string flock_op_text(int op) {
  std::string s;
  if (op & LOCK_SH) s = "LOCK_SH";
  else if (op & LOCK_EX) s = "LOCK_EX";
  else if (op & LOCK_UN) s = "LOCK_UN";
  else s = fmt::format("{:#x}", op & ~LOCK_NB);
  if (op & LOCK_NB) s += "|LOCK_NB";
  return s;
}

std::string seconds_text(VirtualTime ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  return fmt::format("{}.{:09}s", ns / 1'000'000'000, ns % 1'000'000'000);
}

// Whether fd `fd` of process `pid` is close-on-exec (the "flags:" line of /proc/PID/fdinfo/FD, in octal).
bool fd_is_cloexec(pid_t pid, int fd) {
  std::ifstream in(fmt::format("/proc/{}/fdinfo/{}", pid, fd));
  std::string key;
  while (in >> key) {
    if (key == "flags:") {
      std::string octal;
      in >> octal;
      return (std::strtoul(octal.c_str(), nullptr, 8) & O_CLOEXEC) != 0;
    }
    std::getline(in, key);
  }
  return false;
}

// The socket file a process actor's XENSTORED_PATH (or XENRACE_HYPERVISOR_PATH) names. libxenstore stat()s the
// path and wants a socket there; nothing listens on it, since every connect() to it is held and answered by the
// supervisor. It lives in a directory of its own, removed with it.
class ServiceSocketFile {
 public:
  explicit ServiceSocketFile(std::string_view service) : service_(service) {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = fmt::format("{}/xenrace-{}-XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", service);
    if (mkdtemp(dir.data()) == nullptr)
      throw std::runtime_error(fmt::format("process actors: mkdtemp {}: {}", dir, std::strerror(errno)));
    dir_ = dir;
    path_ = dir_ + "/socket";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) fail("the path is too long for a Unix socket");
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail(std::strerror(errno));
    const int rc = bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    const int e = errno;
    ::close(s);
    if (rc != 0) fail(std::strerror(e));
  }
  ~ServiceSocketFile() {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  ServiceSocketFile(const ServiceSocketFile&) = delete;
  ServiceSocketFile& operator=(const ServiceSocketFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const char* why) {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
    throw std::runtime_error(fmt::format("process actors: {} socket {}: {}", service_, path_, why));
  }
  std::string service_;
  std::string dir_;
  std::string path_;
};

// The services a program can connect to: the XenStore ("xs" events, connections cK) and the hypervisor ("hv"
// events, connections hK).
enum class Service : std::uint8_t { xenstore, hypervisor };
const char* event_prefix(Service s) { return s == Service::xenstore ? "xs" : "hv"; }

// One connection of the actor to an emulated service: the supervisor's end of the socket pair whose other end
// the program holds in place of its socket to xenstored or the hypervisor.
struct ServiceLink {
  Service service = Service::xenstore;
  std::uint32_t owner = 0;   // the ordinal of the process that connected
  std::uint32_t number = 0;  // K of cK or hK: the actor's K-th connection to that service
  int fd = -1;               // ours; -1 once closed
  std::unique_ptr<ServedConnection> client;

  ServiceLink() = default;
  ServiceLink(ServiceLink&& o) noexcept
      : service(o.service), owner(o.owner), number(o.number), fd(o.fd), client(std::move(o.client)) {
    o.fd = -1;
  }
  ServiceLink& operator=(ServiceLink&&) = delete;
  ~ServiceLink() {
    client.reset();  // the store closes the connection: its transactions abort, its watches go
    if (fd >= 0) ::close(fd);
  }
  std::string id() const { return fmt::format("{}{}", service == Service::xenstore ? 'c' : 'h', number); }  // cK, hK
  std::string name() const { return fmt::format("p{}/{}", owner, id()); }
  std::string event(std::string_view what) const { return fmt::format("{}.{}", event_prefix(service), what); }
  bool pending() const { return fd >= 0 && (client->has_request() || client->has_output()); }
};

// A duplicate of fd `fd` of a held process (pidfd_getfd): the program's own open file, shared with it (its
// locks and offset), closed with this object. Invalid (errno in error()) when the program has no such fd.
class ProgramFd {
 public:
  ProgramFd(const TreeProcess& p, int fd)
      : fd_(static_cast<int>(syscall(SYS_pidfd_getfd, p.pidfd, fd, 0))), error_(fd_ < 0 ? errno : 0) {}
  ~ProgramFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ProgramFd(const ProgramFd&) = delete;
  ProgramFd& operator=(const ProgramFd&) = delete;
  explicit operator bool() const { return fd_ >= 0; }
  int get() const { return fd_; }
  int error() const { return error_; }

 private:
  int fd_;
  int error_;
};

// An emulated loop fd of the actor: the program holds one end of a socket pair (so its open file is known by
// the inode of that end, through any dup or fork), the supervisor the other, which reads end-of-file once
// every copy of the program's end is closed: that is the last close of the open file.
struct LoopHandle {
  int fd = -1;            // ours; -1 once closed
  ino_t peer = 0;         // the inode of the program's end
  int index = -1;         // the device; -1: /dev/loop-control
  int service = -1;       // LoopService's handle for a device
};

// The block layer's ioctls named in traces (include/uapi/linux/fs.h, which Debian 12's glibc cannot include beside
// <sys/mount.h>). Of these the loop model answers BLKGETDISKSEQ only.
constexpr std::uint64_t kBlkRoGet = _IO(0x12, 94);
constexpr std::uint64_t kBlkSszGet = _IO(0x12, 104);
constexpr std::uint64_t kBlkGetSize64 = _IOR(0x12, 114, std::size_t);
constexpr std::uint64_t kBlkGetDiskSeq = _IOR(0x12, 128, std::uint64_t);

const char* loop_request_name(std::uint64_t request) {
  switch (request) {
    case LOOP_SET_FD: return "LOOP_SET_FD";
    case LOOP_CLR_FD: return "LOOP_CLR_FD";
    case LOOP_SET_STATUS: return "LOOP_SET_STATUS";
    case LOOP_GET_STATUS: return "LOOP_GET_STATUS";
    case LOOP_SET_STATUS64: return "LOOP_SET_STATUS64";
    case LOOP_GET_STATUS64: return "LOOP_GET_STATUS64";
    case LOOP_CHANGE_FD: return "LOOP_CHANGE_FD";
    case LOOP_SET_CAPACITY: return "LOOP_SET_CAPACITY";
    case LOOP_SET_DIRECT_IO: return "LOOP_SET_DIRECT_IO";
    case LOOP_SET_BLOCK_SIZE: return "LOOP_SET_BLOCK_SIZE";
    case LOOP_CONFIGURE: return "LOOP_CONFIGURE";
    case LOOP_CTL_ADD: return "LOOP_CTL_ADD";
    case LOOP_CTL_REMOVE: return "LOOP_CTL_REMOVE";
    case LOOP_CTL_GET_FREE: return "LOOP_CTL_GET_FREE";
    case kBlkGetDiskSeq: return "BLKGETDISKSEQ";
    case kBlkGetSize64: return "BLKGETSIZE64";
    case kBlkSszGet: return "BLKSSZGET";
    case kBlkRoGet: return "BLKROGET";
    default: return nullptr;
  }
}

// The index N of "/dev/loopN", or -1.
int loop_node_index(const std::string& path) {
  constexpr std::string_view prefix = "/dev/loop";
  if (path.size() <= prefix.size() || path.size() > prefix.size() + 6 || path.compare(0, prefix.size(), prefix) != 0)
    return -1;
  int n = 0;
  for (std::size_t i = prefix.size(); i < path.size(); ++i) {
    if (path[i] < '0' || path[i] > '9') return -1;
    n = n * 10 + (path[i] - '0');
  }
  return n;
}

// The clock-read shim (virtual_time_preload.c): XENRACE_TIME_PRELOAD; else the one built beside this code;
// else the installed one, found from where this code was loaded (bin/xenrace or lib/libxenrace.so, under any
// prefix a package chose), then at the configured prefix. "" when none is there: the programs then read the
// real clock through the vDSO.
const std::string& time_preload() {
  static const std::string path = [] {
    if (const char* given = std::getenv("XENRACE_TIME_PRELOAD"); given != nullptr && *given != '\0') return std::string(given);
    std::vector<std::string> candidates = {XENRACE_TIME_PRELOAD_BUILT};
    Dl_info self{};
    if (dladdr(reinterpret_cast<const void*>(&time_preload), &self) != 0 && self.dli_fname != nullptr) {
      const std::string here = self.dli_fname;
      const std::string dir = here.substr(0, here.rfind('/') + 1);
      candidates.push_back(dir + "xenrace/libxenrace-time.so");                                    // lib/
      candidates.push_back(dir + "../" XENRACE_INSTALL_LIBDIR "/xenrace/libxenrace-time.so");      // bin/
    }
    candidates.push_back(XENRACE_TIME_PRELOAD_INSTALLED);
    for (const std::string& c : candidates)
      if (access(c.c_str(), R_OK) == 0) return c;
    return std::string();
  }();
  return path;
}

// Sets `name` in the program's environment to `value`, in place of any value it had.
void set_env(std::vector<std::string>& env, std::string_view name, const std::string& value) {
  const std::string prefix = std::string(name) + "=";
  std::erase_if(env, [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  env.push_back(prefix + value);
}

// Puts the shim first in the program's LD_PRELOAD.
void preload_virtual_time(std::vector<std::string>& env) {
  const std::string& shim = time_preload();
  if (shim.empty()) return;
  for (auto& e : env)
    if (e.rfind("LD_PRELOAD=", 0) == 0) {
      e = "LD_PRELOAD=" + shim + " " + e.substr(11);
      return;
    }
  env.push_back("LD_PRELOAD=" + shim);
}

// What a failed program said in its log: the first line with "error" in it (the cause, before what it led to),
// else the last non-empty line; at most 300 bytes of it; "" when the file cannot be read.
std::string what_the_log_says(const std::string& path) {
  std::ifstream in(path);
  std::string line, said;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.find("error") != std::string::npos) {
      said = line;
      break;
    }
    said = line;
  }
  if (said.size() > 300) said = said.substr(0, 300) + "...";
  return said;
}

// One process actor's supervisor: runs on the actor's fiber.
class Supervisor {
 public:
  Supervisor(Execution& ex, ProcessLocks& locks, XenStoreService* xenstore, HypervisorService* hypervisor,
             LoopService* loop, LoopHostView* view, bool served_files, std::vector<BindDir> binds,
             std::string failure_log)
      : ex_(ex), locks_(locks), xs_(xenstore), hv_(hypervisor), loop_(loop), view_(view),
        served_files_(served_files || loop != nullptr), binds_(std::move(binds)), failure_log_(std::move(failure_log)) {
    if (xs_ != nullptr) socket_ = std::make_unique<ServiceSocketFile>("xs");
    if (hv_ != nullptr) hv_socket_ = std::make_unique<ServiceSocketFile>("hv");
  }

  ~Supervisor() {
    for (auto& h : loop_handles_)
      if (h.fd >= 0) ::close(h.fd);
  }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  ActorStatus run(const std::string& path, const std::vector<std::string>& argv, std::vector<std::string> env) {
    if (socket_) set_env(env, "XENSTORED_PATH", socket_->path());
    if (hv_socket_) set_env(env, "XENRACE_HYPERVISOR_PATH", hv_socket_->path());
    preload_virtual_time(env);
    tree_.start(path, argv, env, binds_, served_files_);
    bool released = false;  // the last answer let the tree run: a lock may have been released
    bool in_step = false;   // woken from a lock wait: this fiber runs a step the strategy gave it already
    for (;;) {
      const ProcessTree::Changes changes = tree_.settle();
      for (std::uint32_t o : changes.born)
        ex_.record("proc.new", fmt::format("p{}", o), fmt::format("child of p{}", tree_.at(o).parent));
      if (released || !changes.died.empty()) locks_.may_have_released();
      released = false;
      collect_requests();
      const bool closed = loop_ != nullptr && collect_loop_closes();
      if (answer_free_calls() || closed) continue;  // the tree ran again: settle again
      if (tree_.all_exited()) break;
      // The calls that can be answered now: held calls not parked on a lock that nobody released since, not
      // asleep until a virtual time still to come, and polls whose turn came; connections with a request to
      // apply or a watch event to hand over. The OS would run their processes in any order, so which goes
      // first is the strategy's choice (ChoiceKind::data); choice 0, the default, is the lowest ordinal (a
      // process before a connection it owns).
      ready_.clear();
      bool any_parked = false;
      bool any_polling = false;  // waiting in poll (its deadline, if any, is in first_wake)
      VirtualTime first_wake = kForever;
      const VirtualTime now = ex_.sched().now();
      for (auto& p : tree_.processes()) {
        if (!p.held) continue;
        const Park& park = park_of(p.ordinal);
        if (park.poll) {
          // Waiting in poll: its turn comes with a ready fd, a signal, or its deadline.
          if (poll_ends(p, now)) {
            ready_.push_back(ReadyCall{p.ordinal, &p, nullptr});
            continue;
          }
          first_wake = std::min(first_wake, park.wake_at);
          any_polling = true;
          continue;
        }
        if (park.lock_generation != 0 && park.lock_generation == locks_.generation + 1) {
          any_parked = true;
          continue;
        }
        if (park.wake_at != kForever && park.wake_at > now) {
          first_wake = std::min(first_wake, park.wake_at);
          continue;
        }
        ready_.push_back(ReadyCall{p.ordinal, &p, nullptr});
      }
      for (auto& l : links_)
        if (l.pending()) ready_.push_back(ReadyCall{l.owner, nullptr, &l});
      std::stable_sort(ready_.begin(), ready_.end(), [](const ReadyCall& a, const ReadyCall& b) {
        return a.ordinal != b.ordinal ? a.ordinal < b.ordinal : a.process != nullptr && b.process == nullptr;
      });
      // Only a XenStore connection can get output nobody asked for (a watch event from another actor's write).
      const bool xenstore_open = std::any_of(links_.begin(), links_.end(), [](const ServiceLink& l) {
        return l.fd >= 0 && l.service == Service::xenstore;
      });
      if (ready_.empty()) {
        if (any_parked || first_wake != kForever || xenstore_open) {
          // A watch event queued by another actor's write wakes this wait too (output_queued).
          waiting_on_ = any_parked ? &locks_.parked : &output_;
          ex_.sched().wait(*waiting_on_, any_parked ? "flock" : xenstore_open ? "xenstore" : "sleep",
                           first_wake == kForever ? kForever : first_wake - now);
          waiting_on_ = nullptr;
          in_step = true;
          continue;
        }
        throw std::runtime_error(fmt::format(
            "process tree stuck: nothing held at a system call that can go on{}, and blocked in the kernel: {}",
            any_polling ? " (a poll with no timeout waits on fds nothing will make ready)" : "", tree_.describe_blocked()));
      }
      if (!in_step) ex_.before_visible();
      in_step = false;
      const ReadyCall call = ready_[ex_.choose(static_cast<std::uint32_t>(ready_.size()), ChoiceKind::data)];
      released = call.link != nullptr ? serve(*call.link) : answer(*call.process);
    }
    tree_.reap_exited();
    const TreeProcess& p1 = tree_.at(1);
    if (p1.reaped && WIFEXITED(p1.wait_status) && WEXITSTATUS(p1.wait_status) != 0)
      return failed(fmt::format("p1 exited with status {}", WEXITSTATUS(p1.wait_status)));
    if (p1.reaped && WIFSIGNALED(p1.wait_status))
      return failed(fmt::format("p1 was killed by signal {}", WTERMSIG(p1.wait_status)));
    return ActorStatus::ok();
  }

  // The program's log (ProcessOptions::failure_log) has its say after the status. A process of the tree named
  // as "[<pid>]" (libxl: "block add [9963] exited") is named by its ordinal instead: a real pid differs from run
  // to run, and the verdict is part of the trace.
  ActorStatus failed(std::string why) {
    if (failure_log_.empty()) return ActorStatus::fail(std::move(why));
    std::string said = what_the_log_says(failure_log_);
    if (said.empty()) return ActorStatus::fail(std::move(why));
    for (const TreeProcess& p : tree_.processes()) {
      const std::string real = fmt::format("[{}]", p.pid), named = fmt::format("[p{}]", p.ordinal);
      for (std::size_t at = said.find(real); at != std::string::npos; at = said.find(real, at + named.size()))
        said.replace(at, real.size(), named);
    }
    return ActorStatus::fail(why + ": " + said);
  }

 private:
  // Why a held process is not answered yet.
  struct Park {
    std::uint64_t lock_generation = 0;  // parked on a lock at this generation, plus one; 0: not
    VirtualTime wake_at = kForever;     // asleep until then (or, with poll, its deadline)
    std::optional<PollCall> poll;       // waiting in poll, select or epoll_wait (virtual_poll.hpp)
  };
  Park& park_of(std::uint32_t ordinal) {
    if (parks_.size() < ordinal + 1) parks_.resize(ordinal + 1);
    return parks_[ordinal];
  }

  void pass(TreeProcess& p) {
    show_loop_state();
    tree_.channel().respond_continue(p.held->id);
    tree_.released(p);
  }
  void reply(TreeProcess& p, std::int64_t value, int error) {
    show_loop_state();
    tree_.channel().respond(p.held->id, value, error);
    tree_.released(p);
  }
  // Before the tree runs: /dev and /sys/block as the loop driver is now (other actors may have changed it).
  void show_loop_state() {
    if (view_ != nullptr) view_->sync(loop_->devices());
  }

  // Answers p's held call. True when the process runs on (it was not parked).
  bool answer(TreeProcess& p) {
    const Notification n = *p.held;
    if (park_of(p.ordinal).poll) return end_poll(p);
    if (park_of(p.ordinal).wake_at != kForever) {
      // Its sleep is over.
      park_of(p.ordinal).wake_at = kForever;
      ex_.record("proc.wake", fmt::format("p{}", p.ordinal), "OK");
      reply(p, 0, 0);
      return true;
    }
    if (is_wait_call(n.nr)) return start_poll(p, n);
    switch (n.nr) {
      case SYS_execve:
      case SYS_execveat: return exec(p, n);
      case SYS_clone:
      case SYS_clone3:
      case SYS_fork:
      case SYS_vfork: return fork(p, n);
      case SYS_exit_group:
        ex_.record("proc.exit", fmt::format("p{} {}", p.ordinal, static_cast<int>(n.args[0] & 0xff)), "OK");
        pass(p);
        return true;
      case SYS_flock: return flock(p, n);
      case SYS_fcntl: return record_lock(p, n);
      case SYS_nanosleep:
      case SYS_clock_nanosleep: return sleep(p, n);
      case SYS_connect: return connect(p, n);
      case SYS_open:
      case SYS_openat: return open_loop_node(p, n);
      case SYS_ioctl: return loop_ioctl(p, n);
      default:
        ex_.record("proc.syscall", fmt::format("p{} {}", p.ordinal, n.nr), "OK");
        pass(p);
        return true;
    }
  }

  bool exec(TreeProcess& p, const Notification& n) {
    const std::uint64_t path_arg = n.nr == SYS_execve ? n.args[0] : n.args[1];
    const std::uint64_t argv_arg = n.nr == SYS_execve ? n.args[1] : n.args[2];
    std::optional<std::string> name;
    std::uint64_t argv0 = 0;
    if (argv_arg != 0 && read_remote(p.pid, argv_arg, &argv0, sizeof(argv0)) && argv0 != 0)
      name = read_remote_string(p.pid, argv0);
    if (!name || name->empty()) name = read_remote_string(p.pid, path_arg);
    ex_.record("proc.exec", fmt::format("p{} {}", p.ordinal, name ? base_name(*name) : "?"), "OK");
    pass(p);
    return true;
  }

  bool fork(TreeProcess& p, const Notification& n) {
    std::uint64_t flags = 0;
    if (n.nr == SYS_clone) flags = n.args[0];
    else if (n.nr == SYS_clone3) read_remote(p.pid, n.args[0], &flags, sizeof(flags));  // clone_args.flags
    else if (n.nr == SYS_vfork) flags = CLONE_VFORK;
    const bool thread = (flags & CLONE_THREAD) != 0;
    ex_.record(thread ? "proc.thread" : "proc.fork", fmt::format("p{}", p.ordinal), "OK");
    p.forked = !thread;
    p.in_vfork = !thread && (flags & CLONE_VFORK) != 0;
    pass(p);
    return true;
  }

  bool flock(TreeProcess& p, const Notification& n) {
    const int fd = static_cast<int>(n.args[0]);
    const int op = static_cast<int>(n.args[1]);
    const std::string what = fmt::format("p{} {} {}", p.ordinal, fd, flock_op_text(op));
    // The lock is taken on the program's own open file: the supervisor's duplicate shares it, and closing the
    // duplicate releases nothing while the program keeps its fd.
    int rc = 0, e = 0;
    {
      const ProgramFd mine(p, fd);
      if (!mine) {
        ex_.record("proc.flock", what, errno_text(mine.error()));  // EBADF: no such fd in the program
        reply(p, -1, mine.error());
        return true;
      }
      rc = ::flock(mine.get(), op | LOCK_NB);
      e = rc == 0 ? 0 : errno;
    }
    if (rc != 0 && e == EWOULDBLOCK && !(op & LOCK_NB)) {
      // Would block: the process stays held, and the request waits here for a release.
      ex_.record("proc.flock", what, "parked");
      park_of(p.ordinal).lock_generation = locks_.generation + 1;
      return false;
    }
    park_of(p.ordinal).lock_generation = 0;
    ex_.record("proc.flock", what, rc == 0 ? "OK" : errno_text(e));
    reply(p, rc == 0 ? 0 : -1, e);
    return true;
  }

  // fcntl record locks, emulated like flock: a request that would block parks here, never in the kernel.
  // Open-file-description locks (F_OFD_*) belong to the open file, which the supervisor's duplicate shares, so
  // they are taken on it with F_OFD_SETLK. Classic POSIX locks belong to the process: the supervisor asks
  // F_GETLK on its duplicate whether another process holds a conflicting lock (a conflict with the program's
  // own lock is none) and, when none does, lets the call run as made, so the kernel takes the lock for the
  // program without waiting.
  bool record_lock(TreeProcess& p, const Notification& n) {
    const int fd = static_cast<int>(n.args[0]);
    const int cmd = static_cast<int>(n.args[1]);
    const bool ofd = cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    const bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    struct flock fl{};
    std::string what = fmt::format("p{} {} {}", p.ordinal, fd,
                                   cmd == F_SETLK ? "F_SETLK" : cmd == F_SETLKW ? "F_SETLKW" : ofd && wait ? "F_OFD_SETLKW" : "F_OFD_SETLK");
    if (!read_remote(p.pid, n.args[2], &fl, sizeof(fl))) {
      ex_.record("proc.fcntl", what, "EFAULT");
      reply(p, -1, EFAULT);
      return true;
    }
    what += fmt::format(" {} {}+{}", fl.l_type == F_RDLCK ? "F_RDLCK" : fl.l_type == F_WRLCK ? "F_WRLCK" : "F_UNLCK",
                        fl.l_start, fl.l_len);
    int e = 0;
    bool conflict = false;
    {
      const ProgramFd mine(p, fd);
      if (!mine) {
        ex_.record("proc.fcntl", what, errno_text(mine.error()));
        reply(p, -1, mine.error());
        return true;
      }
      if (ofd) {
        if (::fcntl(mine.get(), F_OFD_SETLK, &fl) != 0) e = errno;
        conflict = e == EAGAIN || e == EACCES;
      } else if (fl.l_type != F_UNLCK) {
        struct flock probe = fl;
        if (::fcntl(mine.get(), F_GETLK, &probe) != 0) e = errno;
        conflict = e == 0 && probe.l_type != F_UNLCK && probe.l_pid != p.pid;
      }
    }
    if (conflict && wait) {
      ex_.record("proc.fcntl", what, "parked");
      park_of(p.ordinal).lock_generation = locks_.generation + 1;
      return false;
    }
    park_of(p.ordinal).lock_generation = 0;
    if (conflict) e = EAGAIN;
    if (e != 0 || ofd) {
      ex_.record("proc.fcntl", what, e == 0 ? "OK" : errno_text(e));
      reply(p, e == 0 ? 0 : -1, e);
      if (fl.l_type == F_UNLCK) locks_.may_have_released();
      return true;
    }
    // A classic lock with no conflict, or an unlock: the kernel applies it for the program, without waiting.
    ex_.record("proc.fcntl", what, "OK");
    pass(p);
    if (fl.l_type == F_UNLCK) locks_.may_have_released();
    return true;
  }

  bool sleep(TreeProcess& p, const Notification& n) {
    const bool absolute = n.nr == SYS_clock_nanosleep && (n.args[1] & TIMER_ABSTIME) != 0;
    if (absolute) return sleep_until(p, n);
    timespec ts{};
    if (!read_sleep_time(p, n.nr == SYS_nanosleep ? n.args[0] : n.args[2], "", ts)) return true;
    const VirtualTime d = virtual_duration(ts);
    ex_.record("proc.sleep", fmt::format("p{} {}", p.ordinal, seconds_text(d)), "asleep");
    if (d == 0) {
      reply(p, 0, 0);
      return true;
    }
    // The process stays held until virtual time reaches its deadline; the rest of the tree runs on meanwhile.
    park_of(p.ordinal).wake_at = ex_.sched().now() + d;
    return false;
  }

  // A sleep's timespec, read from the program. A bad pointer or value is answered as the kernel would (EFAULT,
  // EINVAL), traced with `shown` before what was read, and gives false.
  bool read_sleep_time(TreeProcess& p, std::uint64_t addr, std::string_view shown, timespec& ts) {
    if (!read_remote(p.pid, addr, &ts, sizeof(ts))) {
      ex_.record("proc.sleep", fmt::format("p{} {}?", p.ordinal, shown), "EFAULT");
      reply(p, -1, EFAULT);
      return false;
    }
    if (!valid_timespec(ts)) {
      ex_.record("proc.sleep", fmt::format("p{} {}{}s {}ns", p.ordinal, shown, ts.tv_sec, ts.tv_nsec), "EINVAL");
      reply(p, -1, EINVAL);
      return false;
    }
    return true;
  }

  // clock_nanosleep(clock, TIMER_ABSTIME, deadline): a deadline on a clock the program reads as virtual time (the
  // preload answers its clock reads), so it is reached when virtual time is. python's time.sleep waits this way.
  // A CPU-time clock is not virtual: that sleep runs as made.
  bool sleep_until(TreeProcess& p, const Notification& n) {
    const std::optional<std::int64_t> base = virtual_clock_base(static_cast<clockid_t>(n.args[0]));
    if (!base) {
      ex_.record("proc.sleep", fmt::format("p{} until a CPU-time deadline", p.ordinal), "real time");
      pass(p);
      return true;
    }
    timespec ts{};
    if (!read_sleep_time(p, n.args[2], "until ", ts)) return true;
    // The deadline as virtual time; one before virtual time 0 has passed.
    const std::int64_t sec = ts.tv_sec - *base;
    const VirtualTime deadline =
        sec < 0 ? 0 : static_cast<VirtualTime>(sec) * 1'000'000'000 + static_cast<VirtualTime>(ts.tv_nsec);
    const VirtualTime now = ex_.sched().now();
    ex_.record("proc.sleep", fmt::format("p{} until {}", p.ordinal, seconds_text(deadline)),
               deadline <= now ? "passed" : "asleep");
    if (deadline <= now) {
      reply(p, 0, 0);
      return true;
    }
    park_of(p.ordinal).wake_at = deadline;
    return false;
  }

  // A poll, select or epoll_wait that would wait: parked until poll_ends, its deadline on the virtual clock.
  bool start_poll(TreeProcess& p, const Notification& n) {
    PollCall call = read_wait_call(p.pid, n);
    const std::string what = fmt::format("p{} {} fd{} {}", p.ordinal, call.fds.size(), call.fds.size() == 1 ? "" : "s",
                                         call.timeout == kForever ? "no timeout" : seconds_text(call.timeout));
    const std::string op = fmt::format("proc.{}", call.name());
    if (returns_at_once(p.pidfd, n.pid, call)) {
      ex_.record(op, what, "OK");  // returns at once after all (answer_free_calls saw it otherwise)
      pass(p);
      return true;
    }
    ex_.record(op, what, "waiting");
    Park& park = park_of(p.ordinal);
    park.wake_at = call.timeout == kForever ? kForever : ex_.sched().now() + call.timeout;
    park.poll = std::move(call);
    return false;
  }

  bool poll_ends(const TreeProcess& p, VirtualTime now) const {
    const Park& park = parks_[p.ordinal];
    return park.wake_at <= now || returns_at_once(p.pidfd, p.held->pid, *park.poll);
  }

  // Ends a parked wait: the kernel runs it when an fd is ready (it returns at once, with the program's own
  // revents, sets or events); a signal makes it fail with EINTR, as the kernel's wait would; at the deadline it
  // returns 0. select's deadline is the kernel's own: its timeout is set to zero in the program's memory and the
  // call runs, returning 0 with its sets cleared and the time left written back, as a real timeout does.
  bool end_poll(TreeProcess& p) {
    Park& park = park_of(p.ordinal);
    const PollCall call = std::move(*park.poll);
    park.poll.reset();
    park.wake_at = kForever;
    const std::string who = fmt::format("p{}", p.ordinal);
    const std::string op = fmt::format("proc.{}_end", call.name());
    if (wait_ready(p.pidfd, call)) {
      ex_.record(op, who, "ready");
      pass(p);
    } else if (signal_pending(p.held->pid, call.sigmask)) {
      ex_.record(op, who, "EINTR");
      reply(p, -1, EINTR);
    } else if (call.timeout_addr != 0) {
      const timeval tv{};
      const timespec ts{};
      const bool zeroed = call.timeout_is_timeval ? write_remote(p.pid, call.timeout_addr, &tv, sizeof(tv))
                                                  : write_remote(p.pid, call.timeout_addr, &ts, sizeof(ts));
      ex_.record(op, who, zeroed ? "timed out" : "EFAULT");
      if (zeroed) pass(p);
      else reply(p, -1, EFAULT);
    } else {
      ex_.record(op, who, "timed out");
      reply(p, 0, 0);
    }
    return true;
  }

  // connect(2): to the XenStore's or the hypervisor's socket, emulated with a socket pair whose far end
  // replaces the program's socket; anywhere else, run as made.
  bool connect(TreeProcess& p, const Notification& n) {
    const int fd = static_cast<int>(n.args[0]);
    sockaddr_un addr{};
    const std::size_t len = std::min<std::uint64_t>(n.args[2], sizeof(addr));
    std::string path;
    if (len > offsetof(sockaddr_un, sun_path) && read_remote(p.pid, n.args[1], &addr, len) && addr.sun_family == AF_UNIX)
      path.assign(addr.sun_path, strnlen(addr.sun_path, len - offsetof(sockaddr_un, sun_path)));
    const bool to_xenstore = socket_ != nullptr && path == socket_->path();
    const bool to_hypervisor = hv_socket_ != nullptr && path == hv_socket_->path();
    if (!to_xenstore && !to_hypervisor) {
      ex_.record("proc.connect", fmt::format("p{} {}", p.ordinal, path.empty() ? "(not a Unix socket path)" : path), "OK");
      pass(p);
      return true;
    }
    const std::string who = fmt::format("p{}", p.ordinal);
    ServiceLink l;
    l.service = to_xenstore ? Service::xenstore : Service::hypervisor;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      const int e = errno;
      ex_.record(l.event("connect"), who, errno_text(e));
      reply(p, -1, e);
      return true;
    }
    if (!tree_.channel().install_fd(n.id, pair[1], fd, fd_is_cloexec(p.pid, fd))) {
      const int e = errno;  // EBADF: the program named no open fd
      ::close(pair[0]);
      ::close(pair[1]);
      ex_.record(l.event("connect"), who, errno_text(e));
      reply(p, -1, e);
      return true;
    }
    ::close(pair[1]);
    l.owner = p.ordinal;
    l.number = to_xenstore ? ++connections_ : ++hv_connections_;
    l.fd = pair[0];
    l.client = to_xenstore ? xs_->connect([this] { output_queued(); }) : hv_->connect();
    ex_.record(l.event("connect"), who, l.id());
    links_.push_back(std::move(l));
    reply(p, 0, 0);
    return true;
  }

  // After the tree settled: whatever its programs wrote to their XenStore connections is all there (each
  // writer is blocked now, waiting for its reply), so the complete requests are a function of the answers
  // given so far. A connection the program closed (or whose every holder exited) is closed in the store.
  void collect_requests() {
    char buf[4096];
    for (auto& l : links_) {
      while (l.fd >= 0) {
        const ssize_t got = recv(l.fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (got > 0) {
          if (!l.client->receive(std::string_view(buf, static_cast<std::size_t>(got)))) close_link(l, "protocol error");
        } else if (got == 0) {
          close_link(l, "OK");
        } else if (errno == EINTR) {
          continue;
        } else {
          if (errno != EAGAIN && errno != EWOULDBLOCK) close_link(l, errno_text(errno));
          break;
        }
      }
    }
  }

  void close_link(ServiceLink& l, const char* why) {
    ex_.record(l.event("close"), l.name(), why);
    l.client.reset();
    ::close(l.fd);
    l.fd = -1;
  }

  // One step on a connection: apply its oldest request and write what goes out before the reply included (a
  // mutation's own watch events precede it, as xenstored sends them), or else hand over one watch event.
  bool serve(ServiceLink& l) {
    if (l.client->has_request()) {
      const ServedRequest ev = l.client->handle_next();
      ex_.record(ev.op, fmt::format("{} {}", l.name(), ev.what), ev.result);
      while (l.fd >= 0 && l.client->has_output()) {
        const bool event = !l.client->next_event().empty();
        if (event) ex_.record("xs.watch_event", fmt::format("{} {}", l.name(), l.client->next_event()), "OK");
        if (!send_front(l) || !event) break;
      }
    } else {
      const std::string event = l.client->next_event();
      ex_.record(l.service == Service::xenstore ? "xs.watch_event" : "hv.reply",
                 fmt::format("{} {}", l.name(), event.empty() ? "(the rest of a reply)" : event), "OK");
      send_front(l);
    }
    return true;
  }

  // Writes the front item of the connection's output. False when it did not all fit (the program is not
  // reading: the rest goes in a later step) or the program is gone.
  bool send_front(ServiceLink& l) {
    for (;;) {
      const std::string_view out = l.client->output();
      const ssize_t put = send(l.fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) close_link(l, errno_text(errno));
        return false;
      }
      l.client->sent(static_cast<std::size_t>(put));
      return static_cast<std::size_t>(put) == out.size();
    }
  }

  // A watch event was queued for one of the connections during another actor's step.
  void output_queued() {
    if (waiting_on_ != nullptr) ex_.sched().notify_all(*waiting_on_);
  }

  // --- loop devices (ProcessOptions::loop) ---

  // The path an open or openat names, when it is absolute ("" otherwise: never a loop node).
  std::string open_path(const TreeProcess& p, const Notification& n) const {
    const std::uint64_t addr = n.nr == SYS_open ? n.args[0] : n.args[1];
    std::optional<std::string> path = read_remote_string(p.pid, addr);
    return path && !path->empty() && (*path)[0] == '/' ? *path : std::string();
  }
  bool is_loop_node(const std::string& path) const { return path == "/dev/loop-control" || loop_node_index(path) >= 0; }

  // The emulated loop fd that fd `fd` of p is, or null.
  LoopHandle* loop_handle_of(const TreeProcess& p, int fd) {
    const ProgramFd mine(p, fd);
    struct stat st{};
    if (!mine || fstat(mine.get(), &st) != 0) return nullptr;
    for (auto& h : loop_handles_)
      if (h.fd >= 0 && h.peer == st.st_ino) return &h;
    return nullptr;
  }

  // Answers the held calls that are not steps: clock reads (from virtual time, which moves only between
  // steps), and with loop devices, every open of another path and every 'L' ioctl on another fd (let run on).
  // True when any was answered (the tree must settle again).
  bool answer_free_calls() {
    bool any = false;
    for (auto& p : tree_.processes()) {
      if (!p.held) continue;
      const Notification& n = *p.held;
      if (n.nr == SYS_clock_gettime || n.nr == SYS_gettimeofday || n.nr == SYS_time) {
        read_clock(p, n);
        any = true;
        continue;
      }
      if (is_wait_call(n.nr) && !park_of(p.ordinal).poll) {
        // A wait that returns at once (an fd ready, a zero timeout, a pending signal, bad arguments) runs in
        // the kernel as made, like a read that does not block: no step. One that would wait is a step.
        if (returns_at_once(p.pidfd, n.pid, read_wait_call(p.pid, n))) {
          pass(p);
          any = true;
        }
        continue;
      }
      if (!served_files_) continue;
      const bool opens = n.nr == SYS_open || n.nr == SYS_openat;
      const std::string path = opens ? open_path(p, n) : std::string();
      if (opens && serve_proc_file(p, n, path)) {
        any = true;
        continue;
      }
      const bool other_open = opens && (loop_ == nullptr || !is_loop_node(path));
      const bool other_ioctl =
          n.nr == SYS_ioctl && (loop_ == nullptr || loop_handle_of(p, static_cast<int>(n.args[0])) == nullptr);
      if (!other_open && !other_ioctl) continue;
      pass(p);
      any = true;
    }
    return any;
  }

  static constexpr std::int64_t kVirtualEpoch = 1767225600;  // 2026-01-01T00:00:00Z
  static constexpr std::int64_t kVirtualUptime = 100;        // seconds since boot at virtual time 0

  // What a clock reads at virtual time 0, in seconds; nullopt for a clock that is not virtual (CPU time).
  static std::optional<std::int64_t> virtual_clock_base(clockid_t clock) {
    switch (clock) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_COARSE:
      case CLOCK_TAI: return kVirtualEpoch;
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
      case CLOCK_MONOTONIC_COARSE:
      case CLOCK_BOOTTIME: return kVirtualUptime;
      default: return std::nullopt;
    }
  }

  // An open of a /proc file served from the simulated dom0 (served_proc_files.hpp), for reading: answered with a
  // memory file of the content. No step: the content changes in none. False when `path` is not served.
  bool serve_proc_file(TreeProcess& p, const Notification& n, const std::string& path) {
    const std::optional<std::string_view> content = served_proc_file(path);
    const std::uint64_t flags = n.nr == SYS_open ? n.args[1] : n.args[2];
    if (!content || (flags & O_ACCMODE) != O_RDONLY) return false;  // a write the kernel refuses as made
    const int fd = make_served_file(*content);
    if (fd < 0) {
      reply(p, -1, -fd);
      return true;
    }
    const bool given = tree_.channel().respond_with_fd(n.id, fd, (flags & O_CLOEXEC) != 0);
    const int e = errno;
    ::close(fd);
    if (!given && tree_.channel().valid(n.id)) reply(p, -1, e);
    else tree_.released(p);
    return true;
  }

  // clock_gettime, gettimeofday and time, made as system calls by virtual_time_preload.c: the wall clock reads
  // kVirtualEpoch plus the scheduler's virtual time, the monotonic clocks kVirtualUptime plus it. Other clocks
  // (CPU time) run as made.
  void read_clock(TreeProcess& p, const Notification& n) {
    const VirtualTime now = ex_.sched().now();
    const std::int64_t sec = static_cast<std::int64_t>(now / 1'000'000'000);
    const std::int64_t nsec = static_cast<std::int64_t>(now % 1'000'000'000);
    auto put = [&](std::uint64_t addr, const void* data, std::size_t len) {
      return addr == 0 || write_remote(p.pid, addr, data, len);
    };
    if (n.nr == SYS_time) {
      const time_t t = kVirtualEpoch + sec;
      if (put(n.args[0], &t, sizeof(t))) reply(p, t, 0);
      else reply(p, -1, EFAULT);
      return;
    }
    if (n.nr == SYS_gettimeofday) {
      const timeval tv{kVirtualEpoch + sec, nsec / 1000};
      const struct timezone tz{0, 0};
      if (put(n.args[0], &tv, sizeof(tv)) && put(n.args[1], &tz, sizeof(tz))) reply(p, 0, 0);
      else reply(p, -1, EFAULT);
      return;
    }
    const std::optional<std::int64_t> base = virtual_clock_base(static_cast<clockid_t>(n.args[0]));
    if (!base) {
      pass(p);
      return;
    }
    const timespec ts{*base + sec, nsec};
    if (n.args[1] != 0 && put(n.args[1], &ts, sizeof(ts))) reply(p, 0, 0);
    else reply(p, -1, EFAULT);
  }

  // The program closed the last copy of an emulated loop fd (or every holder exited): its open file is released.
  bool collect_loop_closes() {
    bool any = false;
    for (auto& h : loop_handles_) {
      if (h.fd < 0) continue;
      char byte;
      const ssize_t got = recv(h.fd, &byte, 1, MSG_DONTWAIT);
      if (got != 0) continue;
      ::close(h.fd);
      h.fd = -1;
      if (h.service >= 0) loop_->close(h.service);
      any = true;
    }
    return any;
  }

  // open("/dev/loop-control") or open("/dev/loopN"): the program gets one end of a socket pair as its fd.
  bool open_loop_node(TreeProcess& p, const Notification& n) {
    const std::string path = open_path(p, n);
    const std::string what = fmt::format("p{} {}", p.ordinal, path);
    const std::uint64_t flags = n.nr == SYS_open ? n.args[1] : n.args[2];
    LoopHandle h;
    h.index = loop_node_index(path);
    if (h.index >= 0) {
      h.service = loop_->open(h.index);
      if (h.service < 0) {
        ex_.record("proc.open", what, errno_text(-h.service));
        reply(p, -1, -h.service);
        return true;
      }
    }
    int pair[2];
    struct stat st{};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 || fstat(pair[1], &st) != 0) {
      const int e = errno;
      if (h.service >= 0) loop_->close(h.service);
      ex_.record("proc.open", what, errno_text(e));
      reply(p, -1, e);
      return true;
    }
    h.fd = pair[0];
    h.peer = st.st_ino;
    show_loop_state();
    const bool given = tree_.channel().respond_with_fd(n.id, pair[1], (flags & O_CLOEXEC) != 0);
    const int e = errno;
    ::close(pair[1]);
    if (!given) {
      ::close(pair[0]);
      if (h.service >= 0) loop_->close(h.service);
      ex_.record("proc.open", what, errno_text(e));
      if (tree_.channel().valid(n.id)) reply(p, -1, e);
      else tree_.released(p);
      return true;
    }
    tree_.released(p);
    ex_.record("proc.open", what, "OK");
    loop_handles_.push_back(h);
    return true;
  }

  // Identity and name of the backing file the program passes by fd: the name it gave, else the fd's path.
  bool backing_file(const TreeProcess& p, int fd, const char* given, std::string& name, struct stat& st) {
    const ProgramFd mine(p, fd);
    if (!mine || fstat(mine.get(), &st) != 0) return false;
    name = given != nullptr ? std::string(given, strnlen(given, LO_NAME_SIZE)) : std::string();
    if (name.empty()) {
      char buf[4096];
      const ssize_t len = readlink(fmt::format("/proc/{}/fd/{}", p.pid, fd).c_str(), buf, sizeof(buf));
      if (len > 0) name.assign(buf, static_cast<std::size_t>(len));
    }
    return true;
  }

  // A LOOP_* ioctl on an emulated fd: applied to the loop driver, as the kernel's loop_control_ioctl and
  // lo_ioctl would.
  bool loop_ioctl(TreeProcess& p, const Notification& n) {
    const int fd = static_cast<int>(n.args[0]);
    const std::uint64_t request = n.args[1] & 0xffffffffU;
    const std::uint64_t arg = n.args[2];
    LoopHandle* h = loop_handle_of(p, fd);
    const char* name = loop_request_name(request);
    std::string what = fmt::format("p{} {} {}", p.ordinal, fd, name != nullptr ? name : fmt::format("{:#x}", request));
    auto answer = [&](int r) {
      ex_.record("proc.ioctl", what, r >= 0 ? fmt::format("{}", r) : std::string(errno_text(-r)));
      reply(p, r >= 0 ? r : -1, r >= 0 ? 0 : -r);
      return true;
    };
    if (h == nullptr) return answer(-EBADF);  // closed meanwhile
    if (h->index < 0) {
      switch (request) {
        case LOOP_CTL_GET_FREE: return answer(loop_->get_free());
        case LOOP_CTL_ADD: return answer(loop_->add(static_cast<int>(arg)));
        case LOOP_CTL_REMOVE: return answer(loop_->remove(static_cast<int>(arg)));
        default: return answer(-ENOTTY);
      }
    }
    switch (request) {
      case LOOP_CONFIGURE: {
        loop_config config{};
        if (!read_remote(p.pid, arg, &config, sizeof(config))) return answer(-EFAULT);
        std::string file;
        struct stat st{};
        if (!backing_file(p, static_cast<int>(config.fd), reinterpret_cast<const char*>(config.info.lo_file_name), file, st))
          return answer(-EBADF);
        what += fmt::format(" {}", file);
        return answer(loop_->configure(h->service, file, st.st_dev, st.st_ino, config.info.lo_flags));
      }
      case LOOP_SET_FD: {
        std::string file;
        struct stat st{};
        if (!backing_file(p, static_cast<int>(arg), nullptr, file, st)) return answer(-EBADF);
        what += fmt::format(" {}", file);
        return answer(loop_->set_fd(h->service, file, st.st_dev, st.st_ino));
      }
      case LOOP_SET_STATUS64: {
        loop_info64 info{};
        if (!read_remote(p.pid, arg, &info, sizeof(info))) return answer(-EFAULT);
        return answer(loop_->set_status_flags(h->service, info.lo_flags));
      }
      case LOOP_GET_STATUS64: {
        LoopDeviceState state;
        const int r = loop_->get_status(h->service, state);
        if (r < 0) return answer(r);
        loop_info64 info{};
        info.lo_device = state.file_dev;
        info.lo_inode = state.file_ino;
        info.lo_number = static_cast<std::uint32_t>(h->index);
        info.lo_flags = state.flags;
        std::strncpy(reinterpret_cast<char*>(info.lo_file_name), state.backing_file.c_str(), LO_NAME_SIZE - 1);
        if (!write_remote(p.pid, arg, &info, sizeof(info))) return answer(-EFAULT);
        return answer(0);
      }
      case LOOP_CLR_FD: return answer(loop_->clr_fd(h->service));
      case kBlkGetDiskSeq: {
        std::uint64_t seq = 0;
        const int r = loop_->diskseq(h->service, seq);
        if (r < 0) return answer(r);
        if (!write_remote(p.pid, arg, &seq, sizeof(seq))) return answer(-EFAULT);
        what += fmt::format(" {}", seq);
        return answer(0);
      }
      // Not modelled (the other block ioctls too: sizes, block sizes and read-only state are not in the model):
      // the program hears the device does not know the request.
      default: return answer(-ENOTTY);
    }
  }

  Execution& ex_;
  ProcessLocks& locks_;
  XenStoreService* xs_;
  HypervisorService* hv_;
  LoopService* loop_;
  LoopHostView* view_;
  bool served_files_;  // opens held: the mount table is the simulated dom0's (always with loop_)
  std::vector<LoopHandle> loop_handles_;
  std::vector<BindDir> binds_;
  std::string failure_log_;  // ProcessOptions::failure_log
  std::unique_ptr<ServiceSocketFile> socket_;     // the XenStore's
  std::unique_ptr<ServiceSocketFile> hv_socket_;  // the hypervisor's
  ProcessTree tree_;
  std::vector<Park> parks_;
  std::vector<ServiceLink> links_;  // in connection order; closed ones stay, with fd -1
  // A call that can be answered now: a held process's, or a connection's (ordinal: the process owning it).
  struct ReadyCall {
    std::uint32_t ordinal;
    TreeProcess* process;
    ServiceLink* link;
  };
  std::vector<ReadyCall> ready_;  // this turn's, lowest ordinal first; reused
  std::uint32_t connections_ = 0;     // to the XenStore
  std::uint32_t hv_connections_ = 0;  // to the hypervisor
  WaitQueue output_;                  // waited on when nothing of the tree can go on but XenStore may
  WaitQueue* waiting_on_ = nullptr;   // the queue this actor waits on now
};

}  // namespace

std::string find_program(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0 ? program : "";
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) return "";
    start = end + 1;
  }
}

ActorId spawn_process(Execution& ex, std::string name, std::vector<std::string> argv, std::vector<std::string> env) {
  ProcessOptions options;
  options.env = std::move(env);
  return spawn_process(ex, std::move(name), std::move(argv), std::move(options));
}

ActorId spawn_process(Execution& ex, std::string name, std::vector<std::string> argv, ProcessOptions options) {
  std::vector<std::string>& env = options.env;
  if (argv.empty()) throw std::invalid_argument(fmt::format("spawn_process {}: argv is empty (argv[0] names the program)", name));
  const std::string path = find_program(argv[0], env);
  if (path.empty())
    throw std::invalid_argument(fmt::format("spawn_process {}: no executable program '{}'", name, argv[0]));
  if (ex.options().os_threads)
    throw std::runtime_error(fmt::format("spawn_process {}: process actors need the fiber scheduler, not OS threads", name));
  if (const std::string& why = process_actors_unsupported(); !why.empty())
    throw std::runtime_error(fmt::format("spawn_process {}: {}", name, why));
  ProcessLocks& locks = ex.shared<ProcessLocks>();
  XenStoreService* xenstore = options.xenstore;
  HypervisorService* hypervisor = options.hypervisor;
  LoopService* loop = options.loop;
  const bool served_files = options.simulated_proc_files;
  std::vector<BindDir> binds;
  for (const auto& b : options.binds) {
    BindDir d;
    d.host = b.host;
    d.seen_as = b.seen_as;
    binds.push_back(std::move(d));
  }
  LoopHostView* view = nullptr;
  if (loop != nullptr) {
    view = &ex.shared<LoopHostView>();
    view->prepare();
    for (BindDir& b : view->binds()) binds.push_back(std::move(b));
  }
  return ex.spawn(std::move(name), [&ex, &locks, xenstore, hypervisor, loop, view, served_files,
                                    binds = std::move(binds), path, argv = std::move(argv), env = std::move(env),
                                    failure_log = std::move(options.failure_log)]() -> ActorStatus {
    Supervisor supervisor(ex, locks, xenstore, hypervisor, loop, view, served_files, binds, failure_log);
    return supervisor.run(path, argv, env);
  });
}

}  // namespace xenrace::process
