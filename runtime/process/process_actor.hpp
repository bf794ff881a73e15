// Process actors: an unmodified program (a hotplug script, a binary), with every process it forks, as one
// actor of an execution, under the same Strategy, Schedule, Trace and replay as the fiber actors it runs
// beside. docs/process-actors.md describes what is controlled and what is not yet.
//
// The actor's body is a fiber that supervises the program's tree (process_tree.hpp) through its seccomp
// listener. At each held system call of any process in the tree, the fiber reaches a scheduling point
// (Execution::before_visible), so the strategy decides who runs next; then it records the operation and
// answers. While it waits for the tree to settle it blocks the whole scheduler: only one actor runs between
// scheduling points. Held calls and their trace events (pN is the N-th process of the actor, by creation):
//   execve, execveat           "proc.exec"  "pN <basename of argv[0]>"       runs as made (CONTINUE)
//   clone, clone3, fork, vfork "proc.fork"  "pN"                             runs as made; the child is then
//                              "proc.new"   "pM" -> "child of pN"            found and named
//   exit_group                 "proc.exit"  "pN <status>"                    runs as made
//   flock                      "proc.flock" "pN <fd> LOCK_EX[|LOCK_NB]"      emulated: -> OK, an errno, or
//                                                                              "parked" (retried later)
//   fcntl F_[OFD_]SETLK[W]     "proc.fcntl" "pN <fd> F_SETLKW F_WRLCK 0+0"   emulated as flock: -> OK, an errno,
//                                                                              or "parked"
//   nanosleep, clock_nanosleep "proc.sleep" "pN <seconds>s" -> "asleep"      emulated: the process stays held
//                              "proc.wake"  "pN"                             until virtual time reaches the
//                                                                              deadline; the tree runs on
//   poll, ppoll                (none)                                        returns at once (an fd ready, a
//                                                                              zero timeout): runs as made
//                              "proc.poll"  "pN <k> fds <timeout>" -> waiting  would wait: parked (virtual_poll.hpp)
//                              "proc.poll_end" "pN" -> ready | EINTR |       until an fd is ready (then runs as
//                                                      timed out             made), a signal (EINTR), or its
//                                                                              virtual deadline (returns 0)
//   connect                    "xs.connect" "pN" -> "cK"                     to ProcessOptions::xenstore's
//                                                                              socket: emulated (a socket pair)
//                              "proc.connect" "pN <path>"                    anywhere else: runs as made
//   a request on a XenStore    "xs.<op>"    "pN/cK <what>" -> its answer     applied to the store; the
//   connection                                                                reply is written back
//   connect to the hypervisor  "hv.connect" "pN" -> "hK"                     to ProcessOptions::hypervisor's
//                                                                              socket (the fake libxenctrl)
//   a hypervisor call          "hv.<op>"    "pN/hK <domid> <args>" -> answer applied to the World's domains
//   open, openat               "proc.open"  "pN /dev/loopN" -> OK            with ProcessOptions::loop: a loop
//                                                                              node, emulated; any other path
//                                                                              runs on, no step, no event
//   ioctl (type 'L')           "proc.ioctl" "pN <fd> <request>" -> answer    on an emulated loop fd: applied to
//                                                                              the loop driver; else runs on
//   clock_gettime, gettimeofday, time  (no step, no event)                   answered from virtual time; the
//                                                                              programs make them as system
//                                                                              calls (LD_PRELOAD, see docs)
// A process whose request is parked (a lock, a sleep) stays held while the rest of its tree goes on; the
// actor blocks in the scheduler only when nothing else in its tree can run. Of several held calls that can be
// answered, the lowest process ordinal's goes first. The actor ends when every process
// of its tree has exited, and fails ("p1 exited with status N") when the program did not exit 0. Killing it
// (Scheduler::kill, the actor/kill fault) or ending the execution kills and reaps the whole tree.
#pragma once
#include <string>
#include <vector>

#include "runtime/execution.hpp"
#include "runtime/process/hypervisor_service.hpp"
#include "runtime/process/loop_service.hpp"
#include "runtime/process/xenstore_service.hpp"

namespace xenrace::process {

struct ProcessOptions {
  std::vector<std::string> env;  // the program's whole environment: nothing of the host's is inherited
  // The XenStore its programs reach through libxenstore (xenstore_service.hpp): XENSTORED_PATH is added to
  // env, and every request on such a connection is a held operation: "xs.<op>" "pN/cK <what>" -> answer,
  // "xs.connect" "pN" -> "cK", "xs.close" "pN/cK" when the program closes it, "xs.watch_event" "pN/cK path
  // token" when a watch event queued by another actor's write is handed over.
  XenStoreService* xenstore = nullptr;
  // The hypervisor its programs reach through the fake libxenctrl (hypervisor_service.hpp):
  // XENRACE_HYPERVISOR_PATH is added to env, and every call is a held operation: "hv.<op>" "pN/hK <domid>
  // <args>" -> answer, "hv.connect" "pN" -> "hK", "hv.close" "pN/hK".
  HypervisorService* hypervisor = nullptr;
  // The loop driver its programs reach (loop_service.hpp): they see the execution's /dev and /sys/block
  // (loop_host_view.hpp), and an open of /dev/loop-control or /dev/loopN and every LOOP_* ioctl on such an fd
  // is a held operation: "proc.open" "pN /dev/loopN", "proc.ioctl" "pN <fd> LOOP_CONFIGURE ..." -> answer,
  // beside the driver's own "loop.*" event. Needs root (mount namespace, mknod).
  LoopService* loop = nullptr;
  // The simulated dom0's mount table (/proc/mounts, /proc/self/mountinfo...: served_proc_files.hpp) in place of
  // the host's, which could name a host device with the number of one the programs are given. Every open is
  // then held and answered at once (no step, no trace event). Always so with `loop`.
  bool simulated_proc_files = false;
  // Host directories the programs see in place of fixed paths (a hotplug script's /var/run/xen-hotplug lock and
  // /var/log/xen log): bind mounts in a mount namespace of the actor's own, so the host's stay untouched.
  // Actors given the same directory share it (their locks contend). Needs CAP_SYS_ADMIN.
  struct Bind {
    std::string host;
    std::string seen_as;
  };
  std::vector<Bind> binds;
  // A log file the program writes its errors to (a host path, e.g. in a bind above): when the actor fails, the
  // log's first line with "error" in it (else its last line) is added to the failure, so the verdict says what
  // the program said, not only its status.
  std::string failure_log;
};

// Spawns a process actor running argv[0] (searched in env's PATH, or the standard one, when it has no '/')
// with arguments argv and exactly the environment `env` (nothing of the host's is inherited). Its stdin is
// /dev/null; stdout and stderr are the supervisor's. Throws std::invalid_argument for an empty argv or a
// program that is not found, and std::runtime_error when process actors are unsupported here
// (process_actors_unsupported() says why) or when the execution runs actors as OS threads.
ActorId spawn_process(Execution& ex, std::string name, std::vector<std::string> argv,
                      std::vector<std::string> env = {});
ActorId spawn_process(Execution& ex, std::string name, std::vector<std::string> argv, ProcessOptions options);

// The file spawn_process would run for `program`, or "" when none is executable.
std::string find_program(const std::string& program, const std::vector<std::string>& env);

}  // namespace xenrace::process

namespace xenrace {
using process::ProcessOptions;
using process::spawn_process;
}  // namespace xenrace
