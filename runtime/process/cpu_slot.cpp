#include "runtime/process/cpu_slot.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <string>

namespace xenrace::process {

CpuClaim claim_free_cpu(const cpu_set_t& allowed, std::string_view prefix) {
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    const std::string name = std::string(prefix) + std::to_string(cpu);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (name.size() + 1 > sizeof(addr.sun_path)) return {};
    name.copy(addr.sun_path + 1, name.size());  // sun_path[0] stays '\0': the abstract namespace
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) return {cpu, fd};
    close(fd);
  }
  return {};
}

void keep_process_actors_on_one_cpu() {
  // Per process, not per program run: a forked explore worker finds its parent's claim and makes its own.
  static pid_t pinned_in = 0;
  static int claim_fd = -1;
  static cpu_set_t allowed;  // as this process, or the first of its ancestors to call this, found it
  const pid_t self = getpid();
  if (pinned_in == self) return;
  if (claim_fd >= 0) {
    close(claim_fd);  // the parent's: it keeps its CPU while it lives
    claim_fd = -1;
  }
  if (pinned_in == 0 && sched_getaffinity(0, sizeof(allowed), &allowed) != 0) CPU_ZERO(&allowed);
  pinned_in = self;
  if (CPU_COUNT(&allowed) <= 1) return;
  const CpuClaim claim = claim_free_cpu(allowed);
  claim_fd = claim.fd;
  const int cpu = claim.cpu >= 0 ? claim.cpu : sched_getcpu();  // every CPU claimed: stay where we are
  if (cpu < 0 || !CPU_ISSET(cpu, &allowed)) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  sched_setaffinity(0, sizeof(one), &one);
}

}  // namespace xenrace::process
