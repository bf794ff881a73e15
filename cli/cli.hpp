// Shared pieces of the `xenrace` command-line tool: the scenario registry and world factory it uses,
// and the JSON / human renderings of results that scripts and people read.
#pragma once
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "run/explorer.hpp"

namespace xenrace::cli {

struct Context {
  std::string argv0;  // as the user typed it, so printed replay commands can be pasted back
  ScenarioRegistry registry;  // built in, then the --load libraries' (their origin is the library's path)
  WorldFactory sim_world;
  StackPool stacks;
};

// Loads each shared library of scenarios (`--load PATH`, repeatable, and XENRACE_LOAD=PATH[:PATH]) and fills
// ctx.registry: the built-in scenarios, then each library's. Throws UsageError naming the library when it
// cannot be loaded, registers nothing, or registers a name already taken.
void load_scenarios(Context& ctx, const std::vector<std::string>& libraries);
// The --load paths on a command line (`--load PATH` or `--load=PATH`), then XENRACE_LOAD's.
std::vector<std::string> libraries_to_load(int argc, char** argv);

// Each command adds its subcommand and returns the function that runs it (exit code).
using Runner = std::function<int()>;
Runner add_list_command(CLI::App& app, Context& ctx);
Runner add_explore_command(CLI::App& app, Context& ctx);
Runner add_replay_command(CLI::App& app, Context& ctx);
Runner add_serve_xenstore_command(CLI::App& app, Context& ctx);
Runner add_run_command(CLI::App& app, Context& ctx);
Runner add_compare_command(CLI::App& app, Context& ctx);
Runner add_cleanup_command(CLI::App& app, Context& ctx);
Runner add_faults_command(CLI::App& app, Context& ctx);

nlohmann::json report_json(const VariantReport& r);
nlohmann::json trace_json(const ExecutionResult& r);
std::string replay_command(const Context& ctx, const ReplayToken& token);
// One line per event: step, virtual time (where it moves), actor, operation, arguments, result; with `fold`,
// repeated events and short repeated cycles of events on one line marked `…×N` (reports/trace_text.hpp).
std::string format_trace(const ExecutionResult& r, bool fold = true);
std::string format_time(VirtualTime t);

// What `explore` prints for one variant, by its verdict against the expectation:
//   XFAIL  ID  violated: CHECK  (found after N executions)      a buggy variant failed, as it must
//   PASS   ID  WHAT WAS SHOWN                                    a fixed variant passed, as it must
//   FAIL   ID  violated: CHECK: MESSAGE  (...; expected to pass) the expectation is not met
//   UNEXPECTED PASS  ID  WHAT WAS SHOWN (expected to fail)       the expectation is not met
//   SKIP   ID  WHY                                               it cannot run here (a component is missing)
// WHAT WAS SHOWN is shown_text(): "no failure in N sampled executions (pct, seed 1)" or "verified: every
// schedule explored (bound 2, dfs), N executions", and the variants of these (run/explorer.hpp).
// `id_width` aligns the ids of one listing.
std::string verdict_line(const VariantReport& r, std::size_t id_width = 0);
// The header of a failing variant's printed trace: its steps and preemptions, and what shrinking did.
std::string trace_header(const VariantReport& r, bool shrunk);

// How a set of explored variants went, counted for the summary line.
struct Tally {
  std::size_t passed = 0;           // expected pass, passed
  std::size_t failed_as_expected = 0;
  std::size_t unexpected_pass = 0;  // expected fail, passed
  std::size_t failed = 0;           // expected pass, failed
  std::size_t verified = 0;         // passed, every schedule explored (shown() == "verified")
  std::size_t verified_within_bound = 0;  // of `verified`: every schedule of a preemption bound, not every one
  std::size_t not_verified = 0;     // explore --verify: passed, but the search did not finish within the budget
  std::size_t skipped = 0;          // could not run here (VariantReport::skipped): neither met nor not met
  void add(const VariantReport& r);
  std::size_t met() const { return passed + failed_as_expected; }
  std::size_t not_met() const { return unexpected_pass + failed; }
  std::size_t total() const { return met() + not_met(); }
};
// "36 variants: 36 met expectation (20 passed, 16 failed as expected), 0 not met in 8.3 s", with
// "; 2 verified" (and ", 1 not verified within budget" after --verify) and "; 2 skipped (could not run here)"
// before " in" when there are any. Skipped variants are not in the count of variants.
std::string summary_line(const Tally& t, double seconds);

// Exit code of explore and merge: 0 every variant met its expectation, 1 some did not, 5 every one did but
// --verify could not verify some passing variant within its budget.
inline constexpr int kExitNotVerified = 5;
int exit_code(const Tally& t);

// `xenrace explore -v`'s lines for one variant (and the replay command of a failure); shared with merge.
void print_variant(const Context& ctx, const VariantReport& r, std::size_t id_width, bool verbose, bool fold,
                   bool shrunk);

Runner add_merge_command(CLI::App& app, Context& ctx);

}  // namespace xenrace::cli
