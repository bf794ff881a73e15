// Internal to the Scheduler: the state of OS-thread mode (see Scheduler::use_os_threads).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/scheduler.hpp"

namespace xenrace {

struct Scheduler::Threads {
  std::mutex actor_lock;             // held by whichever actor runs its own code; released at scheduling points
  std::condition_variable wake;      // blocked actors and the waiting run() recheck their state on it
  std::vector<std::thread> threads;  // one per actor, started by run() (or at spawn once running)
  std::function<void()> after_step;
  std::uint64_t max_steps = 0;
  bool started = false;
  bool hit_step_limit = false;
  std::vector<std::string> blocked_at_end;  // a deadlock's blocked processes, before they were unwound
  std::chrono::steady_clock::time_point start;
};

}  // namespace xenrace
