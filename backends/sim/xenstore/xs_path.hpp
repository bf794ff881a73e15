// XenStore path rules, as C xenstored 4.17 applies them to every request (tools/xenstore/
// xenstored_core.c: canonicalize, is_valid_nodename, valid_chars; xenstored_watch.c: check_watch_path;
// xenstored_domain.c: get_implicit_path).
//
//   node_path("/a/b", implicit "/local/domain/0")         -> "/a/b"
//   node_path("backend/vbd", implicit "/local/domain/0")  -> "/local/domain/0/backend/vbd"
//   node_path("@releaseDomain") or ("@foo")               -> EINVAL: only "/"-rooted paths name nodes
//   "" -> EINVAL (becomes "/local/domain/0/", which ends in '/'); "/a/" -> EINVAL; "/a//b" -> EINVAL;
//   "/a b" -> EINVAL (allowed characters: A-Z a-z 0-9 - / _ @); "/" -> "/".
//   Length, for every connection (quota_max_path_len, 2048): more characters than that after
//   "/local/domain/<id>/", or after nothing for other paths -> EINVAL.
//   watch_path("@anything") -> as it is, up to 2048 characters; other watch paths as node_path.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "world/result.hpp"

namespace xenrace::xs {

// "/local/domain/<domid>": the implicit path relative paths hang from.
std::string implicit_path(unsigned domid);

// canonicalize + is_valid_nodename: the canonical absolute path into `out` and 0, or EINVAL.
Errno node_path(std::string_view path, std::string_view implicit, std::size_t path_max, std::string& out);
// check_watch_path: as node_path, except that "@" names are taken as they are.
Errno watch_path(std::string_view path, std::string_view implicit, std::size_t path_max, std::string& out);
// canonicalize alone (UNWATCH): relative paths prefixed, nothing checked.
void plain_canonical(std::string_view path, std::string_view implicit, std::string& out);

bool is_special(std::string_view path);  // starts with '@'
// watch.c is_child: true when `child` is `parent` or below it ("/" is above everything).
bool is_child(std::string_view child, std::string_view parent);
// "/a/b" -> "/a"; "/a" -> "/".
std::string_view parent_of(std::string_view path);
// "/a/b" -> "b".
std::string_view basename_of(std::string_view path);

}  // namespace xenrace::xs
