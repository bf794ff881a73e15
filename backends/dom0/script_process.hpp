// Runs a hotplug script the way libxl's libxl__exec does: the given arguments, the caller's environment with
// the toolstack's variables set over it, stdout joined to stderr, no descriptor of ours inherited, default
// signal dispositions and an empty signal mask. Its output (stdout and stderr: Xen's scripts send stderr to
// /var/log/xen/xen-hotplug.log themselves, so this is what comes before that) is kept for error messages.
// Safe to call from any thread: it touches no harness state.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace xenrace::dom0 {

struct ScriptRun {
  int spawn_errno = 0;     // posix_spawn failed: the script never ran
  int exit_status = -1;    // WEXITSTATUS, -1 when it did not exit normally
  int signal = 0;          // WTERMSIG, or SIGKILL when the timeout killed it
  bool timed_out = false;
  std::string output_tail;  // the last bytes of its stdout+stderr
  bool ok() const { return spawn_errno == 0 && exit_status == 0; }
  std::string describe() const;  // "exit 0", "exit 1", "killed by signal 9 after 40000 ms", "spawn: ENOENT"
};

// `argv[0]` is the script's path. `env` entries replace variables of the same name in our environment.
// A script still running after `timeout_ms` is killed with its process group (libxl kills it too).
ScriptRun run_script(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                     int timeout_ms);

}  // namespace xenrace::dom0
