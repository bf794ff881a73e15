// The processes of one process actor: the program it started and everything that program forked, named by
// creation ordinal (p1 is the program, p2 its first child, ...), never by pid. The tree owns the actor's
// seccomp listener, a pidfd per process, and the rule that makes the tree's behaviour a function of the
// supervisor's answers only: settle().
//
// Quiescence (settle). After the supervisor answers one held system call, processes run (the answered one,
// and any it woke) until each of them is again
//   - held at a notification (it made an intercepted call), or
//   - blocked in the kernel: state S or T in /proc/PID/stat (a pipe read, wait4 for a child), or D while it
//     waits for a vfork child, or
//   - exited (its pidfd is readable).
// settle() waits until a scan of every live process finds it so, and a second scan finds the same: every
// process not held is still blocked and has not been on a CPU in between (the run count in
// /proc/PID/schedstat is unchanged), and no notification arrived. Then nothing in the tree can move until the
// supervisor answers, so which calls are held is the same on every run, whatever the OS scheduler did.
// A process forked by an answered clone is found then, by its parent (one /proc scan for that parent's
// children): only one call is answered at a time, so at most one process is born per step and ordinals are
// deterministic.
//
// Limits (docs/process-actors.md): processes woken together run in parallel until they stop, so what they do
// between intercepted calls must not race (two writers on one pipe, say); a process blocked in the kernel on
// a timer (poll or select with a timeout, alarm) wakes in real time; threads (CLONE_THREAD) are not followed;
// a process found blocked with nothing held anywhere makes the actor fail, naming it.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/process/notification.hpp"
#include "runtime/process/proc_files.hpp"

namespace xenrace::process {

struct TreeProcess {
  std::uint32_t ordinal = 0;  // 1: the program started; then in creation order
  std::uint32_t parent = 0;   // its parent's ordinal; 0 for p1
  pid_t pid = 0;              // never traced
  int pidfd = -1;
  ProcFiles files;            // its /proc files, open while it lives
  bool exited = false;
  bool reaped = false;        // reaped by the supervisor (it was the supervisor's child by then)
  int wait_status = 0;        // when reaped
  std::optional<Notification> held;  // the call it is held at
  bool forked = false;        // a fork of it was answered; its child is not found yet
  bool in_vfork = false;      // that fork was a vfork: it sleeps uninterruptibly until the child execs or exits
  bool sampled = false;       // sampled since it last ran
  std::uint64_t runs = 0;     // times it had been on a CPU at the last sample
  char state = '?';           // at the last sample
  std::string call;           // /proc/PID/syscall at the last sample
  std::string threads;        // its other threads' states at the last sample (threads_settled)
};

// A directory of the host that the program sees at another path (a bind mount in its own mount namespace).
struct BindDir {
  std::string host;
  std::string seen_as;
  bool no_devices = false;  // remounted nodev: device nodes there can be stat'ed, never opened
};

class ProcessTree {
 public:
  ProcessTree();
  // Kills and reaps whatever is left: an actor killed or unwound leaves no process and no fd behind.
  ~ProcessTree();
  ProcessTree(const ProcessTree&) = delete;
  ProcessTree& operator=(const ProcessTree&) = delete;

  // Forks p1, which installs the listener, hands it over and execs `path`; the exec is p1's first held call.
  // Throws std::runtime_error naming what failed.
  // `binds` (when any) need CAP_SYS_ADMIN: the tree gets a mount namespace of its own. With `device_calls`,
  // open, openat and the LOOP_* ioctls are held too (NotifyFilter::with_device_calls).
  void start(const std::string& path, const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::vector<BindDir>& binds = {}, bool device_calls = false);

  struct Changes {
    std::vector<std::uint32_t> born;  // ordinals found, in order
    std::vector<std::uint32_t> died;  // ordinals that exited, in ordinal order per scan
  };
  // Blocks (the whole scheduler: only one actor runs at a time) until the tree is quiescent (see above).
  Changes settle();

  TreeProcess& at(std::uint32_t ordinal) { return procs_[ordinal - 1]; }
  std::vector<TreeProcess>& processes() { return procs_; }
  NotifyChannel& channel() { return *channel_; }
  bool all_exited() const;
  // The answered call's process runs again: it must be sampled afresh.
  void released(TreeProcess& p) {
    p.held.reset();
    p.sampled = false;
  }
  // SIGKILL to the process group and to every process known, then waits for each to die and reaps those that
  // are the supervisor's children. Safe to call twice.
  void kill_all();
  // Reaps every exited process that is the supervisor's child now (WNOHANG).
  void reap_exited();
  // "p2 (sh, state S)" for each live process not held: for a report when the tree is stuck.
  std::string describe_blocked() const;
  // "p2 (sh, state R)" for each live process not held: for a report when the tree never settles.
  std::string describe_running() const;

 private:
  TreeProcess* by_pid(pid_t pid);
  // A process of the tree with this pid exited: its zombie, until its parent reaps it, is no new child.
  bool is_exited_child(pid_t pid) const;
  bool drain(Changes& ch);  // receives the waiting notifications; true when there were any
  TreeProcess* adopt(pid_t pid, std::uint32_t parent, Changes& ch);
  void find_children(Changes& ch);
  void wait_for_activity(unsigned round);
  void try_reap(TreeProcess& p);
  bool threads_settled(TreeProcess& p, bool& changed);

  std::unique_ptr<NotifyChannel> channel_;
  std::vector<TreeProcess> procs_;
  pid_t pgid_ = 0;
  bool device_calls_ = false;  // open, openat and ioctl are held calls too
};

}  // namespace xenrace::process
