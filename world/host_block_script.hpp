// The host's own block hotplug script (Xen's /etc/xen/scripts/block), for a scenario whose actor plays that
// script. Only a real host has one, and only when asked to use it (dom0: --block-script real); everywhere
// else World::host_block_script() is null and the scenario runs its model of the script's steps.
#pragma once
#include <string>
#include <string_view>

namespace xenrace {

class HostBlockScript {
 public:
  virtual ~HostBlockScript() = default;
  // `block add` for the vbd backend at the scenario's `backend_path`, as the toolstack runs it: one visible
  // operation. Returns "" when the script exited 0, else what failed (exit status, the script's own error
  // report and the tail of its output).
  virtual std::string add(std::string_view backend_path) = 0;
};

}  // namespace xenrace
