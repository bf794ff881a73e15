// Strict command-line input shared by the subcommands: whole numbers that refuse what CLI11's own
// conversion would wrap or reinterpret ("-5", "0x10", "010", "1e3"), and --param keys checked against what the
// scenarios read. A violation is a usage error (exit 2) before anything runs.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/execution.hpp"
#include "runtime/scenario.hpp"

namespace xenrace::cli {

// A decimal whole number in [min, max], digits only. The value is handed on without leading zeros, as CLI11
// would read "010" as octal: add it with ->transform(), which may rewrite the value (->check() may not). The
// error names the option and the range it takes.
CLI::Validator whole_number(std::uint64_t min = 0, std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

// Where the params will be read: the simulator (explore, replay) or a real host (run, compare), whose
// components read a few settings of their own.
enum class ParamScope { simulator, host };

// KEY=VALUE strings to params. Every key must be one `scenarios` read (ScenarioInfo::params; with several
// scenarios, one of them) or a global one (faults, max-faults; on a host also the real components' settings),
// and a global key's value must be well formed. Throws UsageError naming the key and the accepted keys.
Params parse_params(const std::vector<std::string>& raw, const std::vector<const Scenario*>& scenarios,
                    ParamScope scope, const std::string& what = "--param");

// The same check for params that arrive already split (a replay token's).
void check_params(const Params& params, const std::vector<const Scenario*>& scenarios, ParamScope scope,
                  const std::string& what);

// The strategy options the user gave, each field only when given on the command line: the rest come from
// the scenario (ScenarioInfo::default_strategy and friends), so every scenario is explored its own way
// unless the command line says otherwise.
struct StrategyChoice {
  StrategyOptions given;  // the seed always applies; the other fields only where the flag below is set
  bool name = false;
  bool depth = false;
  bool preemptions = false;
  StrategyOptions for_scenario(const ScenarioInfo& info) const;
};

// --jobs N: a whole number of worker processes, 0 or "auto" for every available core. Throws UsageError
// naming --jobs otherwise ("x", "-1", "2.5").
unsigned parse_jobs(const std::string& text);
// --shard K/N: part K (1-based) of N, 1 <= K <= N. Returns {K-1, N}; throws UsageError naming --shard.
std::pair<unsigned, unsigned> parse_shard(const std::string& text);

// The keys one scenario accepts in `scope`, comma-separated: its own, then the global ones.
std::string accepted_params(const ScenarioInfo& info, ParamScope scope);

}  // namespace xenrace::cli
