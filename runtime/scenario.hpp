// A Scenario models one race: the toolstack and kernel behaviour as actors, the invariants that say
// what must not happen, and named variants (a buggy and a fixed code path, kernel versions...), each with
// the verdict it is expected to get. build() sets one execution up; it must be deterministic.
#pragma once
#include <memory>
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

// An execution option (`--param KEY=VALUE`) the scenario reads with ex.param(KEY).
struct ParamInfo {
  std::string name;
  std::string summary;  // what it changes and the values it takes
};

struct ScenarioInfo {
  std::string name;
  std::string description;
  std::string source;               // the real bug: commit id, thread title
  std::vector<std::string> tags;    // components it touches: xenstore, loop, blkback, mdev, pci, udev
  std::vector<VariantInfo> variants;
  std::uint64_t default_iterations = 2000;  // the budget `explore --all` spends per variant
  std::uint64_t max_steps = 20000;
  // The keys this scenario reads through ex.param(), besides the global ones every scenario accepts
  // (faults, max-faults; on a host the real components' settings). The CLI refuses any other key, so a
  // scenario that reads a key must declare it here.
  std::vector<ParamInfo> params;

  const VariantInfo* variant(std::string_view name) const;
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
  void add(std::unique_ptr<Scenario> s);
  const Scenario* find(std::string_view name) const;
  const Scenario& get(std::string_view name) const;  // throws UsageError naming the known scenarios
  const std::vector<std::unique_ptr<Scenario>>& all() const { return scenarios_; }

 private:
  std::vector<std::unique_ptr<Scenario>> scenarios_;
};

// Every scenario shipped with xenrace (scenarios/all.cpp): an explicit list, not static registration.
void register_builtin_scenarios(ScenarioRegistry& registry);

}  // namespace xenrace
