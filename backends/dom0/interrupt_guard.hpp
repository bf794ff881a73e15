// Turns SIGINT and SIGTERM into a cleanup: while a guard lives, the two signals are blocked in every thread
// (threads started later inherit the mask) and a watcher thread waits for them on a signalfd. On a signal
// it runs `on_signal` in an ordinary thread context — no async-signal-safety limits, so it can undo the
// ledger with libxenstore and ioctls — and then ends the process with 128+signal, as the shell expects.
#pragma once
#include <functional>
#include <thread>

#include <signal.h>

namespace xenrace::dom0 {

class Dom0Session;

class InterruptGuard {
 public:
  explicit InterruptGuard(std::function<void(int signo)> on_signal);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  std::function<void(int)> on_signal_;
  sigset_t old_mask_{};
  int signal_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: tells the watcher to end with the guard
  std::thread watcher_;
};

// The guard every real-host command holds while `session` lives: on SIGINT/SIGTERM it stops new creations,
// waits for those in flight, undoes the session's ledger and says so on stderr. Declare it after the session,
// so it ends (and its watcher thread with it) before the session does.
InterruptGuard undo_ledger_on_interrupt(Dom0Session& session);

}  // namespace xenrace::dom0
