#include "backends/sim/fs/sim_file_system.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "world/visible_op.hpp"

namespace xenrace {
namespace {

template <std::size_t N, class... A>
std::string_view format_into(char (&buf)[N], fmt::format_string<A...> format, A&&... a) {
  const auto r = fmt::format_to_n(buf, N, format, std::forward<A>(a)...);
  return {buf, std::min(r.size, N)};
}

std::string_view open_flags(int flags) {
  switch (flags & (kOCreat | kOExcl | kOTrunc)) {
    case 0: return "O_RDWR";
    case kOCreat: return "O_RDWR|O_CREAT";
    case kOCreat | kOExcl: return "O_RDWR|O_CREAT|O_EXCL";
    case kOCreat | kOTrunc: return "O_RDWR|O_CREAT|O_TRUNC";
    case kOCreat | kOExcl | kOTrunc: return "O_RDWR|O_CREAT|O_EXCL|O_TRUNC";
    case kOTrunc: return "O_RDWR|O_TRUNC";
    default: return "O_RDWR|O_EXCL";
  }
}

std::string_view flock_op(int op) {
  switch (op) {
    case kLockSh: return "LOCK_SH";
    case kLockEx: return "LOCK_EX";
    case kLockUn: return "LOCK_UN";
    case kLockSh | kLockNb: return "LOCK_SH|LOCK_NB";
    case kLockEx | kLockNb: return "LOCK_EX|LOCK_NB";
    case kLockUn | kLockNb: return "LOCK_UN|LOCK_NB";
    default: return "(invalid)";
  }
}

std::string_view fcntl_args(LockCmd cmd, RecordLock type) {
  const bool wait = cmd == LockCmd::setlkw;
  switch (type) {
    case RecordLock::read: return wait ? "F_SETLKW F_RDLCK" : "F_SETLK F_RDLCK";
    case RecordLock::write: return wait ? "F_SETLKW F_WRLCK" : "F_SETLK F_WRLCK";
    case RecordLock::unlock: return wait ? "F_SETLKW F_UNLCK" : "F_SETLK F_UNLCK";
  }
  return "?";
}

// flock's result as flock(1) and the man page name it.
std::string_view flock_result(Errno e) { return e == EWOULDBLOCK ? "EWOULDBLOCK" : errno_name(e); }

}  // namespace

SimFileSystem::SimFileSystem(Execution& ex) : ex_(ex), processes_(ex.sched()) {}

std::string_view SimFileSystem::fd_args(Fd fd, std::string_view extra) {
  const OpenFile* f = fd.id >= 0 && static_cast<std::size_t>(fd.id) < files_.all().size()
                          ? &files_.all()[static_cast<std::size_t>(fd.id)]
                          : nullptr;
  if (extra.empty()) return format_into(args_, "fd{} {}", fd.id, f ? std::string_view(f->path) : "?");
  return format_into(args_, "fd{} {} {}", fd.id, f ? std::string_view(f->path) : "?", extra);
}

std::string_view SimFileSystem::stat_text(const Result<FileStat>& r) {
  if (!r.ok()) return errno_name(r.err);
  return format_into(result_, "ino {}{}{}", r.value.id.ino, r.value.directory ? " dir" : "",
                     r.value.nlink == 0 ? " (unlinked)" : "");
}

Result<Fd> SimFileSystem::open(std::string_view path, int flags) {
  return visible_op(ex_, "fs.open", [&] { return format_into(args_, "{} {}", path, open_flags(flags)); }, [&] {
    Inode* inode = tree_.lookup(path);
    if (inode && (flags & kOCreat) && (flags & kOExcl)) return Result<Fd>::error(EEXIST);
    if (!inode) {
      if (!(flags & kOCreat)) return Result<Fd>::error(ENOENT);
      auto created = tree_.create_file(path);
      if (!created.ok()) return Result<Fd>::error(created.err);
      inode = created.value;
    }
    if (inode->directory) return Result<Fd>::error(EISDIR);
    if (flags & kOTrunc) inode->data.clear();
    const int slot = processes_.current_slot();
    const Fd fd = files_.add(slot, normal_path(path), inode->ino);
    // The kernel closes a process's fds when it exits: its flocks and record locks go with them.
    if (processes_.take_exit_hook()) ex_.sched().at_exit([this, slot] { exit_process(slot); });
    return Result<Fd>::success(fd);
  }, [this](const Result<Fd>& r) -> std::string_view {
    return r.ok() ? format_into(result_, "fd{}", r.value.id) : std::string_view(errno_name(r.err));
  });
}

void SimFileSystem::close_file(std::int32_t id, OpenFile& f) {
  f.open = false;
  Inode& inode = tree_.inode(f.ino);
  flock_release(ex_, inode.flock, id, f.flock);
  // POSIX: closing any fd of a process on a file drops every record lock the process holds on it.
  record_unlock(ex_, inode.records, f.slot);
}

void SimFileSystem::exit_process(int slot) {
  waits_.on[slot] = nullptr;  // killed inside F_SETLKW
  auto& all = files_.all();
  for (std::size_t id = 0; id < all.size(); ++id) {
    OpenFile& f = all[id];
    if (!f.open || f.slot != slot) continue;
    close_file(static_cast<std::int32_t>(id), f);
    note_event(ex_, "fs.close", fd_args(Fd{static_cast<std::int32_t>(id)}, "(at exit)"), "OK");
  }
}

Errno SimFileSystem::close(Fd fd) {
  return visible_op(ex_, "fs.close", [&] { return fd_args(fd); }, [&]() -> Errno {
    OpenFile* f = find(fd);
    if (!f) return EBADF;
    close_file(fd.id, *f);
    return 0;
  });
}

Errno SimFileSystem::flock(Fd fd, int operation) {
  return visible_op(ex_, "fs.flock", [&] { return fd_args(fd, flock_op(operation)); }, [&]() -> Errno {
    OpenFile* f = find(fd);
    if (!f) return EBADF;
    Inode& inode = tree_.inode(f->ino);
    const int base = operation & ~kLockNb;
    if (base == kLockUn) {
      flock_release(ex_, inode.flock, fd.id, f->flock);
      return 0;
    }
    if (base != kLockSh && base != kLockEx) return EINVAL;
    return flock_acquire(ex_, inode.flock, fd.id, f->flock, base == kLockEx ? FlockMode::exclusive : FlockMode::shared,
                         (operation & kLockNb) != 0, format_into(waiting_, "flock {}", f->path));
  }, flock_result);
}

Errno SimFileSystem::fcntl_lock(Fd fd, LockCmd cmd, RecordLock type) {
  return visible_op(ex_, "fs.fcntl", [&] { return fd_args(fd, fcntl_args(cmd, type)); }, [&]() -> Errno {
    OpenFile* f = find(fd);
    if (!f) return EBADF;
    return record_lock(ex_, tree_.inode(f->ino).records, waits_, f->slot, cmd, type,
                       format_into(waiting_, "fcntl lock {}", f->path));
  });
}

Result<std::string> SimFileSystem::read(Fd fd, std::size_t max) {
  return visible_op(ex_, "fs.read", [&] { return fd_args(fd); }, [&] {
    OpenFile* f = find(fd);
    if (!f) return Result<std::string>::error(EBADF);
    const std::string& data = tree_.inode(f->ino).data;
    const std::size_t at = std::min<std::uint64_t>(f->offset, data.size());
    std::string out = data.substr(at, max);
    f->offset = at + out.size();
    return Result<std::string>::success(std::move(out));
  });
}

Errno SimFileSystem::write(Fd fd, std::string_view data) {
  return visible_op(ex_, "fs.write", [&] { return fmt::format("{} {:?}", fd_args(fd), data); }, [&]() -> Errno {
    OpenFile* f = find(fd);
    if (!f) return EBADF;
    std::string& contents = tree_.inode(f->ino).data;
    if (contents.size() < f->offset) contents.resize(f->offset, '\0');
    contents.replace(f->offset, std::min<std::size_t>(data.size(), contents.size() - f->offset), data);
    f->offset += data.size();
    return 0;
  });
}

Result<FileStat> SimFileSystem::stat(std::string_view path) {
  return visible_op(ex_, "fs.stat", path, [&] {
    const Inode* inode = tree_.lookup(path);
    return inode ? Result<FileStat>::success(FileTree::stat_of(*inode)) : Result<FileStat>::error(ENOENT);
  }, [this](const Result<FileStat>& r) { return stat_text(r); });
}

Result<FileStat> SimFileSystem::fstat(Fd fd) {
  return visible_op(ex_, "fs.fstat", [&] { return fd_args(fd); }, [&] {
    const OpenFile* f = find(fd);
    return f ? Result<FileStat>::success(FileTree::stat_of(tree_.inode(f->ino))) : Result<FileStat>::error(EBADF);
  }, [this](const Result<FileStat>& r) { return stat_text(r); });
}

Errno SimFileSystem::mkdir(std::string_view path) {
  return visible_op(ex_, "fs.mkdir", path, [&] { return tree_.mkdir(path); });
}
Errno SimFileSystem::rmdir(std::string_view path) {
  return visible_op(ex_, "fs.rmdir", path, [&] { return tree_.rmdir(path); });
}
Errno SimFileSystem::unlink(std::string_view path) {
  return visible_op(ex_, "fs.unlink", path, [&] { return tree_.unlink(path); });
}
Errno SimFileSystem::rename(std::string_view from, std::string_view to) {
  return visible_op(ex_, "fs.rename", [&] { return format_into(args_, "{} -> {}", from, to); },
                    [&] { return tree_.rename(from, to); });
}

bool SimFileSystem::process_exists(Pid pid) {
  return visible_op(ex_, "fs.process_exists", [&] { return format_into(args_, "/proc/{}", pid); },
                    [&] { return processes_.exists(pid); }, [](bool exists) { return exists ? "yes" : "no"; });
}

}  // namespace xenrace
