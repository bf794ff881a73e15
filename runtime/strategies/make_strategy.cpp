#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/dpor_strategy.hpp"
#include "runtime/strategies/pct_strategy.hpp"
#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {

const char* exploring_strategy_names() { return "random|pct|dfs|dpor"; }

bool is_exploring_strategy(std::string_view name) { return name == "random" || name == "pct" || name == "dfs" || name == "dpor"; }

std::unique_ptr<Strategy> make_strategy(const StrategyOptions& o) {
  if (o.name == "random") return std::make_unique<RandomStrategy>(o.seed);
  if (o.name == "pct") return std::make_unique<PctStrategy>(o.seed, o.pct_depth);
  if (o.name == "dfs") return std::make_unique<DfsStrategy>(o.preemption_bound, o.shard_index, o.shard_count);
  if (o.name == "dpor") return std::make_unique<DporStrategy>(
        o.shard_index, o.shard_count, o.bound_dpor ? std::optional<unsigned>(o.preemption_bound) : std::nullopt,
        o.state_cache);
  if (o.name == "replay")
    throw UsageError("strategy 'replay' needs a token: use 'xenrace replay TOKEN'");
  throw UsageError("unknown strategy '" + o.name + "' (known: " + exploring_strategy_names() + ", replay)");
}

}  // namespace xenrace
