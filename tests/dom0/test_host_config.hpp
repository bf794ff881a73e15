// The dom0 settings of a test: a consenting test host whose work directory (ledgers, backing files) is in the
// test's scratch directory, talking to `xenstored_socket` (empty: libxenstore's default daemon).
#pragma once
#include <string>

#include "backends/dom0/dom0_config.hpp"
#include "temp_dir.hpp"

namespace xenrace::dom0 {

inline Dom0Config test_host_config(const TempDir& dir, const std::string& xenstored_socket = {}) {
  Dom0Config c;
  c.test_host = true;
  c.work_dir = dir.path() + "/work";
  c.xenstored_path = xenstored_socket;
  return c;
}

}  // namespace xenrace::dom0
