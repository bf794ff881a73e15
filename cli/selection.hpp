// Which scenario variants a command runs, from what the user typed: scenario names, ids as the CLI prints
// them (`pci-attach/buggy`), globs in either part (`'pci-*'`, `'*/buggy'`), comma lists of these, and
// `--variant` filters (names, globs, comma lists). A name or glob that matches nothing is a usage error
// naming it, so a typo never silently runs less than asked.
#pragma once
#include <string>
#include <vector>

#include "runtime/scenario.hpp"

namespace xenrace::cli {

struct SelectedVariant {
  const Scenario* scenario;
  const VariantInfo* variant;
  std::string id() const { return scenario->info().name + "/" + variant->name; }
};

// `targets`: SCENARIO, SCENARIO/VARIANT, globs of either, comma lists; empty with `all` means every
// scenario. `variants`: filters applied to every target (each must match a variant of some selected
// scenario). In the order first named on the command line, each variant once, a scenario's variants in
// its own order. Throws UsageError (exit 2) naming what matched nothing.
std::vector<SelectedVariant> select_variants(const ScenarioRegistry& registry, const std::vector<std::string>& targets,
                                             bool all, const std::vector<std::string>& variants);

// The distinct scenarios of a selection, in order.
std::vector<const Scenario*> scenarios_of(const std::vector<SelectedVariant>& selection);

// "a,b" and "c" to a, b, c (empty items dropped).
std::vector<std::string> split_commas(const std::vector<std::string>& items);

bool is_glob(const std::string& pattern);

}  // namespace xenrace::cli
