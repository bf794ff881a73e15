#include "backends/sim/fs/file_tree.hpp"

#include <vector>

namespace xenrace {

std::string_view normal_path(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

namespace {
std::string_view parent_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? std::string_view("/") : path.substr(0, slash);
}
bool absolute(std::string_view path) { return !path.empty() && path.front() == '/'; }
}  // namespace

FileTree::FileTree() {
  Inode& root = new_inode(true);
  root.nlink = 1;
  names_.emplace("/", root.ino);
}

Inode& FileTree::new_inode(bool directory) {
  Inode& i = inodes_.emplace_back();
  i.ino = kRootIno + inodes_.size() - 1;
  i.directory = directory;
  return i;
}

Inode* FileTree::lookup(std::string_view path) {
  path = normal_path(path);
  auto it = names_.find(path);
  return it == names_.end() ? nullptr : &inode(it->second);
}

Errno FileTree::parent_ok(std::string_view path) {
  if (!absolute(path) || path == "/") return path == "/" ? 0 : ENOENT;
  const Inode* parent = lookup(parent_of(path));
  if (!parent) return ENOENT;
  return parent->directory ? 0 : ENOTDIR;
}

bool FileTree::has_children(std::string_view dir) const {
  const std::string prefix = dir == "/" ? std::string("/") : std::string(dir) + "/";
  auto it = names_.upper_bound(prefix);  // the first name below `dir`, if it has one
  return it != names_.end() && std::string_view(it->first).starts_with(prefix);
}

Result<Inode*> FileTree::create_file(std::string_view path) {
  path = normal_path(path);
  if (Errno e = parent_ok(path)) return Result<Inode*>::error(e);
  if (names_.find(path) != names_.end()) return Result<Inode*>::error(EEXIST);
  Inode& i = new_inode(false);
  i.nlink = 1;
  names_.emplace(std::string(path), i.ino);
  return Result<Inode*>::success(&i);
}

Errno FileTree::mkdir(std::string_view path) {
  path = normal_path(path);
  if (names_.find(path) != names_.end()) return EEXIST;
  if (Errno e = parent_ok(path)) return e;
  Inode& i = new_inode(true);
  i.nlink = 1;
  names_.emplace(std::string(path), i.ino);
  return 0;
}

void FileTree::drop_name(std::map<std::string, std::uint64_t, std::less<>>::iterator it) {
  Inode& i = inode(it->second);
  if (i.nlink > 0) --i.nlink;
  names_.erase(it);
}

Errno FileTree::rmdir(std::string_view path) {
  path = normal_path(path);
  auto it = names_.find(path);
  if (it == names_.end()) return ENOENT;
  if (!inode(it->second).directory) return ENOTDIR;
  if (path == "/") return EBUSY;
  if (has_children(path)) return ENOTEMPTY;
  drop_name(it);
  return 0;
}

Errno FileTree::unlink(std::string_view path) {
  path = normal_path(path);
  auto it = names_.find(path);
  if (it == names_.end()) return ENOENT;
  if (inode(it->second).directory) return EISDIR;
  drop_name(it);
  return 0;
}

Errno FileTree::rename(std::string_view from, std::string_view to) {
  from = normal_path(from);
  to = normal_path(to);
  auto src = names_.find(from);
  if (src == names_.end()) return ENOENT;
  if (Errno e = parent_ok(to)) return e;
  const std::uint64_t ino = src->second;
  const bool dir = inode(ino).directory;
  if (dir && (to == from || (to.starts_with(from) && to[from.size()] == '/'))) return to == from ? 0 : EINVAL;
  auto dst = names_.find(to);
  if (dst != names_.end()) {
    if (dst->second == ino) return 0;  // two names of one file: nothing happens
    const Inode& old = inode(dst->second);
    if (dir && !old.directory) return ENOTDIR;
    if (!dir && old.directory) return EISDIR;
    if (old.directory && has_children(to)) return ENOTEMPTY;
    drop_name(dst);
  }
  if (dir) {  // the directory's whole subtree moves with it
    const std::string prefix = std::string(from) + "/";
    std::vector<std::pair<std::string, std::uint64_t>> moved;
    for (auto it = names_.lower_bound(prefix); it != names_.end() && it->first.starts_with(prefix);)
      moved.emplace_back(std::string(to) + it->first.substr(from.size()), it->second), it = names_.erase(it);
    for (auto& [name, i] : moved) names_.emplace(std::move(name), i);
  }
  names_.erase(src);
  names_.emplace(std::string(to), ino);
  return 0;
}

FileStat FileTree::stat_of(const Inode& inode) {
  FileStat s;
  s.id = FileIdentity{kDev, inode.ino};
  s.directory = inode.directory;
  s.size = inode.data.size();
  s.nlink = inode.nlink;
  return s;
}

}  // namespace xenrace
