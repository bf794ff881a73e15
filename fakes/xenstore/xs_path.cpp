#include "fakes/xenstore/xs_path.hpp"

namespace xenrace::xs {

std::string implicit_path(unsigned domid) { return "/local/domain/" + std::to_string(domid); }

namespace {
bool valid_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/' ||
         c == '_' || c == '@';
}

// Length counted as xenstored's domain_max_chk(ACC_PATHLEN) does: after "/local/domain/<id>/".
std::size_t counted_length(std::string_view p) {
  constexpr std::string_view local = "/local/domain/";
  if (p.substr(0, local.size()) != local) return p.size();
  std::size_t i = local.size(), digits = 0;
  while (i < p.size() && p[i] >= '0' && p[i] <= '9' && digits < 5) ++i, ++digits;
  if (digits == 0 || i >= p.size() || p[i] != '/') return p.size();
  return p.size() - (i + 1);
}
}  // namespace

Errno canonicalize(std::string_view path, std::string_view implicit, bool allow_special, std::size_t path_max,
                   std::string& out) {
  out.clear();
  if (!path.empty() && (path[0] == '/' || (path[0] == '@' && allow_special))) {
    out.append(path);
  } else {
    out.append(implicit);
    out.push_back('/');
    out.append(path);
  }
  if (out[0] != '/' && !(allow_special && out[0] == '@')) return EINVAL;
  if (out.size() > 1 && out.back() == '/') return EINVAL;
  if (out.find("//") != std::string::npos) return EINVAL;
  // Every connection, privileged or not, is held to XENSTORE_ABS_PATH_MAX (a 3117-character path from a
  // dom0 socket gets EINVAL from C xenstored: docs/fidelity.md, S2); the per-domain quota comes on top.
  if (out.size() > kAbsPathMax) return EINVAL;
  if (path_max != 0 && counted_length(out) > path_max) return EINVAL;
  for (char c : out)
    if (!valid_char(c)) return EINVAL;
  return 0;
}

bool is_special(std::string_view path) { return !path.empty() && path[0] == '@'; }

bool is_child(std::string_view child, std::string_view parent) {
  if (is_special(parent) || is_special(child)) return child == parent;
  std::size_t len = parent.size();
  if (len > 0 && parent[len - 1] == '/') --len;  // "/" itself
  return child.size() >= len && child.substr(0, len) == parent.substr(0, len) &&
         (child.size() == len || child[len] == '/');
}

std::string_view parent_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string_view::npos) return "/";
  return path.substr(0, slash);
}

std::string_view basename_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace xenrace::xs
