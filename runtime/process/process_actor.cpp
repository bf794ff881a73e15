#include "runtime/process/process_actor.hpp"

#include <linux/sched.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/process/process_locks.hpp"
#include "runtime/process/process_tree.hpp"
#include "runtime/process/remote_memory.hpp"
#include "runtime/process/seccomp_listener.hpp"

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

// One process actor's supervisor: runs on the actor's fiber.
class Supervisor {
 public:
  Supervisor(Execution& ex, ProcessLocks& locks) : ex_(ex), locks_(locks) {}

  ActorStatus run(const std::string& path, const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    tree_.start(path, argv, env);
    bool released = false;  // the last answer let the tree run: a lock may have been released
    bool in_step = false;   // woken from a lock wait: this fiber runs a step the strategy gave it already
    for (;;) {
      const ProcessTree::Changes changes = tree_.settle();
      for (std::uint32_t o : changes.born)
        ex_.record("proc.new", fmt::format("p{}", o), fmt::format("child of p{}", tree_.at(o).parent));
      if (released || !changes.died.empty()) locks_.may_have_released();
      released = false;
      if (tree_.all_exited()) break;
      // The next call to answer: the lowest ordinal held, unless parked on a lock that nobody released since,
      // or asleep until a virtual time still to come.
      TreeProcess* next = nullptr;
      bool any_parked = false;
      VirtualTime first_wake = kForever;
      const VirtualTime now = ex_.sched().now();
      for (auto& p : tree_.processes()) {
        if (!p.held) continue;
        const Park& park = park_of(p.ordinal);
        if (park.lock_generation != 0 && park.lock_generation == locks_.generation + 1) {
          any_parked = true;
          continue;
        }
        if (park.wake_at != kForever && park.wake_at > now) {
          first_wake = std::min(first_wake, park.wake_at);
          continue;
        }
        next = &p;
        break;
      }
      if (next == nullptr) {
        if (any_parked || first_wake != kForever) {
          ex_.sched().wait(locks_.parked, any_parked ? "flock" : "sleep", first_wake == kForever ? kForever : first_wake - now);
          in_step = true;
          continue;
        }
        throw std::runtime_error(fmt::format(
            "process tree stuck: nothing held at a system call, and blocked in the kernel: {}",
            tree_.describe_blocked()));
      }
      if (!in_step) ex_.before_visible();
      in_step = false;
      released = answer(*next);
    }
    tree_.reap_exited();
    const TreeProcess& p1 = tree_.at(1);
    if (p1.reaped && WIFEXITED(p1.wait_status) && WEXITSTATUS(p1.wait_status) != 0)
      return ActorStatus::fail(fmt::format("p1 exited with status {}", WEXITSTATUS(p1.wait_status)));
    if (p1.reaped && WIFSIGNALED(p1.wait_status))
      return ActorStatus::fail(fmt::format("p1 was killed by signal {}", WTERMSIG(p1.wait_status)));
    return ActorStatus::ok();
  }

 private:
  // Why a held process is not answered yet.
  struct Park {
    std::uint64_t lock_generation = 0;  // parked on a lock at this generation, plus one; 0: not
    VirtualTime wake_at = kForever;     // asleep until then
  };
  Park& park_of(std::uint32_t ordinal) {
    if (parks_.size() < ordinal + 1) parks_.resize(ordinal + 1);
    return parks_[ordinal];
  }

  void pass(TreeProcess& p) {
    tree_.channel().respond_continue(p.held->id);
    tree_.released(p);
  }
  void reply(TreeProcess& p, std::int64_t value, int error) {
    tree_.channel().respond(p.held->id, value, error);
    tree_.released(p);
  }

  // Answers p's held call. True when the process runs on (it was not parked).
  bool answer(TreeProcess& p) {
    const Notification n = *p.held;
    if (park_of(p.ordinal).wake_at != kForever) {
      // Its sleep is over.
      park_of(p.ordinal).wake_at = kForever;
      ex_.record("proc.wake", fmt::format("p{}", p.ordinal), "OK");
      reply(p, 0, 0);
      return true;
    }
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
      case SYS_nanosleep:
      case SYS_clock_nanosleep: return sleep(p, n);
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
    const int mine = static_cast<int>(syscall(SYS_pidfd_getfd, p.pidfd, fd, 0));
    if (mine < 0) {
      const int e = errno;  // EBADF: no such fd in the program
      ex_.record("proc.flock", what, errno_text(e));
      reply(p, -1, e);
      return true;
    }
    const int rc = ::flock(mine, op | LOCK_NB);
    const int e = rc == 0 ? 0 : errno;
    ::close(mine);
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

  bool sleep(TreeProcess& p, const Notification& n) {
    const bool absolute = n.nr == SYS_clock_nanosleep && (n.args[1] & TIMER_ABSTIME) != 0;
    if (absolute) {
      // An absolute deadline is on the real clock, which the program reads through the vDSO: not virtual yet.
      ex_.record("proc.sleep", fmt::format("p{} until an absolute time", p.ordinal), "real time");
      pass(p);
      return true;
    }
    timespec ts{};
    const std::uint64_t addr = n.nr == SYS_nanosleep ? n.args[0] : n.args[2];
    if (!read_remote(p.pid, addr, &ts, sizeof(ts))) {
      ex_.record("proc.sleep", fmt::format("p{} ?", p.ordinal), "EFAULT");
      reply(p, -1, EFAULT);
      return true;
    }
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) {
      ex_.record("proc.sleep", fmt::format("p{} {}s {}ns", p.ordinal, ts.tv_sec, ts.tv_nsec), "EINVAL");
      reply(p, -1, EINVAL);
      return true;
    }
    const VirtualTime d = static_cast<VirtualTime>(ts.tv_sec) * 1'000'000'000 + static_cast<VirtualTime>(ts.tv_nsec);
    ex_.record("proc.sleep", fmt::format("p{} {}", p.ordinal, seconds_text(d)), "asleep");
    if (d == 0) {
      reply(p, 0, 0);
      return true;
    }
    // The process stays held until virtual time reaches its deadline; the rest of the tree runs on meanwhile.
    park_of(p.ordinal).wake_at = ex_.sched().now() + d;
    return false;
  }

  Execution& ex_;
  ProcessLocks& locks_;
  ProcessTree tree_;
  std::vector<Park> parks_;
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
  if (argv.empty()) throw std::invalid_argument(fmt::format("spawn_process {}: argv is empty (argv[0] names the program)", name));
  const std::string path = find_program(argv[0], env);
  if (path.empty())
    throw std::invalid_argument(fmt::format("spawn_process {}: no executable program '{}'", name, argv[0]));
  if (ex.options().os_threads)
    throw std::runtime_error(fmt::format("spawn_process {}: process actors need the fiber scheduler, not OS threads", name));
  if (const std::string& why = process_actors_unsupported(); !why.empty())
    throw std::runtime_error(fmt::format("spawn_process {}: {}", name, why));
  ProcessLocks& locks = ex.shared<ProcessLocks>();
  return ex.spawn(std::move(name), [&ex, &locks, path, argv = std::move(argv), env = std::move(env)]() -> ActorStatus {
    Supervisor supervisor(ex, locks);
    return supervisor.run(path, argv, env);
  });
}

}  // namespace xenrace::process
