// xenrace: deterministic race reproduction for Xen device hotplug. Exit codes: 0 every explored variant
// met its expectation, 1 some did not, 2 bad usage or input, 4 a dom0 run skipped (the host lacks a component),
// 5 explore/merge --verify: every expectation met, but some passing variant was not verified within the budget.
#include <cstdio>
#include <iostream>
#include <map>

#include <string_view>
#include <vector>

#include "backends/sim/sim_world.hpp"
#include "cli/cli.hpp"
#include "xenrace/version.hpp"

int main(int argc, char** argv) {
  using namespace xenrace;
  cli::Context ctx;
  ctx.argv0 = argc > 0 ? argv[0] : "xenrace";
  std::vector<std::string> libraries;
  try {
    libraries = cli::libraries_to_load(argc, argv);
    cli::load_scenarios(ctx, libraries);
  } catch (const UsageError& e) {
    std::cerr << "xenrace: " << e.what() << "\n";
    return 2;
  }
  ctx.sim_world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };

  CLI::App app{"xenrace: deterministic race reproduction for Xen device hotplug"};
  app.set_version_flag("--version", std::string("xenrace ") + kVersion);
  app.require_subcommand(1);
  app.add_option("--load", libraries,
                 "Load the scenarios of this shared library (repeatable; also XENRACE_LOAD=PATH[:PATH])")
      ->type_name("LIB.so");
  app.fallthrough();
  std::map<CLI::App*, cli::Runner> runners;
  auto add = [&](cli::Runner (*adder)(CLI::App&, cli::Context&)) {
    std::size_t before = app.get_subcommands({}).size();
    cli::Runner r = adder(app, ctx);
    runners[app.get_subcommands({})[before]] = std::move(r);
  };
  add(cli::add_list_command);
  add(cli::add_explore_command);
  add(cli::add_merge_command);
  add(cli::add_replay_command);
  add(cli::add_serve_xenstore_command);
  add(cli::add_run_command);
  add(cli::add_compare_command);
  add(cli::add_cleanup_command);
  add(cli::add_faults_command);
  app.add_subcommand("help", "Show the help of xenrace, or of one COMMAND: 'xenrace help explore' is 'xenrace explore --help'");

  std::string known;
  for (auto* sub : app.get_subcommands({})) known += (known.empty() ? "" : ", ") + sub->get_name();
  // The first word that is not --load or its value names the command.
  int first = 1;
  while (first < argc && (std::string_view(argv[first]) == "--load" || std::string_view(argv[first]).starts_with("--load=")))
    first += std::string_view(argv[first]) == "--load" ? 2 : 1;
  // `xenrace help [COMMAND]` is `xenrace [COMMAND] --help`: the same text, from the same place.
  std::vector<char*> args(argv, argv + argc);
  static char help_flag[] = "--help";
  if (first < argc && std::string_view(argv[first]) == "help") {
    if (argc - first > 2) {
      std::cerr << "xenrace: help takes at most one command (xenrace help [COMMAND])\n";
      return 2;
    }
    args.erase(args.begin() + first);
    args.push_back(help_flag);
    argc = static_cast<int>(args.size());
    argv = args.data();
  }
  if (first < argc && argv[first][0] != '-') {
    bool known_command = false;
    for (auto* sub : app.get_subcommands({})) known_command |= sub->get_name() == argv[first];
    if (!known_command) {
      std::cerr << "xenrace: unknown command '" << argv[first] << "' (commands: " << known << ")\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "xenrace: " << e.what() << " (see 'xenrace --help')\n";
    return 2;
  }
  try {
    for (auto* sub : app.get_subcommands())
      if (auto it = runners.find(sub); it != runners.end()) return it->second();
  } catch (const UsageError& e) {
    std::cerr << "xenrace: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "xenrace: internal error: " << e.what() << "\n";
    return 3;
  }
  return 2;
}
