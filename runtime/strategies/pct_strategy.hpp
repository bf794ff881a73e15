// pct(seed, depth): Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// ASPLOS 2010). Each actor gets a random distinct priority; the highest-priority runnable actor runs;
// at d-1 randomly chosen steps the running actor's priority drops below every initial one. Change point i
// (i = 1..d-1) is drawn uniformly over the steps and carries priority i whatever its place in time, as in
// the paper: the first demotion in time is not always the lowest, so a demoted actor can run again before
// an actor demoted after it. A bug of
// depth d is found with probability at least 1/(n k^(d-1)) per execution for n actors and k steps.
// k is learned: the largest step count of the executions before, among the first kLearnFrom (16 until one
// has been seen; too large an estimate puts the change points past the end of short executions, and they
// never fire). Only the first kLearnFrom, not every execution so far, so that execution i depends on (seed,
// i) and at most those: a shard that starts at i runs them first, then exactly the executions an unsharded
// search runs there (learns_from_first).
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
  static constexpr std::uint64_t kLearnFrom = 16;
  std::uint64_t learns_from_first() const override { return kLearnFrom; }

 private:
  std::uint64_t seed_;
  unsigned depth_;
  std::uint64_t index_ = 0;       // the execution running now
  std::uint64_t step_bound_ = 0;  // the most steps of the first kLearnFrom executions seen; 0: none yet
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
