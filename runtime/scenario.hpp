// A Scenario models one race: the toolstack and kernel behaviour as actors, the invariants that say
// what must not happen, and named variants (a buggy and a fixed code path, kernel versions...), each with
// the verdict it is expected to get. build() sets one execution up; it must be deterministic.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/execution.hpp"

namespace xenrace {

class World;  // world/world.hpp: the interfaces of the machine the race runs on

struct VariantInfo {
  std::string name;
  Expect expect;
  std::string summary;  // one line: what this variant models
};

// What values a scenario parameter takes. The CLI checks a value against it before anything runs.
enum class ParamKind : std::uint8_t { text, integer, boolean, choice };

// An execution option (`--param KEY=VALUE`) the scenario reads (Race::param<T>, or ex.param(KEY)).
struct ParamInfo {
  std::string name;
  std::string summary;  // what it changes
  ParamKind kind = ParamKind::text;
  std::string default_value;  // what the scenario reads when the option is not given ("": nothing)
  std::int64_t min = std::numeric_limits<std::int64_t>::min();  // integer: the accepted range
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::vector<std::string> choices;  // choice: the accepted values

  // "" when `value` is one this parameter takes, else what is wrong with it.
  std::string check(std::string_view value) const;
  // "integer in [2, 8], default 3" and the like, for `xenrace list` and error messages.
  std::string describe_values() const;
};

// Typed parameters, for a ScenarioInfo's `params` list.
ParamInfo integer_param(std::string name, std::int64_t default_value, std::string summary,
                        std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                        std::int64_t max = std::numeric_limits<std::int64_t>::max());
ParamInfo flag_param(std::string name, bool default_value, std::string summary);
ParamInfo text_param(std::string name, std::string default_value, std::string summary);
ParamInfo choice_param(std::string name, std::vector<std::string> choices, std::string default_value,
                       std::string summary);

// explore --verify without --iterations: executions per variant a proof may take. dfs at bound 2 exhausts
// demo-counter in a few dozen executions; pci-attach/fixed needs more than a million (bench/README.md), which
// only dpor can hope to cut down: the budget bounds the wait, and the verdict says when it was not enough.
inline constexpr std::uint64_t kDefaultVerifyBudget = 100000;

struct ScenarioInfo {
  std::string name;
  std::string description;
  std::string source;               // the real bug: commit id, thread title
  std::vector<std::string> tags;    // components it touches: xenstore, loop, blkback, mdev, pci, udev
  std::vector<VariantInfo> variants;
  // How `explore` searches this scenario when the command line does not say: the strategy and its depth or
  // bound, and the budget it spends per variant. A race that only one strategy finds in reasonable time
  // says so here, so `explore --all` (the main job) meets every expectation with no per-scenario options.
  std::string default_strategy = "pct";
  unsigned default_depth = 3;           // pct: the bug depth d
  unsigned default_preemptions = 2;     // dfs: the preemption bound
  std::uint64_t default_iterations = 2000;
  std::uint64_t max_steps = 20000;      // beyond this one execution is a livelock failure
  // The keys this scenario reads through ex.param(), besides the global ones every scenario accepts
  // (faults, max-faults; on a host the real components' settings). The CLI refuses any other key, so a
  // scenario that reads a key must declare it here.
  std::vector<ParamInfo> params;
  // At most this many replays to shrink a witness (unset: the explorer's budget): for a scenario whose executions
  // are slow, such as real programs as process actors. 0: its witnesses are reported as found, for a scenario
  // whose failures a handful of replays cannot shrink.
  std::optional<std::uint64_t> shrink_budget;
  // Executions `explore --verify` may spend on a variant's search when --iterations does not say (0:
  // kDefaultVerifyBudget), and as much again on bounds 0, 1, 2, ... when the unbounded search does not finish: a
  // scenario whose executions are slow (real programs) says how long a proof may take, so that `explore --all
  // --verify` ends in minutes and says which searches did not finish.
  std::uint64_t verify_budget = 0;
  // `explore --verify` with neither --strategy nor --preemptions goes straight to bounds 0, 1, 2, ... and gives
  // them the whole verify budget: for a scenario whose unbounded search cannot finish in it (real programs,
  // whose executions are slow), so that the budget buys the largest bound it can instead of an unfinished
  // unbounded search first.
  bool verify_by_bounds = false;
  // Selected only by its exact name: `explore --all`, globs and the gate's "every scenario" leave it out (a
  // scenario that is nothing without its parameters, such as `programs`).
  bool by_name_only = false;

  const VariantInfo* variant(std::string_view name) const;
  const ParamInfo* param(std::string_view name) const;
  std::uint64_t proof_budget() const { return verify_budget ? verify_budget : kDefaultVerifyBudget; }
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual const ScenarioInfo& info() const = 0;
  // Creates the world objects (ex.make), actors and invariants of one execution of `variant`.
  virtual void build(Execution& ex, World& world, std::string_view variant) const = 0;
};

class ScenarioRegistry {
 public:
  // `origin`: the shared library the scenario came from (`--load`), "" for one built into xenrace.
  void add(std::shared_ptr<const Scenario> s, std::string origin = {});
  const Scenario* find(std::string_view name) const;
  const Scenario& get(std::string_view name) const;  // throws UsageError naming the known scenarios
  const std::vector<std::shared_ptr<const Scenario>>& all() const { return scenarios_; }
  // The library `scenario` was loaded from, "" when built in.
  const std::string& origin(const Scenario& scenario) const;

 private:
  std::vector<std::shared_ptr<const Scenario>> scenarios_;
  std::vector<std::string> origins_;
};

// Every scenario that registered itself (XENRACE_SCENARIO, include/xenrace/scenario.hpp): those built into
// xenrace, then those of each library loaded since, in load order. Static registration needs no list to
// edit; the order is still deterministic, as the link order of scenarios/ and the --load order fix it.
ScenarioRegistry& scenario_catalogue();
// Registration problems (a name used twice) met during static initialisation, where nothing may throw;
// the CLI reports them after loading a library, naming it.
std::vector<std::string>& scenario_catalogue_errors();
// The library being loaded now, recorded as the origin of what registers while it loads.
void set_loading_library(std::string path);
// Adds a scenario to the catalogue (what XENRACE_SCENARIO expands to).
void register_scenario(std::shared_ptr<const Scenario> scenario) noexcept;

// The scenarios built into xenrace, without any loaded library's.
void register_builtin_scenarios(ScenarioRegistry& registry);

}  // namespace xenrace
