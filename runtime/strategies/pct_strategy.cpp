#include "runtime/strategies/pct_strategy.hpp"

#include <algorithm>

namespace xenrace {

PctStrategy::PctStrategy(std::uint64_t seed, unsigned depth) : seed_(seed), depth_(depth < 1 ? 1 : depth) {
  change_points_.reserve(depth_);
}

void PctStrategy::begin_execution(std::uint64_t index) {
  rng_.reseed(execution_seed(seed_, index));
  prioritised_ = 0;
  change_points_.clear();
  next_change_ = 0;
  index_ = index;
  const std::uint64_t k = step_bound_ ? step_bound_ : 16;
  for (unsigned i = 1; i < depth_; ++i) change_points_.push_back({rng_.next() % k, i});
  // Firing order is time order; each keeps the priority it was drawn with.
  std::stable_sort(change_points_.begin(), change_points_.end(),
                   [](const ChangePoint& a, const ChangePoint& b) { return a.step < b.step; });
}

void PctStrategy::end_execution(std::uint64_t steps) {
  if (index_ < kLearnFrom) step_bound_ = std::max(step_bound_, steps);
}

ActorId PctStrategy::pick_actor(const PickContext& ctx) {
  // Actors spawned since the last pick get a random initial priority above every change-point priority.
  for (; prioritised_ < ctx.actor_count; ++prioritised_)
    priority_[prioritised_] = (std::uint64_t{depth_} << 40) + (rng_.next() >> 24);
  auto highest = [&] {
    ActorId best = kNoActor;
    for (ActorMask m = ctx.runnable; m; m &= m - 1) {
      ActorId a = lowest_actor(m);
      if (best == kNoActor || priority_[a] > priority_[best]) best = a;
    }
    return best;
  };
  ActorId chosen = highest();
  while (next_change_ < change_points_.size() && change_points_[next_change_].step <= ctx.step) {
    // A change point demotes the actor about to run to its priority (below all initial priorities).
    priority_[chosen] = change_points_[next_change_++].priority;
    chosen = highest();
  }
  return chosen;
}

}  // namespace xenrace
