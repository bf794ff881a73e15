#include "backends/dom0/interrupt_guard.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/dom0_session.hpp"

namespace xenrace::dom0 {

InterruptGuard::InterruptGuard(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &mask, &old_mask_) != 0) throw std::runtime_error("cannot block SIGINT/SIGTERM");
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (signal_fd_ < 0 || stop_fd_ < 0) {
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    throw std::runtime_error("cannot watch SIGINT/SIGTERM (signalfd/eventfd failed)");
  }
  watcher_ = std::thread([this] {
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      signalfd_siginfo info{};
      if (::read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
      const int signo = static_cast<int>(info.ssi_signo);
      on_signal_(signo);
      ::_exit(128 + signo);
    }
  });
}

InterruptGuard::~InterruptGuard() {
  const std::uint64_t one = 1;
  if (::write(stop_fd_, &one, sizeof one) < 0) {
  }
  if (watcher_.joinable()) watcher_.join();
  ::close(signal_fd_);
  ::close(stop_fd_);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

InterruptGuard undo_ledger_on_interrupt(Dom0Session& session) {
  return InterruptGuard([&session](int signo) {
    session.ledger().close_and_drain(10000);
    const CleanupReport report = clean_up_ledger(session.ledger_path());
    std::cerr << fmt::format("xenrace: interrupted by signal {} ({} before it); ", signo, session.tally())
              << format_cleanup(report);
  });
}

}  // namespace xenrace::dom0
