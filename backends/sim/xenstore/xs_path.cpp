#include "backends/sim/xenstore/xs_path.hpp"

namespace xenrace::xs {

std::string implicit_path(unsigned domid) { return "/local/domain/" + std::to_string(domid); }

namespace {
bool valid_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/' ||
         c == '_' || c == '@';
}

// The characters is_valid_nodename does not count: "/local/domain/<id>/" as sscanf("%5u/") matches it
// (an optional sign and digits, five characters at most, then '/'); 0 for other paths.
std::size_t local_offset(std::string_view p) {
  constexpr std::string_view local = "/local/domain/";
  if (p.substr(0, local.size()) != local) return 0;
  std::size_t i = local.size(), width = 0, digits = 0;
  if (i < p.size() && (p[i] == '-' || p[i] == '+')) ++i, ++width;
  while (i < p.size() && width < 5 && p[i] >= '0' && p[i] <= '9') ++i, ++width, ++digits;
  if (digits == 0 || i >= p.size() || p[i] != '/') return 0;
  return i + 1;
}
}  // namespace

void plain_canonical(std::string_view path, std::string_view implicit, std::string& out) {
  out.clear();
  if (!path.empty() && (path[0] == '/' || path[0] == '@')) {
    out.append(path);
  } else {
    out.append(implicit);
    out.push_back('/');
    out.append(path);
  }
}

Errno node_path(std::string_view path, std::string_view implicit, std::size_t path_max, std::string& out) {
  plain_canonical(path, implicit, out);
  if (out[0] != '/') return EINVAL;
  if (out.size() > 1 && out.back() == '/') return EINVAL;
  if (out.size() > local_offset(out) + path_max) return EINVAL;
  char previous = '\0';
  for (char c : out) {  // valid_chars and no "//", in one pass: every request runs this
    if (!valid_char(c) || (c == '/' && previous == '/')) return EINVAL;
    previous = c;
  }
  return 0;
}

Errno watch_path(std::string_view path, std::string_view implicit, std::size_t path_max, std::string& out) {
  if (is_special(path)) {
    out.assign(path);
    return path.size() > path_max ? EINVAL : 0;
  }
  return node_path(path, implicit, path_max, out);
}

bool is_special(std::string_view path) { return !path.empty() && path[0] == '@'; }

bool is_child(std::string_view child, std::string_view parent) {
  if (parent == "/") return true;
  return child.size() >= parent.size() && child.substr(0, parent.size()) == parent &&
         (child.size() == parent.size() || child[parent.size()] == '/');
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
