#include "runtime/process/remote_memory.hpp"

#include <sys/uio.h>

#include <cstring>

namespace xenrace::process {

bool read_remote(pid_t pid, std::uint64_t addr, void* out, std::size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(static_cast<std::uintptr_t>(addr)), len};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

bool write_remote(pid_t pid, std::uint64_t addr, const void* data, std::size_t len) {
  iovec local{const_cast<void*>(data), len};
  iovec remote{reinterpret_cast<void*>(static_cast<std::uintptr_t>(addr)), len};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

std::optional<std::string> read_remote_string(pid_t pid, std::uint64_t addr, std::size_t max) {
  std::string out;
  constexpr std::uint64_t kPage = 4096;
  while (out.size() < max) {
    // Never read across a page boundary in one go: the next page may be unmapped.
    const std::uint64_t chunk = std::min<std::uint64_t>(kPage - (addr % kPage), max - out.size());
    char buf[kPage];
    if (!read_remote(pid, addr, buf, chunk)) return std::nullopt;
    if (const void* nul = std::memchr(buf, '\0', chunk)) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return out;
    }
    out.append(buf, chunk);
    addr += chunk;
  }
  return std::nullopt;
}

}  // namespace xenrace::process
