// XenStore path rules, as C xenstored applies them to every request (tools/xenstored/core.c:
// canonicalize, is_valid_nodename, valid_chars; domain.c: get_implicit_path).
//
//   canonicalize("/a/b", prefix "/local/domain/0")      -> "/a/b"
//   canonicalize("backend/vbd", prefix "/local/domain/0")  -> "/local/domain/0/backend/vbd"
//   canonicalize("@releaseDomain", allow_special)       -> "@releaseDomain"
//   canonicalize("@releaseDomain", !allow_special)      -> "/local/domain/0/@releaseDomain" (then ENOENT)
//   "" -> EINVAL (becomes "/local/domain/0/", which ends in '/'); "/a/" -> EINVAL; "/a//b" -> EINVAL;
//   "/a b" -> EINVAL (allowed characters: A-Z a-z 0-9 - / _ @); "/" -> "/".
//   Unprivileged connections only: more than path_max characters after "/local/domain/<id>/" -> EINVAL.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "world/result.hpp"

namespace xenrace::xs {

inline constexpr std::size_t kAbsPathMax = 3072;  // XENSTORE_ABS_PATH_MAX in xs_wire.h

// "/local/domain/<domid>": the implicit path relative paths hang from.
std::string implicit_path(unsigned domid);

// Writes the canonical absolute path into `out` and returns 0, or EINVAL. `path_max` 0: no length limit
// (privileged connections and the dom0 socket have none).
Errno canonicalize(std::string_view path, std::string_view implicit, bool allow_special, std::size_t path_max,
                   std::string& out);

bool is_special(std::string_view path);  // "@introduceDomain", "@releaseDomain"
// True when `child` is `parent` or below it ("/" is above everything). Special paths match exactly only.
bool is_child(std::string_view child, std::string_view parent);
// "/a/b" -> "/a"; "/a" -> "/".
std::string_view parent_of(std::string_view path);
// "/a/b" -> "b".
std::string_view basename_of(std::string_view path);

}  // namespace xenrace::xs
