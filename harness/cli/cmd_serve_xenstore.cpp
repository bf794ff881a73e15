// Placeholder until its issue lands: the command exists so scripts get a clear error, not "unknown command".
#include "harness/cli/cli.hpp"

namespace xenrace::cli {

Runner add_serve_xenstore_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("serve-xenstore", "Serve the simulated XenStore over xenstored's Unix-socket protocol");
  cmd->allow_extras();
  return []() -> int { throw UsageError("'serve-xenstore' is not built yet in this version of xenrace"); };
}

}  // namespace xenrace::cli
