// LoopDevices on this machine's kernel, for the differential test: each call is the one real ioctl or sysfs
// read. Backing-file paths are names inside a scratch directory ("/a" -> <scratch>/a), so the same
// operation sequence can name the same files on the fake and on the host. It tracks every fd it opened and
// closes them when destroyed; it never touches a loop device the caller did not name.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "world/loop.hpp"

namespace xenrace::testing {

class RealLoop final : public LoopDevices {
 public:
  explicit RealLoop(std::string scratch_dir);
  ~RealLoop() override;

  Result<int> get_free() override;
  Result<int> add(int index) override;
  Errno remove(int index) override;
  Result<LoopFd> open(int index) override;
  Errno close(LoopFd fd) override;
  Errno configure(LoopFd fd, std::string_view backing_file, std::uint32_t flags) override;
  Errno set_fd(LoopFd fd, std::string_view backing_file) override;
  Errno set_status_flags(LoopFd fd, std::uint32_t flags) override;
  Result<LoopStatus> get_status(LoopFd fd) override;
  Errno clr_fd(LoopFd fd) override;
  Result<std::uint64_t> fd_diskseq(LoopFd fd) override;
  Result<std::uint64_t> diskseq(int index) override;
  Result<std::string> backing_file(int index) override;
  Result<std::vector<int>> find_by_file(std::string_view path) override;
  Errno create_file(std::string_view path) override;
  Result<FileIdentity> stat_file(std::string_view path) override;

  // Closes every descriptor this object still has open (the process "exits").
  void close_all();
  const std::set<int>& owned() const { return owned_; }

 private:
  std::string real_path(std::string_view name) const;
  int os_fd(LoopFd fd) const;
  Errno bind(LoopFd fd, std::string_view path, std::uint32_t flags, bool configure);

  std::string scratch_;
  int control_ = -1;
  std::vector<int> fds_;  // LoopFd.id -> OS fd, -1 once closed
  std::set<int> owned_;   // indexes this object added: the only ones find_by_file looks at
};

}  // namespace xenrace::testing
