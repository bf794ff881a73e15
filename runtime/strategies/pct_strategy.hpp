// pct(seed, depth): Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// ASPLOS 2010). Each actor gets a random distinct priority; the highest-priority runnable actor runs;
// at d-1 randomly chosen steps the running actor's priority drops below every initial one. Change point i
// (i = 1..d-1) is drawn uniformly over the steps and carries priority i whatever its place in time, as in
// the paper: the first demotion in time is not always the lowest, so a demoted actor can run again before
// an actor demoted after it. A bug of
// depth d is found with probability at least 1/(n k^(d-1)) per execution for n actors and k steps.
// k is learned from execution 0: its step count (16 for execution 0 itself; too large an estimate puts the
// change points past the end of short executions, and they never fire). Only execution 0, not every
// execution so far, so that execution i depends on (seed, i) and execution 0 alone: a shard that starts at
// i runs exactly the executions an unsharded search runs there (learns_from_execution_zero).
#pragma once
#include <array>
#include <vector>

#include "runtime/rng.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {

class PctStrategy final : public Strategy {
 public:
  PctStrategy(std::uint64_t seed, unsigned depth);
  std::string_view name() const override { return "pct"; }
  void begin_execution(std::uint64_t index) override;
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind) override { return rng_.below(n); }
  void end_execution(std::uint64_t steps) override;
  bool learns_from_execution_zero() const override { return true; }

 private:
  std::uint64_t seed_;
  unsigned depth_;
  std::uint64_t index_ = 0;       // the execution running now
  std::uint64_t step_bound_ = 0;  // execution 0's steps; 0 until it ended
  Rng rng_;
  ActorId prioritised_ = 0;  // actors [0, prioritised_) have a priority this execution
  std::array<std::uint64_t, kMaxActors> priority_{};
  struct ChangePoint {
    std::uint64_t step;      // the step at which the running actor is demoted...
    std::uint64_t priority;  // ...to this priority (1..d-1, all below the initial ones)
  };
  std::vector<ChangePoint> change_points_;  // sorted by step
  std::size_t next_change_ = 0;
};

}  // namespace xenrace
