// Stackful fibers for actors, on Boost.Context's fcontext (a few instructions per switch, no syscall,
// unlike ucontext's sigprocmask). Stacks come from a StackPool so a new execution allocates none.
#pragma once
#include <cstddef>
#include <vector>

#include <boost/context/detail/fcontext.hpp>

namespace xenrace {

// One mmap'd stack with a guard page below it, so an overflow faults instead of corrupting memory.
class Stack {
 public:
  explicit Stack(std::size_t usable_bytes);
  ~Stack();
  Stack(Stack&& other) noexcept;
  Stack& operator=(Stack&&) = delete;
  Stack(const Stack&) = delete;

  void* top() const { return static_cast<char*>(base_) + mapped_; }
  void* bottom() const { return static_cast<char*>(base_) + guard_; }
  std::size_t usable() const { return mapped_ - guard_; }

 private:
  void* base_ = nullptr;
  std::size_t mapped_ = 0;
  std::size_t guard_ = 0;
};

// Reuses stacks across executions: exploring thousands of interleavings must not mmap per actor.
class StackPool {
 public:
  explicit StackPool(std::size_t stack_bytes = default_stack_bytes());
  Stack acquire();
  void release(Stack stack);
  static std::size_t default_stack_bytes();

 private:
  std::size_t stack_bytes_;
  std::vector<Stack> free_;
};

// A fiber runs `entry(arg)` on its own stack. resume() switches into it from the scheduler;
// suspend() (called on the fiber's own stack) switches back. When entry returns, the fiber is done.
class Fiber {
 public:
  using Entry = void (*)(void* arg);

  Fiber(Stack stack, Entry entry, void* arg);
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  void resume();   // from the scheduler's stack
  void suspend();  // from the fiber's stack
  bool done() const { return done_; }
  Stack take_stack() { return std::move(stack_); }

 private:
  static void trampoline(boost::context::detail::transfer_t from);

  Stack stack_;
  Entry entry_;
  void* arg_;
  boost::context::detail::fcontext_t self_ = nullptr;    // where the fiber resumes
  boost::context::detail::fcontext_t caller_ = nullptr;  // where suspend() returns to
  bool done_ = false;
  // ASan bookkeeping for the switch annotations (unused in normal builds).
  void* asan_fake_stack_ = nullptr;
  const void* caller_stack_bottom_ = nullptr;
  std::size_t caller_stack_size_ = 0;
};

}  // namespace xenrace
