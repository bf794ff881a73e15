// `xenrace faults`: the catalogue of failure points, for people (a table) and programs (--json).
#include <iostream>

#include <fmt/format.h>

#include "faults/fault_catalogue.hpp"
#include "faults/fault_plan.hpp"
#include "cli/cli.hpp"

namespace xenrace::cli {
namespace {

std::vector<std::string> error_names(const FaultPointInfo& row) {
  std::vector<std::string> out;
  if (row.effect == FaultEffect::kills_actor) out.emplace_back("SIGKILL");
  for (Errno e : row.errors) out.emplace_back(errno_name(e));
  return out;
}

}  // namespace

Runner add_faults_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("faults", "List the fault-injection points and the errors each can inject");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array");
  return [json] {
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& row : fault_catalogue())
        out.push_back({{"name", row.name},
                       {"effect", row.effect == FaultEffect::kills_actor ? "kills_actor" : "returns_error"},
                       {"errors", error_names(row)},
                       {"sim_site", row.sim_site},
                       {"real_source", row.real_source},
                       {"summary", row.summary}});
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    for (const auto& row : fault_catalogue()) {
      std::cout << fmt::format("{}  [{}]\n  {}\n  sim: {}\n  real: {}\n", row.name, fmt::join(error_names(row), " "),
                               row.summary, row.sim_site, row.real_source);
    }
    std::cout << fmt::format(
        "\nEnable with 'xenrace explore SCENARIO --faults POINT[,POINT] [--max-faults K]' (default K={}), or\n"
        "--param {}=POINT,... --param {}=K. Each fault is a recorded choice: the replay token reproduces it.\n",
        kDefaultMaxFaults, kFaultsParam, kMaxFaultsParam);
    return 0;
  };
}

}  // namespace xenrace::cli
