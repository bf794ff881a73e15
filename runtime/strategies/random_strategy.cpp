#include "runtime/strategies/random_strategy.hpp"

#include <bit>

namespace xenrace {

ActorId RandomStrategy::pick_actor(const PickContext& ctx) {
  return nth_actor(ctx.runnable, rng_.below(static_cast<std::uint32_t>(std::popcount(ctx.runnable))));
}

}  // namespace xenrace
