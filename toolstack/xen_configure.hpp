// A Xen tree's files as they would be installed, without configuring Xen. What Xen's `configure` does to a
// source tree's .in files (tools/hotplug/Linux/*.in, systemd/*.in) is done here with Debian 12's values: each
// @KEY@ becomes its value. A key xenrace does not know is an error naming the file and the key, never left in
// a script or unit. "$@" and the like are not keys (a key is letters and underscores only).
#pragma once
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace xenrace {

// Debian 12's xen 4.17 (its installed hotplugpath.sh, and the libdir and unit paths of its build).
inline constexpr std::pair<std::string_view, std::string_view> kDebianXenConfigure[] = {
    {"sbindir", "/usr/sbin"},
    {"bindir", "/usr/bin"},
    {"LIBEXEC", "/usr/lib/xen-4.17"},
    {"LIBEXEC_BIN", "/usr/lib/xen-4.17/bin"},
    {"libdir", "/usr/lib/x86_64-linux-gnu"},
    {"SHAREDIR", "/usr/share"},
    {"XENFIRMWAREDIR", "/usr/lib/xen-4.17/boot"},
    {"XEN_CONFIG_DIR", "/etc/xen"},
    {"CONFIG_DIR", "/etc"},
    {"CONFIG_LEAF_DIR", "default"},
    {"XEN_SCRIPT_DIR", "/etc/xen/scripts"},
    {"XEN_LOCK_DIR", "/var/lock"},
    {"XEN_RUN_DIR", "/var/run/xen"},
    {"XEN_PAGING_DIR", "/var/lib/xen/xenpaging"},
    {"XEN_DUMP_DIR", "/var/lib/xen/dump"},
    {"XEN_LOG_DIR", "/var/log/xen"},
    {"XEN_LIB_DIR", "/var/lib/xen"},
    {"XEN_RUN_STORED", "/var/run/xenstored"},
};

// `text` (read from `from`, named in errors) with every @KEY@ replaced.
inline std::string xen_configured(std::string_view text, std::string_view from) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t open = text.find('@', at);
    const std::size_t close = open == std::string_view::npos ? open : text.find('@', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view key = text.substr(open + 1, close - open - 1);
    const bool is_key = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    });
    if (!is_key) {
      out.append(text, at, open + 1 - at);
      at = open + 1;
      continue;
    }
    const auto* found = std::find_if(std::begin(kDebianXenConfigure), std::end(kDebianXenConfigure),
                                     [key](const auto& kv) { return kv.first == key; });
    if (found == std::end(kDebianXenConfigure))
      throw std::runtime_error(fmt::format("{} has @{}@, a configure value xenrace does not know (Debian 12's values "
                                           "are in toolstack/xen_configure.hpp)",
                                           from, key));
    out.append(text, at, open - at);
    out += found->second;
    at = close + 1;
  }
  out.append(text, at, std::string_view::npos);
  return out;
}

// The text of `file`, configured when its name ends in .in; nothing when it cannot be read.
inline std::optional<std::string> xen_file_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return file.extension() == ".in" ? xen_configured(text.str(), file.string()) : text.str();
}

// A file the hotplug scripts source that `configure` makes: an installed /etc/xen/scripts has it, a source
// tree's tools/hotplug/Linux has the .in file it is made of, at this path relative to the scripts.
inline constexpr std::pair<const char*, const char*> kMadeHotplugFiles[] = {
    {"xen-hotplug-common.sh", "xen-hotplug-common.sh.in"}, {"hotplugpath.sh", "../common/hotplugpath.sh.in"}};

// Where `scripts` has the made file `made` (one of kMadeHotplugFiles): itself, else its .in source.
inline std::filesystem::path hotplug_script_source(const std::filesystem::path& scripts, std::string_view made) {
  for (const auto& [name, source] : kMadeHotplugFiles)
    if (name == made && !std::filesystem::exists(scripts / name)) return scripts / source;
  return scripts / made;
}

// What a directory lacks to run Xen's block script, in words, or "" when it has everything: block and
// locking.sh, and each made file or its .in source.
inline std::string missing_hotplug_scripts(const std::filesystem::path& scripts) {
  std::string missing;
  auto lacks = [&missing](std::string what) { missing += (missing.empty() ? "" : ", ") + what; };
  for (const char* name : {"block", "locking.sh"})
    if (!std::filesystem::is_regular_file(scripts / name)) lacks(name);
  for (const auto& [made, source] : kMadeHotplugFiles)
    if (!std::filesystem::is_regular_file(hotplug_script_source(scripts, made)))
      lacks(fmt::format("{} (or its source, {})", made, source));
  return missing;
}

}  // namespace xenrace
