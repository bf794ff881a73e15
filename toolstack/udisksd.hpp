// udisksd setting up an installer ISO on a loop device, as a fiber actor: another loop user, outside Xen's
// hotplug lock. It finds a free device and binds the ISO to it, read-only, in three steps (get_free, open,
// configure) that may land between any two of a block script's (seed 004).
#pragma once
#include <string>

#include "runtime/execution.hpp"
#include "world/loop.hpp"

namespace xenrace {

inline constexpr const char* kUdisksIso = "/isos/install.iso";

// Creates the ISO in `loop`'s files and spawns the actor.
inline ActorId spawn_udisksd(Execution& ex, LoopDevices& loop) {
  loop.create_file(kUdisksIso);
  return ex.spawn("udisksd", [&loop] {
    const Result<int> index = loop.get_free();
    if (!index.ok()) return;
    const Result<LoopFd> fd = loop.open(index.value);
    if (!fd.ok()) return;
    loop.configure(fd.value, kUdisksIso, kLoFlagsReadOnly);
    loop.close(fd.value);
  });
}

}  // namespace xenrace
