// XenStore directories of a dom0 run that must live at real host paths instead of the run's subtree,
// because a kernel driver watches a fixed path (xen-blkback: /local/domain/0/backend/vbd/...). Whoever
// claims them (backends/dom0/real_blkback.hpp) creates each one, ledgered, before the scenario's first write into
// it, and adds the redirect to the store's path map. Values with host meaning are translated both ways.
#pragma once
#include <string>
#include <string_view>

#include "world/result.hpp"

namespace xenrace::dom0 {

class RealDirs {
 public:
  virtual ~RealDirs() = default;
  // Before a write or mkdir at the scenario's `path`: creates the real directory it falls in, if any and not
  // yet made. A non-zero errno fails the scenario's write with it.
  virtual Errno before_create(std::string_view path) = 0;
  // The value to write on the host for the scenario's `value` at `path` (e.g. the run's loop numbers as the
  // host's); an error fails the write.
  virtual Result<std::string> host_value(std::string_view path, std::string_view value) = 0;
  // What the scenario reads back for the host's `value` at `path`.
  virtual std::string scenario_value(std::string_view path, std::string_view value) = 0;
};

}  // namespace xenrace::dom0
