// random(seed): at every choice, a uniformly random runnable actor or value. Execution i draws from
// its own stream seeded by (seed, i), so any single execution can be re-run alone.
#pragma once
#include "runtime/rng.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : seed_(seed) {}
  std::string_view name() const override { return "random"; }
  void begin_execution(std::uint64_t index) override { rng_.reseed(execution_seed(seed_, index)); }
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind) override { return rng_.below(n); }

 private:
  std::uint64_t seed_;
  Rng rng_;
};

// The k-th set bit (0-based) of m; m has more than k bits set.
inline ActorId nth_actor(ActorMask m, unsigned k) {
  while (k--) m &= m - 1;
  return lowest_actor(m);
}

}  // namespace xenrace
