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
  Frame f{0, options, preempting, spent_, false};
  if (shard_count_ > 1 && !split_seen_ && options > 1) {
    // The first branching node: this shard takes the options whose ordinal is shard_index_ mod shard_count_.
    split_seen_ = true;
    f.split = true;
    if (allowed(f, shard_index_)) {
      f.chosen = shard_index_;
    } else {
      in_shard_ = false;  // nothing here for this shard: finish this execution on the default and stop
    }
  }
  path_.push_back(f);
  ++pos_;
  if (f.chosen && f.preempting) ++spent_;
  return f.chosen;
}

ActorId DfsStrategy::pick_actor(const PickContext& ctx) {
  const ActorId def = default_pick(ctx);
  const bool preempting = running_actor(ctx) != kNoActor;  // any pick but the default preempts it
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
  // A tree without a branching node is one execution, and it belongs to the first shard.
  if (shard_count_ > 1 && !split_seen_ && shard_index_ != 0) in_shard_ = false;
  if (!in_shard_) {
    exhausted_ = true;
    return;
  }
  while (!path_.empty()) {
    Frame& f = path_.back();
    const std::uint32_t next = f.chosen + (f.split ? shard_count_ : 1);
    if (allowed(f, next)) {
      f.chosen = next;
      return;
    }
    path_.pop_back();
  }
  exhausted_ = true;
}

}  // namespace xenrace
