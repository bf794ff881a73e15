// `xenrace cleanup LEDGER`: undo what a dom0 run created and did not remove (it was killed, or the host
// crashed). Only resources listed in the ledger are touched, and only while they are still the run's own.
#include <iostream>

#include "backends/dom0/cleanup.hpp"
#include "cli/cli.hpp"

namespace xenrace::cli {

Runner add_cleanup_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("cleanup", "Remove everything a crashed dom0 run left behind, from its ledger");
  auto ledger = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("ledger", *ledger, "The run's ledger file (printed when the run started)")->required();
  cmd->add_flag("--json", *json, "Print the result as JSON");
  return [ledger, json]() -> int {
    dom0::CleanupReport r;
    try {
      r = dom0::clean_up_ledger(*ledger);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
    if (*json) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& i : r.items) items.push_back({{"what", i.what}, {"result", i.result}, {"ok", i.ok}});
      std::cout << nlohmann::json{{"run_id", r.run_id}, {"ok", r.ok()}, {"items", items}}.dump(2) << "\n";
    } else {
      std::cout << dom0::format_cleanup(r);
    }
    return r.ok() ? 0 : 1;
  };
}

}  // namespace xenrace::cli
