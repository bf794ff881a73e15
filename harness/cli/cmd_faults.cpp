// Placeholder until its issue lands: the command exists so scripts get a clear error, not "unknown command".
#include "harness/cli/cli.hpp"

namespace xenrace::cli {

Runner add_faults_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("faults", "List the fault-injection points");
  cmd->allow_extras();
  return []() -> int { throw UsageError("'faults' is not built yet in this version of xenrace"); };
}

}  // namespace xenrace::cli
