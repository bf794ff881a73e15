// One seccomp listener's notifications: receiving a held system call and answering it, through libseccomp's
// notify API (which sizes the kernel's structures for us). A held process waits in the kernel until its
// notification is answered: with CONTINUE (the call runs as it would have), or with an emulated result.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include <sys/types.h>

struct seccomp_notif;
struct seccomp_notif_resp;
struct seccomp_notif_addfd;

namespace xenrace::process {

struct Notification {
  std::uint64_t id = 0;
  pid_t pid = 0;  // in the supervisor's pid namespace; never traced
  int nr = -1;    // system call number (native architecture)
  std::array<std::uint64_t, 6> args{};
};

class NotifyChannel {
 public:
  // Takes ownership of the listener fd.
  explicit NotifyChannel(int listener_fd);
  ~NotifyChannel();
  NotifyChannel(const NotifyChannel&) = delete;
  NotifyChannel& operator=(const NotifyChannel&) = delete;

  int fd() const { return fd_; }
  // The next notification; blocks when none is waiting (poll fd() first). nullopt when the process that
  // made it died before it was read.
  std::optional<Notification> receive();
  // True while the notification's process is still held (it was not killed meanwhile).
  bool valid(std::uint64_t id) const;
  // Lets the call run as the program made it. False when the process is gone.
  bool respond_continue(std::uint64_t id);
  // Answers for the kernel: the call returns `value`, or fails with `error` (a positive errno) when non-zero.
  bool respond(std::uint64_t id, std::int64_t value, int error);
  // Puts a duplicate of our `source` at fd number `target` of the held process (replacing what was there, as
  // dup2 would; close-on-exec when `cloexec`). The call stays held. False (errno set) when that failed.
  bool install_fd(std::uint64_t id, int source, int target, bool cloexec);
  // Answers the held call with a new fd of the process, a duplicate of our `source` (SECCOMP_ADDFD_FLAG_SEND:
  // the fd is added and the call returns its number in one step, as open(2) would). False (errno set) when
  // that failed; the call is then still held.
  bool respond_with_fd(std::uint64_t id, int source, bool cloexec);

 private:
  bool send(std::uint64_t id, std::int64_t value, int error, std::uint32_t flags);
  bool add_fd(seccomp_notif_addfd& add);  // SECCOMP_IOCTL_NOTIF_ADDFD, retried on EINTR
  int fd_;
  seccomp_notif* req_ = nullptr;
  seccomp_notif_resp* resp_ = nullptr;
};

}  // namespace xenrace::process
