// Reading a held process's memory (process_vm_readv): the arguments a system call passes by pointer (exec's
// argv, sleep's timespec). The process is held at its notification while this runs; the caller checks the
// notification is still valid afterwards when the answer depends on what was read.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <sys/types.h>

namespace xenrace::process {

// Reads exactly `len` bytes at `addr`; false when any of them is unreadable.
bool read_remote(pid_t pid, std::uint64_t addr, void* out, std::size_t len);
// Writes exactly `len` bytes at `addr` (an ioctl's result structure); false when any of them is unwritable.
bool write_remote(pid_t pid, std::uint64_t addr, const void* data, std::size_t len);
// A NUL-terminated string at `addr`, at most `max` bytes; nullopt when unreadable or unterminated.
std::optional<std::string> read_remote_string(pid_t pid, std::uint64_t addr, std::size_t max = 4096);

}  // namespace xenrace::process
