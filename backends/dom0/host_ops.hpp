// Small wrappers over the host interfaces the dom0 backend touches directly, shared by the World
// components and by cleanup: each returns an errno (0 on success) and never throws.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xenrace::dom0 {

// Loop devices (drivers/block/loop.c). `index` N is /dev/loopN.
int loop_get_free(int& index);                                 // LOOP_CTL_GET_FREE on /dev/loop-control
int loop_remove(int index);                                    // LOOP_CTL_REMOVE
// LOOP_CONFIGURE (`configure`) or LOOP_SET_FD of `backing` on the open loop device `dev_fd`, as losetup does:
// the file is opened read-only when `flags` has LO_FLAGS_READ_ONLY, and LOOP_CONFIGURE passes its name (what
// LOOP_GET_STATUS64 reports later). The file descriptor is closed again: the device holds its own reference.
int loop_bind(int dev_fd, const std::string& backing, std::uint32_t flags, bool configure);
int loop_clear(int index);                                     // LOOP_CLR_FD
int loop_backing_file(int index, std::string& out);            // /sys/block/loopN/loop/backing_file; ENXIO unbound
int loop_diskseq(int index, std::uint64_t& out);               // /sys/block/loopN/diskseq
// Every loop device bound to a file directly in `dir` (a run's scratch directory), whoever bound it: (N, file
// without the " (deleted)" mark). Reads sysfs only; opens no device.
std::vector<std::pair<int, std::string>> loops_bound_in(const std::string& dir);
std::string loop_path(int index);                              // "/dev/loopN"
bool parse_loop_path(const std::string& path, int& index);     // "/dev/loopN" -> N

// sysfs attribute files: one write(2) or read of the whole file.
int write_file(const std::string& path, const std::string& text);
int read_file(const std::string& path, std::string& out);      // trailing newline removed

}  // namespace xenrace::dom0
