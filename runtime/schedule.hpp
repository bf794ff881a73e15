// A Schedule is the list of decisions that made one execution what it was: actor picks, generated values
// and fault choices, in the order they were asked. Only decisions that differ from the default
// (non-preemptive pick, value 0) are kept, so a shrunk schedule is a handful of entries and its token is short.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/types.hpp"

namespace xenrace {

struct Decision {
  std::uint32_t index;  // position among all decisions of the execution
  ChoiceKind kind;
  std::uint32_t value;  // actor id for actor picks, the value otherwise
  bool operator==(const Decision&) const = default;
};

struct Schedule {
  std::vector<Decision> decisions;  // explicit (non-default) decisions, ordered by index
  std::uint32_t total = 0;          // decisions asked in the execution, default ones included

  // Preemptions: picks that switched away from an actor that could have gone on running. The one
  // definition, used by the dfs bound, the shrinker, the trace and the reports; a non-default pick made
  // when the running actor blocked or ended preempts nobody. Counted while the execution runs, and not
  // carried in tokens: a decoded schedule says 0 until it is replayed.
  std::uint32_t preempted = 0;

  std::size_t preemptions() const { return preempted; }
  bool operator==(const Schedule& o) const { return decisions == o.decisions && total == o.total; }
};

// What the recorded execution was, so a replay can tell whether it re-made it: its scheduling steps and its
// trace hash. A replay of the same program from the same schedule reproduces both exactly; a schedule
// relabelled as another variant, or replayed against a changed scenario, does not.
struct ExecutionFingerprint {
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  bool operator==(const ExecutionFingerprint&) const = default;
};

// What `xenrace replay` needs to re-run one execution exactly. Printed as `xr1-<base64url>`; the first
// byte is the format (2: with the fingerprint; 1, without it, is still read).
struct ReplayToken {
  std::string version;   // xenrace version that made it; a different version refuses it
  std::string scenario;
  std::string variant;
  std::string strategy;  // informational: which strategy found it
  std::uint64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> params;  // execution options (faults enabled, ...)
  Schedule schedule;
  std::optional<ExecutionFingerprint> recorded;  // absent in format 1 and in hand-made tokens

  std::string encode() const;
  // Throws UsageError naming what is wrong: prefix, base64, truncation, checksum, format version.
  static ReplayToken decode(std::string_view text);
  const std::string* param(std::string_view key) const;
};

}  // namespace xenrace
