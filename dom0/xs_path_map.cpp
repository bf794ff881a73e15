#include "dom0/xs_path_map.hpp"

#include <stdexcept>

namespace xenrace::dom0 {


XsPathMap::XsPathMap(std::string prefix) : prefix_(std::move(prefix)) {
  if (prefix_.size() < 2 || prefix_[0] != '/' || prefix_.back() == '/')
    throw std::invalid_argument("xenstore prefix must be absolute without a trailing '/': '" + prefix_ + "'");
}

std::string XsPathMap::to_host(std::string_view p, unsigned home) const {
  if (p.empty()) return prefix_ + "/";  // let the daemon reject it as it would the original
  if (p[0] == '@') return std::string(p);
  if (p == "/") return prefix_;
  if (p[0] == '/') return prefix_ + std::string(p);
  // xenstored resolves a relative path against the connection's implicit path, /local/domain/<domid>.
  return prefix_ + "/local/domain/" + std::to_string(home) + "/" + std::string(p);
}

std::optional<std::string> XsPathMap::to_scenario(std::string_view h) const {
  if (!h.empty() && h[0] == '@') return std::string(h);
  if (h == prefix_) return std::string("/");
  if (h.size() > prefix_.size() && h.compare(0, prefix_.size(), prefix_) == 0 && h[prefix_.size()] == '/')
    return std::string(h.substr(prefix_.size()));
  return std::nullopt;
}

}  // namespace xenrace::dom0
