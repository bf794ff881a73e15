// Errors are values at the World boundary: the errno codes the real interfaces give (ENOENT, EAGAIN,
// EEXIST, ENODEV, EBUSY...), so the same actor code handles simulated and real results.
#pragma once
#include <cerrno>
#include <string>
#include <utility>

namespace xenrace {

using Errno = int;  // 0 on success

template <class T>
struct Result {
  Errno err = 0;
  T value{};
  bool ok() const { return err == 0; }
  static Result success(T v) { return Result{0, std::move(v)}; }
  static Result error(Errno e) { return Result{e, T{}}; }
};

// "ENOENT", "EAGAIN", ... as xenstored's wire protocol and strerrorname_np spell them; "OK" for 0.
const char* errno_name(Errno e);
// The inverse, for names read from the wire or a config; returns -1 for an unknown name.
Errno errno_from_name(const std::string& name);

}  // namespace xenrace
