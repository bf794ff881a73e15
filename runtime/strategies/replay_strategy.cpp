#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {

const Decision* ReplayStrategy::take() {
  const std::uint32_t index = index_++;
  if (next_ < schedule_.decisions.size() && schedule_.decisions[next_].index == index)
    return &schedule_.decisions[next_++];
  return nullptr;
}

ActorId ReplayStrategy::pick_actor(const PickContext& ctx) {
  const Decision* d = take();
  if (!d) return default_pick(ctx);
  if (d->kind != ChoiceKind::actor || d->value >= kMaxActors || !(ctx.runnable & actor_bit(d->value))) {
    diverged_ = true;
    return default_pick(ctx);
  }
  return static_cast<ActorId>(d->value);
}

std::uint32_t ReplayStrategy::pick_value(std::uint32_t n, ChoiceKind kind) {
  const Decision* d = take();
  if (!d) return 0;
  if (d->kind != kind || d->value >= n) {
    diverged_ = true;
    return 0;
  }
  return d->value;
}

}  // namespace xenrace
