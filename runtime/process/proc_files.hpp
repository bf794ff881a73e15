// What settle() samples of one task, read from /proc. A tree's process is sampled on every settle round (many
// rounds a step), so its three files are opened once and read again from offset 0, which makes the kernel
// generate them afresh: an open walks the path and a close frees the file, and those were most of the
// supervisor's own time. The open files name the process, not its number, so a reused pid never reads
// another program's state.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace xenrace::process {

// A sample of one task.
struct TaskSample {
  char state = '?';         // the state letter of /proc/PID/stat
  pid_t ppid = 0;
  long threads = 0;         // num_threads of /proc/PID/stat: the threads of the task's process
  std::uint64_t runs = 0;   // times on a CPU: the third field of /proc/PID/schedstat
  // /proc/PID/syscall: "running" unless the task is off the CPU, asleep in one state from before to after the
  // read (the kernel checks this, wait_task_inactive); then the system call it sleeps in, its arguments and its
  // stack and instruction pointers. A task that merely set its sleeping state and runs on reads "running".
  char call[256] = {};
};

class ProcFiles {
 public:
  ProcFiles() = default;
  // Opens /proc/PID/{stat,schedstat,syscall}; a process already gone leaves them closed, and read() false.
  // Throws std::runtime_error when they cannot be opened for another reason (out of file descriptors): a
  // process whose state cannot be read could never be seen to settle.
  explicit ProcFiles(pid_t pid);
  // The same files of any task directory (/proc/PID/task/TID).
  explicit ProcFiles(const char* dir);
  ~ProcFiles() { close(); }
  ProcFiles(ProcFiles&& other) noexcept { *this = static_cast<ProcFiles&&>(other); }
  ProcFiles& operator=(ProcFiles&& other) noexcept;
  ProcFiles(const ProcFiles&) = delete;
  ProcFiles& operator=(const ProcFiles&) = delete;

  // False when the process is gone (or exiting right now: its pidfd says so next).
  bool read(TaskSample& s) const;
  // Only /proc/PID/stat (state, ppid, threads): all settle needs of a process held at a notification.
  bool read_stat(TaskSample& s) const;
  void close();

 private:
  int stat_ = -1;
  int schedstat_ = -1;
  int syscall_ = -1;
};

// The same sample from the files of a directory (/proc/PID or /proc/PID/task/TID), opened for this one read:
// for the tasks settle() looks at rarely (a process's other threads).
bool read_task_at(const char* dir, TaskSample& s);
// Only /proc/PID/stat of any process, opened for this one read: a scan for new children, a child's parent.
bool read_stat_of(pid_t pid, TaskSample& s);

}  // namespace xenrace::process
