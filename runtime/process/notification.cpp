#include "runtime/process/notification.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace xenrace::process {

NotifyChannel::NotifyChannel(int listener_fd) : fd_(listener_fd) {
  if (seccomp_notify_alloc(&req_, &resp_) != 0) {
    ::close(fd_);
    throw std::runtime_error("process actors: seccomp_notify_alloc failed");
  }
}

NotifyChannel::~NotifyChannel() {
  seccomp_notify_free(req_, resp_);
  ::close(fd_);
}

std::optional<Notification> NotifyChannel::receive() {
  for (;;) {
    // The kernel wants the request zeroed.
    std::memset(req_, 0, sizeof(*req_));
    const int rc = seccomp_notify_receive(fd_, req_);
    if (rc == -EINTR) continue;
    if (rc != 0) return std::nullopt;  // -ENOENT: the process died while its notification was queued
    Notification n;
    n.id = req_->id;
    n.pid = static_cast<pid_t>(req_->pid);
    n.nr = req_->data.nr;
    for (std::size_t i = 0; i < n.args.size(); ++i) n.args[i] = req_->data.args[i];
    return n;
  }
}

bool NotifyChannel::valid(std::uint64_t id) const { return seccomp_notify_id_valid(fd_, id) == 0; }

bool NotifyChannel::send(std::uint64_t id, std::int64_t value, int error, std::uint32_t flags) {
  std::memset(resp_, 0, sizeof(*resp_));
  resp_->id = id;
  resp_->val = value;
  resp_->error = error != 0 ? -error : 0;
  resp_->flags = flags;
  return seccomp_notify_respond(fd_, resp_) == 0;
}

bool NotifyChannel::respond_continue(std::uint64_t id) { return send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE); }

bool NotifyChannel::respond(std::uint64_t id, std::int64_t value, int error) { return send(id, value, error, 0); }

bool NotifyChannel::install_fd(std::uint64_t id, int source, int target, bool cloexec) {
  seccomp_notif_addfd add{};
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SETFD;
  add.srcfd = static_cast<std::uint32_t>(source);
  add.newfd = static_cast<std::uint32_t>(target);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  return add_fd(add);
}

bool NotifyChannel::respond_with_fd(std::uint64_t id, int source, bool cloexec) {
  seccomp_notif_addfd add{};
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<std::uint32_t>(source);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  return add_fd(add);
}

bool NotifyChannel::add_fd(seccomp_notif_addfd& add) {
  for (;;) {
    if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

}  // namespace xenrace::process
