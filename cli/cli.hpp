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
// One line per event: step, virtual time, actor, operation, arguments, result.
std::string format_trace(const ExecutionResult& r);
std::string format_time(VirtualTime t);

}  // namespace xenrace::cli
