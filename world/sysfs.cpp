#include "world/sysfs.hpp"

#include <charconv>

#include "world/loop.hpp"
#include "world/mdev.hpp"
#include "world/pci.hpp"
#include "world/world.hpp"

namespace xenrace {
namespace {

// Splits "/sys/a/b/c" into its components after the prefix `under` ("" when it is not below it).
std::vector<std::string_view> parts_below(std::string_view path, std::string_view under) {
  std::vector<std::string_view> out;
  if (!path.starts_with(under)) return out;
  path.remove_prefix(under.size());
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

// "loop7" -> 7, else -1.
int loop_index(std::string_view name) {
  if (!name.starts_with("loop") || name.size() == 4) return -1;
  int index = -1;
  auto [end, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), index);
  return ec == std::errc() && end == name.data() + name.size() ? index : -1;
}

std::string_view strip_newline(std::string_view v) {
  if (!v.empty() && v.back() == '\n') v.remove_suffix(1);
  return v;
}

template <class T>
Result<std::string> lined(const Result<T>& r, std::string (*text)(const T&)) {
  if (!r.ok()) return Result<std::string>::error(r.err);
  return Result<std::string>::success(text(r.value) + "\n");
}

}  // namespace

Result<std::string> Sysfs::read(std::string_view path) {
  if (auto p = parts_below(path, "/sys/block/"); !p.empty()) {
    const int index = loop_index(p[0]);
    if (index < 0) return Result<std::string>::error(ENOENT);
    if (p.size() == 3 && p[1] == "loop" && p[2] == "backing_file")
      return lined<std::string>(world_.loop().backing_file(index), [](const std::string& s) { return s; });
    if (p.size() == 2 && p[1] == "diskseq")
      return lined<std::uint64_t>(world_.loop().diskseq(index), [](const std::uint64_t& v) { return std::to_string(v); });
    return Result<std::string>::error(ENOENT);
  }
  if (auto p = parts_below(path, "/sys/bus/mdev/devices/"); p.size() == 2) {
    if (p[1] == "remove") return Result<std::string>::error(EACCES);  // write-only (0200)
    if (p[1] == "mdev_parent")
      return lined<std::string>(world_.mdev().device_parent(p[0]), [](const std::string& s) { return s; });
    return Result<std::string>::error(ENOENT);
  }
  if (auto p = parts_below(path, "/sys/bus/pci/drivers/pciback/"); p.size() == 1) {
    if (p[0] == "slots") {
      auto r = world_.pci().slots();
      if (!r.ok()) return Result<std::string>::error(r.err);
      std::string out;
      for (const auto& s : r.value) out += s + "\n";
      return Result<std::string>::success(out);
    }
    if (p[0] == "new_slot" || p[0] == "remove_slot" || p[0] == "bind" || p[0] == "unbind")
      return Result<std::string>::error(EACCES);
    return Result<std::string>::error(ENOENT);
  }
  if (auto p = parts_below(path, "/sys/bus/pci/devices/"); p.size() == 2 && p[1] == "driver") {
    auto r = world_.pci().driver(p[0]);
    if (r.ok() && r.value.empty()) return Result<std::string>::error(ENOENT);  // no driver: no link
    return lined<std::string>(r, [](const std::string& s) { return s; });
  }
  if (path.starts_with("/sys/class/mdev_bus/") && path.ends_with("/create")) return Result<std::string>::error(EACCES);
  return Result<std::string>::error(ENOENT);
}

Errno Sysfs::write(std::string_view path, std::string_view value) {
  value = strip_newline(value);
  if (auto p = parts_below(path, "/sys/class/mdev_bus/");
      p.size() == 4 && p[1] == "mdev_supported_types" && p[3] == "create")
    return world_.mdev().write_create(p[0], p[2], value);
  if (auto p = parts_below(path, "/sys/bus/mdev/devices/"); p.size() == 2 && p[1] == "remove")
    return world_.mdev().write_remove(p[0], value);
  if (auto p = parts_below(path, "/sys/bus/pci/drivers/pciback/"); p.size() == 1) {
    if (p[0] == "new_slot") return world_.pci().new_slot(value);
    if (p[0] == "remove_slot") return world_.pci().remove_slot(value);
    if (p[0] == "bind") return world_.pci().bind(value);
    if (p[0] == "slots") return EACCES;  // read-only (0400)
    return ENOENT;
  }
  if (auto p = parts_below(path, "/sys/bus/pci/devices/"); p.size() == 3 && p[1] == "driver" && p[2] == "unbind")
    return world_.pci().unbind(p[0]);
  if (auto p = parts_below(path, "/sys/block/"); !p.empty() && loop_index(p[0]) >= 0)
    return (p.size() == 2 && p[1] == "diskseq") || (p.size() == 3 && p[2] == "backing_file") ? EACCES : ENOENT;
  return ENOENT;
}

Result<std::vector<std::string>> Sysfs::list(std::string_view dir) {
  if (strip_newline(dir) == "/sys/bus/mdev/devices" || dir == "/sys/bus/mdev/devices/")
    return Result<std::vector<std::string>>::success(world_.mdev().list_devices());
  return Result<std::vector<std::string>>::error(ENOENT);
}

}  // namespace xenrace
