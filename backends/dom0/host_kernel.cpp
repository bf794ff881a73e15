#include "backends/dom0/host_kernel.hpp"

#include <charconv>

#include <fmt/format.h>

namespace xenrace::dom0 {
namespace {

bool number(std::string_view& s, int& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end == s.data()) return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

}  // namespace

std::optional<std::pair<int, int>> kernel_major_minor(std::string_view release) {
  int major = 0, minor = 0;
  if (!number(release, major) || release.empty() || release[0] != '.') return std::nullopt;
  release.remove_prefix(1);
  if (!number(release, minor)) return std::nullopt;
  return std::make_pair(major, minor);
}

std::string host_cannot_run(LoopKernel model, std::string_view release) {
  switch (model) {
    case LoopKernel::before_b90ecc0379eb:
      return "this variant models a kernel before b90ecc0379eb; the host runs its own kernel";
    case LoopKernel::v6_5:
    case LoopKernel::v6_11:
      return {};
    case LoopKernel::v6_1: {
      const auto v = kernel_major_minor(release);
      if (v && *v >= std::make_pair(6, 1) && *v < std::make_pair(6, 11)) return {};
      return fmt::format(
          "this variant models the loop driver of Linux 6.1 to 6.10 (an open gets into a sole opener's LOOP_CLR_FD "
          "teardown; 6.11's 18048c1af783 refuses it); the host runs {}",
          release.empty() ? "an unknown kernel" : std::string(release));
    }
  }
  return "unknown loop-driver model";
}

std::string host_cannot_run(MdevCore model, std::string_view release) {
  const auto v = kernel_major_minor(release);
  const bool global = v && *v >= std::make_pair(4, 18);
  const bool per_parent = v && *v >= std::make_pair(4, 10) && !global;
  if (model == MdevCore::global_list ? global : per_parent) return {};
  return fmt::format("this variant models the {} mdev core ({}); the host runs {}", to_string(model),
                     model == MdevCore::global_list ? "Linux 4.18 on" : "Linux 4.10 to 4.17",
                     release.empty() ? "an unknown kernel" : std::string(release));
}

}  // namespace xenrace
