// replay(schedule): re-makes the recorded decisions; every decision not recorded takes the default
// (keep running the current actor; value 0). divergence() says whether, and where, the schedule did not fit
// the program: a recorded actor that was not runnable when its turn came, a recorded value of another kind
// or out of range, a recorded decision the execution never reached, or an execution that asked a different
// number of decisions than the recorded one. Any of these means the program or the token does not match.
#pragma once
#include <string>

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
    why_.clear();
  }
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override;
  // A recorded decision could not be made where it was met (the only check a host replay, whose decision
  // count may legitimately differ, relies on).
  bool diverged() const { return diverged_; }
  // After the execution: "" when every recorded decision was made where it was recorded and the execution
  // asked exactly as many decisions as the recorded one, else what did not fit.
  std::string divergence() const;
  // For an execution stopped half-way: only a recorded decision that could not be made where it was met.
  std::string divergence_so_far() const { return diverged_ ? why_ : std::string(); }
  std::uint32_t asked() const { return index_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  const Decision* take();
  void diverge(const Decision& d, const std::string& what);

  Schedule schedule_;
  std::size_t next_ = 0;      // next explicit decision
  std::uint32_t index_ = 0;   // decisions asked so far
  bool diverged_ = false;
  std::string why_;           // the first decision that did not fit
};

}  // namespace xenrace
