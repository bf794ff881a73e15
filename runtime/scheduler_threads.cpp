// OS-thread mode of the Scheduler: the same actor API (yield, wait, notify_all, choose, at_exit) with real
// threads, so a dom0 run sees the interleavings the OS produces by itself. One lock (Threads::actor_lock)
// is held while an actor runs its own code: scenario state shared between actors stays as race-free as
// under fibers, and the races that remain are the ones between visible operations — the ones a scenario
// models. Real system calls run outside the lock (IoWindow), so they overlap for real.
#include <cstring>

#include "runtime/scheduler_threads.hpp"

namespace xenrace {
namespace {

// The lock the current actor thread holds, so yield/wait/IoWindow can release and retake it.
thread_local std::unique_lock<std::mutex>* tl_actor_lock = nullptr;

}  // namespace

void Scheduler::use_os_threads() {
  if (!actors_.empty()) throw std::logic_error("use_os_threads() must come before the first spawn");
  threads_ = std::make_unique<Threads>();
}

void Scheduler::enter_thread(ActorId id) {
  current_ = id;
  running_ = true;
  now_ = static_cast<VirtualTime>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - threads_->start).count());
}

void Scheduler::leave_thread() {
  running_ = false;
  current_ = kNoActor;
}

ActorId Scheduler::spawn_thread(std::unique_ptr<Actor> a) {
  runnable_ |= actor_bit(a->id);
  if (a->kind == ActorKind::process) ++live_processes_;
  actors_.push_back(std::move(a));
  Actor& child = *actors_.back();
  // Spawned by a running actor (which holds the lock): the thread starts at once and waits for the lock.
  if (threads_->started) threads_->threads.emplace_back([this, &child] { thread_main(child); });
  return child.id;
}

void Scheduler::thread_main(Actor& a) {
  std::unique_lock<std::mutex> lock(threads_->actor_lock);
  tl_actor_lock = &lock;
  enter_thread(a.id);
  actor_main(&a);  // runs the body, catches what it throws, finish()es
  // The actor's last step ends here: count it and check the invariants, as the fiber loop does.
  if (!a.unwinding && !stop_) {
    ++steps_;
    leave_thread();
    if (threads_->after_step) threads_->after_step();
  }
  leave_thread();
  tl_actor_lock = nullptr;
  threads_->wake.notify_all();
}

void Scheduler::yield_thread() {
  if (!in_actor() || !tl_actor_lock) return;
  Actor& a = *actors_[current_];
  if (a.exiting) return;
  const ActorId me = current_;
  ++steps_;
  leave_thread();  // invariant checks are harness code, not the actor's
  if (threads_->after_step) threads_->after_step();
  if (steps_ >= threads_->max_steps) {
    threads_->hit_step_limit = true;
    stop_ = true;
  }
  if (stop_) threads_->wake.notify_all();
  tl_actor_lock->unlock();
  std::this_thread::yield();
  tl_actor_lock->lock();
  enter_thread(me);
  if (a.unwinding || stop_) {
    a.unwinding = true;
    throw ActorUnwind{};
  }
  if (a.kill_requested && !a.exiting) throw ActorKilled{};
}

bool Scheduler::wait_thread(WaitQueue& q, std::string_view what, VirtualTime timeout) {
  Actor& a = *actors_[current_];
  if (a.exiting) return false;
  const ActorId me = current_;
  const std::size_t n = std::min(what.size(), a.what.size() - 1);
  std::memcpy(a.what.data(), what.data(), n);
  a.what[n] = '\0';
  a.state = State::blocked;
  a.timed_out = false;
  a.waiting_on = &q;
  a.deadline = timeout == kForever ? kForever : now_ + timeout;
  runnable_ &= ~actor_bit(a.id);
  q.waiters |= actor_bit(a.id);
  leave_thread();
  threads_->wake.notify_all();  // run() rechecks for completion or deadlock
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout == kForever ? 0 : timeout);
  while (a.state == State::blocked && !a.unwinding && !stop_ && !a.kill_requested) {
    if (timeout == kForever) {
      threads_->wake.wait(*tl_actor_lock);
    } else if (threads_->wake.wait_until(*tl_actor_lock, until) == std::cv_status::timeout &&
               a.state == State::blocked) {
      a.timed_out = true;
      break;
    }
  }
  if (a.state == State::blocked) {  // timed out, or the execution is ending
    if (a.waiting_on) a.waiting_on->waiters &= ~actor_bit(a.id);
    a.waiting_on = nullptr;
    a.deadline = kForever;
    a.state = State::runnable;
    runnable_ |= actor_bit(a.id);
  }
  enter_thread(me);
  if (a.unwinding || stop_) {
    a.unwinding = true;
    throw ActorUnwind{};
  }
  if (a.kill_requested && !a.exiting) throw ActorKilled{};
  return !a.timed_out;
}

RunEnd Scheduler::run_threads(std::uint64_t max_steps, const std::function<void()>& after_step) {
  std::unique_lock<std::mutex> lock(threads_->actor_lock);
  threads_->after_step = after_step;
  threads_->max_steps = max_steps;
  threads_->start = std::chrono::steady_clock::now();
  threads_->started = true;
  for (auto& a : actors_) {
    Actor* actor = a.get();
    threads_->threads.emplace_back([this, actor] { thread_main(*actor); });
  }
  RunEnd end = RunEnd::completed;
  for (;;) {
    if (stop_) {
      end = threads_->hit_step_limit ? RunEnd::step_limit : RunEnd::stopped;
      break;
    }
    // runnable_ holds every actor not finished and not blocked (running, or inside a system call).
    if (runnable_ == 0) {
      if (live_processes_ == 0) break;
      bool timer_pending = false;
      for (const auto& a : actors_)
        timer_pending |= a->state == State::blocked && a->deadline != kForever;
      if (!timer_pending) {
        end = RunEnd::deadlock;
        threads_->blocked_at_end = blocked_processes();
        break;
      }
    }
    threads_->wake.wait(lock);
  }
  lock.unlock();
  // Ending here, not in unwind_all(), means the caller reads a quiet execution: no actor thread runs.
  join_threads();
  return end;
}

void Scheduler::join_threads() {
  {
    std::lock_guard<std::mutex> lock(threads_->actor_lock);
    for (auto& a : actors_)
      if (a->state != State::finished) a->unwinding = true;
    threads_->wake.notify_all();
  }
  for (auto& t : threads_->threads)
    if (t.joinable()) t.join();
  threads_->threads.clear();
  current_ = kNoActor;
  running_ = false;
}

Scheduler::IoWindow::IoWindow(Scheduler& s) {
  if (!s.threads_ || !tl_actor_lock || !s.in_actor()) return;
  sched_ = &s;
  actor_ = s.current_;
  s.leave_thread();
  tl_actor_lock->unlock();
}

Scheduler::IoWindow::~IoWindow() {
  if (!sched_) return;
  tl_actor_lock->lock();
  sched_->enter_thread(actor_);
}

}  // namespace xenrace
