// Whether a test can use the host's loop driver, and why not: the reason a test skips with.
#pragma once
#include <unistd.h>

#include <string>

namespace xenrace::dom0 {

inline std::string why_no_host_loop() {
  if (::geteuid() != 0) return "needs root for /dev/loop-control";
  if (::access("/dev/loop-control", R_OK | W_OK) != 0) return "no /dev/loop-control (loop driver absent)";
  return {};
}

}  // namespace xenrace::dom0
