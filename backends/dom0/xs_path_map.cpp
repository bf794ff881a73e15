#include "backends/dom0/xs_path_map.hpp"

#include <stdexcept>

namespace xenrace::dom0 {

namespace {

// `path` is `dir` or below it: the rest ("" or "/x/y"), else nullopt.
std::optional<std::string_view> below(std::string_view path, std::string_view dir) {
  if (path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) return std::nullopt;
  if (path.size() > dir.size() && path[dir.size()] != '/') return std::nullopt;
  return path.substr(dir.size());
}
}  // namespace

std::string XsPathMap::absolute(std::string_view p, unsigned home) {
  if (p.empty() || p[0] == '/' || p[0] == '@') return std::string(p);
  // xenstored resolves a relative path against the connection's implicit path, /local/domain/<domid>.
  return "/local/domain/" + std::to_string(home) + "/" + std::string(p);
}

void XsPathMap::redirect(std::string scenario_dir, std::string host_dir) {
  if (scenario_dir.size() < 2 || scenario_dir[0] != '/' || scenario_dir.back() == '/' || host_dir.size() < 2 ||
      host_dir[0] != '/' || host_dir.back() == '/')
    throw std::invalid_argument("a redirect needs two absolute paths without a trailing '/'");
  redirects_.emplace_back(std::move(scenario_dir), std::move(host_dir));
}

XsPathMap::XsPathMap(std::string prefix) : prefix_(std::move(prefix)) {
  if (prefix_.size() < 2 || prefix_[0] != '/' || prefix_.back() == '/')
    throw std::invalid_argument("xenstore prefix must be absolute without a trailing '/': '" + prefix_ + "'");
}

std::string XsPathMap::to_host(std::string_view p, unsigned home) const {
  if (p.empty()) return prefix_ + "/";  // let the daemon reject it as it would the original
  if (p[0] == '@') return std::string(p);
  if (!redirects_.empty()) {
    const std::string abs = absolute(p, home);
    for (const auto& [from, to] : redirects_)
      if (auto rest = below(abs, from)) return to + std::string(*rest);
  }
  if (p == "/") return prefix_;
  return prefix_ + absolute(p, home);
}

std::optional<std::string> XsPathMap::to_scenario(std::string_view h) const {
  if (!h.empty() && h[0] == '@') return std::string(h);
  for (const auto& [from, to] : redirects_)
    if (auto rest = below(h, to)) return from + std::string(*rest);
  if (h == prefix_) return std::string("/");
  if (h.size() > prefix_.size() && h.compare(0, prefix_.size(), prefix_) == 0 && h[prefix_.size()] == '/')
    return std::string(h.substr(prefix_.size()));
  return std::nullopt;
}

}  // namespace xenrace::dom0
