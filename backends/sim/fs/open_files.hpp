// The simulated file system's open files: one entry per fd, naming the process that holds it, the inode it
// refers to (kept alive by the fd after an unlink), the file offset and the fd's flock. Fd ids are never
// reused within an execution, so a stale fd is always EBADF.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "backends/sim/fs/flock_locks.hpp"
#include "world/file_system.hpp"

namespace xenrace {

struct OpenFile {
  int slot = -1;  // the process holding it (record_locks.hpp slots)
  std::string path;  // as opened: for the trace
  std::uint64_t ino = 0;
  std::uint64_t offset = 0;
  bool open = false;
  FlockMode flock = FlockMode::none;
};

class OpenFiles {
 public:
  Fd add(int slot, std::string_view path, std::uint64_t ino) {
    files_.push_back(OpenFile{slot, std::string(path), ino, 0, true, FlockMode::none});
    return Fd{static_cast<std::int32_t>(files_.size() - 1)};
  }
  // The open file behind `fd` if the calling process `slot` holds it open; else null (EBADF).
  OpenFile* find(Fd fd, int slot) {
    if (fd.id < 0 || static_cast<std::size_t>(fd.id) >= files_.size()) return nullptr;
    OpenFile& f = files_[static_cast<std::size_t>(fd.id)];
    return f.open && f.slot == slot ? &f : nullptr;
  }
  std::deque<OpenFile>& all() { return files_; }

 private:
  std::deque<OpenFile> files_;  // indexed by Fd::id; a deque: a blocked flock keeps its entry's address
};

}  // namespace xenrace
