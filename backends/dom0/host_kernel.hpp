// Which loop-driver models a real host's kernel actually runs, from its release string (uname -r). On a real
// host the kernel's own loop driver answers, so a variant that names a model the host's kernel does not
// match proves nothing there and is skipped with the reason.
//  - before_b90ecc0379eb: never (every host this backend runs on has the diskseq bump).
//  - v6_5, v6_11: always, as before: the host decides, and `xenrace compare` shows where it disagrees.
//  - v6_1: kernels 6.1 to 6.10, whose loop.c lets an open into a sole opener's LOOP_CLR_FD teardown (no
//    lo_open; 18048c1af783 in 6.11 added one that refuses Lo_rundown). 6.1.y needs the stable backport of
//    b90ecc0379eb (July 2023) too; "6.1.0-56-amd64" does not tell Debian's patch level, so that is not checked.
// The mdev core: per_parent_lock is v4.10 to v4.17, global_list v4.18 on (the 2018 "vfio/mdev: Check globally
// for duplicate devices"); an unreadable release runs neither as far as this can tell.
// Examples (tests/loop/host_kernel_test.cpp): ("6.1.0-56-amd64", v6_1) -> "" (runs);
// ("6.18.44-fc-v657", v6_1) -> a reason naming 6.18.44-fc-v657 and the model; ("6.10.3", v6_1) -> "";
// ("5.10.0-30-amd64", v6_1) -> a reason; ("6.18.44", v6_11) -> ""; ("garbage", v6_1) -> a reason;
// ("6.1.0", global_list) -> ""; ("6.1.0", per_parent_lock) -> a reason; ("4.14.0", per_parent_lock) -> "".
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "world/kernel.hpp"

namespace xenrace::dom0 {

// "6.1.0-56-amd64" -> {6, 1}; nullopt when the release does not start with major.minor.
std::optional<std::pair<int, int>> kernel_major_minor(std::string_view release);

// Empty when a host running kernel `release` behaves as `model` describes; else why the variant is skipped.
std::string host_cannot_run(LoopKernel model, std::string_view release);
std::string host_cannot_run(MdevCore model, std::string_view release);

}  // namespace xenrace
