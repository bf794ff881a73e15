// Placeholder until its issue lands: the command exists so scripts get a clear error, not "unknown command".
#include "harness/cli/cli.hpp"

namespace xenrace::cli {

Runner add_run_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("run", "Run a scenario on a real dom0 host (backend dom0)");
  cmd->allow_extras();
  return []() -> int { throw UsageError("'run' is not built yet in this version of xenrace"); };
}

}  // namespace xenrace::cli
