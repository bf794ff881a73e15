// The simulated file system's names and inodes: directories and small regular files, as the hotplug scripts'
// lock directories and lock files use them. A name points to an inode; unlink and rename move or drop names,
// never the inode an open fd holds (its nlink goes to 0 and it lives on). Inode numbers are never reused, so
// a file created again at the same path has a new one: what locking.sh's inode comparison detects.
//
// Worked examples (tests/fs/sim_file_system_test.cpp):
//  1. "/" is ino 2; mkdir /run and /run/xen-hotplug -> inos 3 and 4; the file /run/xen-hotplug/block -> ino 5;
//     unlink it and create it again -> ino 6, while an fd opened before keeps ino 5 (nlink 0).
//  2. mkdir("/run/d") twice -> EEXIST the second time; mkdir("/nope/d") -> ENOENT; rmdir of a directory with a
//     file in it -> ENOTEMPTY.
//  3. rename("/a", "/b") where /b exists: /b now names /a's inode, and the old /b inode has nlink 0.
// Paths are absolute and taken literally ("." and ".." are names like any other; no symlinks).
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "backends/sim/fs/flock_locks.hpp"
#include "backends/sim/fs/record_locks.hpp"
#include "world/file_system.hpp"
#include "world/result.hpp"

namespace xenrace {

struct Inode {
  std::uint64_t ino = 0;
  bool directory = false;
  std::uint32_t nlink = 0;  // names pointing to it: 0 once unlinked (open fds may still hold it)
  std::string data;
  FlockState flock;          // flock(2) locks on it (by open file)
  RecordLockState records;   // fcntl(2) locks on it (by process)
};

class FileTree {
 public:
  static constexpr std::uint64_t kDev = 0x1a;       // st_dev of the simulated file system
  static constexpr std::uint64_t kRootIno = 2;      // as ext4 and tmpfs number their root

  FileTree();

  // The inode a path names, or null. No allocation.
  Inode* lookup(std::string_view path);
  Inode& inode(std::uint64_t ino) { return inodes_[ino - kRootIno]; }

  // A new empty regular file at `path`: ENOENT when its parent is missing or not a directory, EEXIST when the
  // path exists.
  Result<Inode*> create_file(std::string_view path);
  Errno mkdir(std::string_view path);
  Errno rmdir(std::string_view path);
  Errno unlink(std::string_view path);
  Errno rename(std::string_view from, std::string_view to);

  static FileStat stat_of(const Inode& inode);

 private:
  Inode& new_inode(bool directory);
  // ENOENT or ENOTDIR when the parent of `path` is not an existing directory; 0 otherwise.
  Errno parent_ok(std::string_view path);
  bool has_children(std::string_view dir) const;
  void drop_name(std::map<std::string, std::uint64_t, std::less<>>::iterator it);

  std::deque<Inode> inodes_;  // inode `ino` is inodes_[ino - kRootIno]; a deque: waiters keep its address
  std::map<std::string, std::uint64_t, std::less<>> names_;  // absolute path -> ino
};

// "/run/x/" -> "/run/x"; "/" stays "/". No allocation.
std::string_view normal_path(std::string_view path);

}  // namespace xenrace
