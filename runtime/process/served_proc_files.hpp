// Files of /proc that process actors with loop devices (ProcessOptions::loop) read from the simulated dom0, not
// from the host. Their /dev is the execution's own (loop_host_view.hpp), so the host's mount table would name
// nodes there that are simulated devices: a host that has /dev/loop3 mounted (a snap's squashfs, say) would make
// the block script's check_sharing see the simulated loop3 as mounted in dom0, and the run would depend on the
// machine. The supervisor answers an open of one of these paths with a sealed memory file holding the simulated
// content. Nothing in the simulator mounts a device, so the table is fixed: it changes in no step.
#pragma once
#include <optional>
#include <string_view>

namespace xenrace::process {

// The content served for `path` (an absolute path as the program passed it), or nullopt when the path is not
// served: /proc/mounts, /proc/self/mounts, /proc/thread-self/mounts, /proc/<pid>/mounts and /etc/mtab (the link
// to /proc/self/mounts); and /proc/self/mountinfo, /proc/thread-self/mountinfo and /proc/<pid>/mountinfo, the
// same mounts as libmount reads them.
std::optional<std::string_view> served_proc_file(std::string_view path);

// Makes a read-only memory file holding `content`, positioned at its start: what an open of a served path gets.
// -errno on failure.
int make_served_file(std::string_view content);

}  // namespace xenrace::process
