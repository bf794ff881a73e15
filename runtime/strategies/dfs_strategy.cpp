#include "runtime/strategies/dfs_strategy.hpp"

#include <bit>

#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {

void DfsStrategy::begin_execution(std::uint64_t index) {
  (void)index;
  pos_ = 0;
  spent_ = 0;
}

std::uint32_t DfsStrategy::next_ordinal(std::uint32_t options, bool preempting) {
  if (pos_ < path_.size()) {
    const Frame& f = path_[pos_++];
    // The program is deterministic, so the same prefix reaches the same choice; guard anyway.
    std::uint32_t ordinal = f.chosen < options ? f.chosen : 0;
    if (ordinal && f.preempting) ++spent_;
    return ordinal;
  }
  path_.push_back(Frame{0, options, preempting, spent_});
  ++pos_;
  return 0;
}

ActorId DfsStrategy::pick_actor(const PickContext& ctx) {
  const ActorId def = default_pick(ctx);
  const bool preempting = ctx.current != kNoActor && (ctx.runnable & actor_bit(ctx.current));
  const auto options = static_cast<std::uint32_t>(std::popcount(ctx.runnable));
  std::uint32_t ordinal = next_ordinal(options, preempting);
  if (ordinal == 0) return def;
  return nth_actor(ctx.runnable & ~actor_bit(def), ordinal - 1);
}

std::uint32_t DfsStrategy::pick_value(std::uint32_t n, ChoiceKind kind) {
  (void)kind;
  return next_ordinal(n, false);
}

void DfsStrategy::end_execution(std::uint64_t steps) {
  (void)steps;
  path_.resize(pos_);  // frames past where this execution stopped were never reached
  while (!path_.empty()) {
    Frame& f = path_.back();
    const bool can_advance = f.chosen + 1 < f.options && (!f.preempting || f.preemptions + 1 <= bound_);
    if (can_advance) {
      ++f.chosen;
      return;
    }
    path_.pop_back();
  }
  exhausted_ = true;
}

}  // namespace xenrace
