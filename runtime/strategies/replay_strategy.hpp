// replay(schedule): re-makes the recorded decisions; every decision not recorded takes the default
// (keep running the current actor; value 0). diverged() tells whether a recorded actor was not runnable
// when its turn came, which means the program or the token does not match.
#pragma once
#include "runtime/schedule.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {

class ReplayStrategy final : public Strategy {
 public:
  explicit ReplayStrategy(Schedule schedule) : schedule_(std::move(schedule)) {}
  std::string_view name() const override { return "replay"; }
  void begin_execution(std::uint64_t) override {
    next_ = 0;
    index_ = 0;
    diverged_ = false;
  }
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override;
  bool diverged() const { return diverged_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  const Decision* take();

  Schedule schedule_;
  std::size_t next_ = 0;      // next explicit decision
  std::uint32_t index_ = 0;   // decisions asked so far
  bool diverged_ = false;
};

}  // namespace xenrace
