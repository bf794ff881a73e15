// The simulated FileSystem (world/file_system.hpp): names and inodes (file_tree), open files (open_files),
// flock(2) (flock_locks), fcntl(2) record locks (record_locks) and pids (processes), each call one visible
// operation "fs.<call>" with its arguments and the result or errno name. A blocking flock or F_SETLKW waits
// inside its operation. At an actor's exit the kernel closes its fds ("fs.close ... (at exit)" events): its
// flocks and record locks go, and its pid leaves /proc.
//
// Worked examples (tests/fs/sim_file_system_test.cpp):
//  1. A: open("/run/xen-hotplug/block", O_CREAT), flock(LOCK_EX). B: the same -> B blocks inside fs.flock until
//     A closes (or exits, or is killed); with LOCK_EX|LOCK_NB B gets EWOULDBLOCK at once.
//  2. locking.sh: A holds the flock and `rm`s the file (release_lock); B, woken, fstat(fd) gives the old inode
//     and stat(path) ENOENT (or a new inode once C re-created it): B starts over.
//  3. fcntl: A takes F_WRLCK through fd1, opens the same file again as fd2 and closes fd2: A's lock is gone.
//  4. process_exists(pid of A) is true while A runs and false once A returned or was killed.
// Hot path: flock, fcntl and stat allocate nothing (trace text is formatted into fixed buffers).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "backends/sim/fs/file_tree.hpp"
#include "backends/sim/fs/open_files.hpp"
#include "backends/sim/fs/processes.hpp"
#include "backends/sim/fs/record_locks.hpp"
#include "runtime/execution.hpp"
#include "world/file_system.hpp"

namespace xenrace {

class SimFileSystem final : public FileSystem {
 public:
  explicit SimFileSystem(Execution& ex);

  Result<Fd> open(std::string_view path, int flags) override;
  Errno close(Fd fd) override;
  Errno flock(Fd fd, int operation) override;
  Errno fcntl_lock(Fd fd, LockCmd cmd, RecordLock type) override;
  Result<std::string> read(Fd fd, std::size_t max) override;
  Errno write(Fd fd, std::string_view data) override;
  Result<FileStat> stat(std::string_view path) override;
  Result<FileStat> fstat(Fd fd) override;
  Errno mkdir(std::string_view path) override;
  Errno rmdir(std::string_view path) override;
  Errno unlink(std::string_view path) override;
  Errno rename(std::string_view from, std::string_view to) override;
  Pid pid() override { return processes_.current_pid(); }
  bool process_exists(Pid pid) override;

  // --- inspection for tests: no scheduling point, no trace event ---
  // The pid an actor has (or had).
  static Pid pid_of(ActorId actor) { return Processes::pid_of(actor); }

 private:
  OpenFile* find(Fd fd) { return files_.find(fd, processes_.current_slot()); }
  void close_file(std::int32_t id, OpenFile& f);
  void exit_process(int slot);
  // Trace text in fixed buffers (no allocation); valid until the next call of the same one.
  std::string_view fd_args(Fd fd, std::string_view extra = {});
  std::string_view stat_text(const Result<FileStat>& r);

  Execution& ex_;
  FileTree tree_;
  OpenFiles files_;
  Processes processes_;
  RecordWaits waits_;
  char args_[256] = {};
  char result_[64] = {};
  char waiting_[96] = {};
};

}  // namespace xenrace
