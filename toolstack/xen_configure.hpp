// What Xen's `configure` does to a source tree's .in files (tools/hotplug/Linux/*.in, systemd/*.in), done
// with Debian 12's values, so a patched checkout runs as it would be installed without configuring Xen: each
// @KEY@ becomes its value. A key xenrace does not know is an error naming the file and the key, never left
// in a script or unit. "$@" and the like are not keys (a key is letters and underscores only).
#pragma once
#include <algorithm>
#include <iterator>
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

}  // namespace xenrace
