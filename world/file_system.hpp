// A file system and process identity as the hotplug scripts and libxl see them: what their locks are built
// from. Each call maps onto one system call (or, for process_exists, one stat of /proc/<pid>), so the same
// lock code runs on the simulator (backends/sim/fs) and could run on a real host.
//
// The locks it has to carry (tools/hotplug/Linux/locking.sh of Xen 4.17, libxl_internal.c):
//  - the old claim_lock: mkdir LOCKDIR (EEXIST: held), then write LOCKDIR/owner = "$$: $0"; a waiter reads
//    the owner's pid and checks /proc/$pid (process_exists), removing a stale lock dir (unlink owner, rmdir),
//    and after its retries steals the lock by force;
//  - the current claim_lock: open(LOCKFILE, O_CREAT), flock(LOCK_EX), then compare the inode of the fd
//    (fstat) with the inode at the path (stat), starting over when they differ; release_lock is `rm LOCKFILE`
//    (unlink) while still holding the flock;
//  - libxl__lock_domain_userdata: open with O_CREAT, flock(LOCK_EX), the same fstat/stat comparison.
//
// Semantics kept (Linux): a flock belongs to the open file (the fd here: no dup/fork), so closing the fd
// drops it; an fcntl (POSIX record) lock belongs to the process and the file, and is dropped when ANY fd of
// that process on that file closes; at a process's exit the kernel closes its fds. unlink removes the name,
// not the file: an open fd keeps the inode, and a new file at the same path gets a new inode number. pids are
// per actor; an exited or killed actor's pid is gone from /proc.
// Paths are absolute; ".", ".." and symlinks are not resolved. Directories are not opened (EISDIR).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "world/loop.hpp"  // FileIdentity
#include "world/result.hpp"

namespace xenrace {

using Pid = std::int32_t;

// open(2) flags honoured besides the implied O_RDWR (the Linux values).
inline constexpr int kOCreat = 0100;
inline constexpr int kOExcl = 0200;
inline constexpr int kOTrunc = 01000;

// flock(2) operations (the Linux values). EWOULDBLOCK is EAGAIN on Linux.
inline constexpr int kLockSh = 1;
inline constexpr int kLockEx = 2;
inline constexpr int kLockNb = 4;
inline constexpr int kLockUn = 8;

// fcntl(2) whole-file record locks: the lock type (F_RDLCK, F_WRLCK, F_UNLCK) and the command.
enum class RecordLock : std::uint8_t { read, write, unlock };
enum class LockCmd : std::uint8_t { setlk, setlkw };  // F_SETLK: EAGAIN when held; F_SETLKW: wait
inline const char* to_string(RecordLock l) {
  return l == RecordLock::read ? "F_RDLCK" : l == RecordLock::write ? "F_WRLCK" : "F_UNLCK";
}

// A process's open file descriptor. Closed by close() or when the process exits.
struct Fd {
  std::int32_t id = -1;
  bool valid() const { return id >= 0; }
};

// stat(2), reduced to what lock code compares.
struct FileStat {
  FileIdentity id;  // st_dev, st_ino
  bool directory = false;
  std::uint64_t size = 0;
  std::uint32_t nlink = 0;  // 0: the file was unlinked and lives on through open fds
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // open(path, O_RDWR | flags). ENOENT: no such file (without O_CREAT) or no parent directory; EEXIST:
  // O_CREAT|O_EXCL and the path exists; EISDIR: a directory.
  virtual Result<Fd> open(std::string_view path, int flags) = 0;
  // close(2): drops the fd's flock, and every fcntl lock of this process on the file. EBADF.
  virtual Errno close(Fd fd) = 0;
  // flock(2): LOCK_SH or LOCK_EX, with LOCK_NB EWOULDBLOCK instead of blocking; LOCK_UN. A conflicting
  // request blocks the caller inside the call. Converting a held lock first drops it (not atomic, as Linux).
  // EBADF; EINVAL for another operation.
  virtual Errno flock(Fd fd, int operation) = 0;
  // fcntl(fd, F_SETLK/F_SETLKW, {type, SEEK_SET, 0, 0}): a lock on the whole file, owned by the process.
  // F_SETLK: EAGAIN when another process holds a conflicting one; F_SETLKW blocks, and says EDEADLK when
  // waiting would close a cycle of waiting processes. EBADF.
  virtual Errno fcntl_lock(Fd fd, LockCmd cmd, RecordLock type) = 0;
  // read(2) of at most `max` bytes from the fd's offset; write(2) at the fd's offset. EBADF.
  virtual Result<std::string> read(Fd fd, std::size_t max) = 0;
  virtual Errno write(Fd fd, std::string_view data) = 0;
  // stat(2) and fstat(2). ENOENT; EBADF.
  virtual Result<FileStat> stat(std::string_view path) = 0;
  virtual Result<FileStat> fstat(Fd fd) = 0;
  // mkdir(2): EEXIST when the path exists, ENOENT when its parent does not. rmdir(2): ENOENT, ENOTDIR,
  // ENOTEMPTY. unlink(2): ENOENT, EISDIR.
  virtual Errno mkdir(std::string_view path) = 0;
  virtual Errno rmdir(std::string_view path) = 0;
  virtual Errno unlink(std::string_view path) = 0;
  // rename(2): atomically replaces `to` (the replaced file lives on through its open fds). ENOENT (no `from`,
  // or no parent of `to`), EISDIR (a file onto a directory), ENOTDIR (a directory onto a file), ENOTEMPTY (onto
  // a non-empty directory), EINVAL (a directory into itself).
  virtual Errno rename(std::string_view from, std::string_view to) = 0;

  // getpid(2) of the calling actor (setup code: the harness's own pid). Not a visible operation.
  virtual Pid pid() = 0;
  // Whether /proc/<pid> exists: the process has not exited or been killed.
  virtual bool process_exists(Pid pid) = 0;
};

}  // namespace xenrace
