#include "runtime/fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <new>
#include <utility>

#if defined(XENRACE_SANITIZE) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define XENRACE_ASAN_FIBERS 1
#endif

namespace ctx = boost::context::detail;

namespace xenrace {

Stack::Stack(std::size_t usable_bytes) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  guard_ = page;
  mapped_ = ((usable_bytes + page - 1) / page) * page + guard_;
  base_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base_ == MAP_FAILED) throw std::bad_alloc();
  mprotect(base_, guard_, PROT_NONE);
}

Stack::~Stack() {
  if (base_) munmap(base_, mapped_);
}

Stack::Stack(Stack&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      guard_(std::exchange(other.guard_, 0)) {}

StackPool::StackPool(std::size_t stack_bytes) : stack_bytes_(stack_bytes) {}

std::size_t StackPool::default_stack_bytes() {
#ifdef XENRACE_ASAN_FIBERS
  return 1024 * 1024;  // ASan's redzones make frames several times larger
#else
  return 256 * 1024;
#endif
}

Stack StackPool::acquire() {
  if (free_.empty()) return Stack(stack_bytes_);
  Stack s = std::move(free_.back());
  free_.pop_back();
  return s;
}

void StackPool::release(Stack stack) {
  if (stack.usable() != 0) free_.push_back(std::move(stack));
}

Fiber::Fiber(Stack stack, Entry entry, void* arg) : stack_(std::move(stack)), entry_(entry), arg_(arg) {
  self_ = ctx::make_fcontext(stack_.top(), stack_.usable(), &Fiber::trampoline);
}

void Fiber::trampoline(ctx::transfer_t from) {
  auto* self = static_cast<Fiber*>(from.data);
#ifdef XENRACE_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(nullptr, &self->caller_stack_bottom_, &self->caller_stack_size_);
#endif
  self->caller_ = from.fctx;
  self->entry_(self->arg_);
  self->done_ = true;
#ifdef XENRACE_ASAN_FIBERS
  __sanitizer_start_switch_fiber(nullptr, self->caller_stack_bottom_, self->caller_stack_size_);
#endif
  ctx::jump_fcontext(self->caller_, nullptr);
  std::abort();  // a finished fiber is never resumed
}

void Fiber::resume() {
#ifdef XENRACE_ASAN_FIBERS
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, stack_.bottom(), stack_.usable());
#endif
  ctx::transfer_t t = ctx::jump_fcontext(self_, this);
#ifdef XENRACE_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  self_ = t.fctx;
}

void Fiber::suspend() {
#ifdef XENRACE_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&asan_fake_stack_, caller_stack_bottom_, caller_stack_size_);
#endif
  ctx::transfer_t t = ctx::jump_fcontext(caller_, nullptr);
#ifdef XENRACE_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(asan_fake_stack_, &caller_stack_bottom_, &caller_stack_size_);
#endif
  caller_ = t.fctx;
}

}  // namespace xenrace
