// Where a scenario's XenStore paths live on a real host. A dom0 run never writes outside its own subtree
// (e.g. /local/domain/0/xenrace/RUN-ID): the scenario's absolute path /a/b becomes PREFIX/a/b, a relative
// path (relative to /local/domain/0 on a dom0 socket connection, as xenstored resolves it) becomes
// PREFIX/local/domain/0/... (PREFIX/local/domain/N/... on a simulated guest N's connection), and watch
// events come back with the prefix stripped. Special paths (@releaseDomain, @introduceDomain) are global
// and pass through unchanged: watching them only observes.
//
// Redirects are the one exception: a kernel driver watches a fixed real path (xen-blkback probes
// /local/domain/0/backend/vbd/<domid>/<devid>), so with --blkback real the scenario's backend directory is
// redirected to a real backend directory the run made for itself (backends/dom0/real_vbd.hpp). Only the redirected
// directory and what is below it leave the subtree; its parents stay in the run's subtree.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xenrace::dom0 {

class XsPathMap {
 public:
  explicit XsPathMap(std::string prefix);  // absolute, no trailing '/'
  const std::string& prefix() const { return prefix_; }
  // `home`: the domain whose implicit path (/local/domain/<home>) a relative path is resolved against;
  // 0 for a dom0 socket connection, N for a simulated guest driver's connection.
  std::string to_host(std::string_view scenario_path, unsigned home = 0) const;
  // nullopt: a host path outside the run's subtree (the scenario never sees it).
  std::optional<std::string> to_scenario(std::string_view host_path) const;

  // From now on the scenario's absolute `scenario_dir` (and below) is the host's `host_dir` (and below).
  void redirect(std::string scenario_dir, std::string host_dir);
  // The scenario path as an absolute path (relative ones resolve below /local/domain/<home>).
  static std::string absolute(std::string_view scenario_path, unsigned home = 0);

 private:
  std::string prefix_;
  std::vector<std::pair<std::string, std::string>> redirects_;  // (scenario dir, host dir)
};

}  // namespace xenrace::dom0
