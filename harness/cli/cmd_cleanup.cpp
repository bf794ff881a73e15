// Placeholder until its issue lands: the command exists so scripts get a clear error, not "unknown command".
#include "harness/cli/cli.hpp"

namespace xenrace::cli {

Runner add_cleanup_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("cleanup", "Remove everything a crashed dom0 run left behind, from its ledger");
  cmd->allow_extras();
  return []() -> int { throw UsageError("'cleanup' is not built yet in this version of xenrace"); };
}

}  // namespace xenrace::cli
