// One CPU for the supervisor and its process trees (docs/process-actors.md, "One CPU").
//
// After it answers a held call, the supervisor spins in settle() (sched_yield, /proc reads) until the tree
// stops. On the tree's CPU, each yield hands the CPU to the processes it waits for; on another CPU the spin
// burns a core beside them, and every answer wakes a process across CPUs. Measured on a 2-vCPU machine
// (bench/README.md, "Process actors on one CPU").
//
// Which CPU: xenrace processes that run process actors at the same time (ctest -j, explore --jobs workers)
// each claim a different allowed CPU, by binding an abstract Unix socket named after it: the kernel frees the
// name when the process ends, however it ends, and nothing is left on disk. When every allowed CPU is claimed,
// the process stays on the CPU it is running on. The CPU changes how fast a tree runs, never what it does:
// settle() decides on what it sees, not on timing.
#pragma once
#include <sched.h>

#include <string_view>

namespace xenrace::process {

inline constexpr std::string_view kCpuClaimPrefix = "xenrace-process-actors-cpu-";

struct CpuClaim {
  int cpu = -1;  // -1: every CPU of the set is claimed by another holder
  int fd = -1;   // the bound socket; the claim lasts until it is closed
};

// The first CPU of `allowed` whose abstract socket name (`prefix` then the CPU's number) nobody holds, now
// held through the returned fd.
CpuClaim claim_free_cpu(const cpu_set_t& allowed, std::string_view prefix = kCpuClaimPrefix);

// Pins the calling thread, and so every process it forks from now on, to this process's CPU. The first call
// in a process claims the CPU and holds the claim for the process's life (one open fd); a forked child claims
// its own. Does nothing when one CPU is allowed, or when pinning fails (a cpuset that forbids it): then the
// trees run as before, only slower.
void keep_process_actors_on_one_cpu();

}  // namespace xenrace::process
