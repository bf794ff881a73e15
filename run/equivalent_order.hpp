// A failing execution in another order of the same Mazurkiewicz trace, with fewer context switches: what the
// shrinker tries after delta debugging (run/explorer.cpp, shrink).
//
// A random or pct witness switches actors at almost every step (hundreds of preemptions), and most of those
// switches order steps that commute. Deleting decisions (delta debugging) changes the interleaving blindly,
// so each candidate is a gamble that costs a replay; on a scenario of real programs, half a second each. Here
// the witness is replayed once with its steps observed (what each touched, whom it woke, where virtual time
// moved), happens-before is built from that, and the steps are laid out again: the actor that ran keeps
// running while its next step depends on nothing not yet run, otherwise the earliest step that can go
// next runs. Every pair of dependent steps keeps its order, so every step sees what it saw before and the
// execution ends in the same state, with the same failure (Jalbert, Sen, "A trace simplification technique
// for effective debugging of concurrent programs", FSE 2010, reach the same end by another route). One more
// replay checks it, so an incomplete footprint costs that replay, never a wrong witness.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "run/explorer.hpp"

namespace xenrace {

// Two replays: `like`'s schedule observed, then its steps in the new order. The second run's result (its own
// recorded schedule), or nullopt when the observed replay did not end as `like` did or its steps are already in
// that order (then only one replay ran). `runs` counts the replays.
std::optional<ExecutionResult> run_in_equivalent_order(const Scenario& scenario, std::string_view variant,
                                                       const WorldFactory& world, StackPool& stacks,
                                                       const ExecutionOptions& options, const ExecutionResult& like,
                                                       std::uint64_t& runs);

}  // namespace xenrace
