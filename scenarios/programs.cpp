// programs: real programs given on the command line, each a process actor against the simulated xenstored,
// under the scheduler. It is what `xenrace serve-xenstore --scheduled --run CMD ...` runs: every program is
// known by its actor (run1, run2, ...), never by the order its connections arrive, so a seed gives one
// schedule, a failure gets a replay token that carries the commands, and `xenrace replay` re-runs them exactly
// (docs/process-actors.md).
//
// A failure is a program that exits non-zero (its own check failed), or a deadlock. `setup` writes XenStore
// nodes first; `loop=1` gives the programs the simulated loop driver as well (needs root). Only by name:
// `explore --all` leaves it out, since it is nothing without its commands.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include <xenrace/scenario.hpp>
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_programs {  // names of its own (CI builds in unity batches)
namespace {

constexpr int kMaxPrograms = 6;

std::vector<ParamInfo> program_params() {
  std::vector<ParamInfo> out;
  for (int i = 1; i <= kMaxPrograms; ++i)
    out.push_back(text_param(fmt::format("run{}", i), "", fmt::format("program {}: a shell command (sh -c)", i)));
  out.push_back(text_param("setup", "", "XenStore nodes written first: PATH=VALUE, separated by ';'"));
  out.push_back(integer_param("loop", 0, "1: the programs reach the simulated loop driver (/dev/loop*, needs root)", 0, 1));
  return out;
}

XENRACE_SCENARIO({
    .name = "programs",
    .description = "Real programs from the command line (serve-xenstore --scheduled --run CMD), each a process actor "
                   "against the simulated xenstored: a program that exits non-zero is a failure",
    .source = "issue 16: serve-xenstore --scheduled identifies clients by process actor",
    .tags = {"process"},
    .variants = {{"as-given", Expect::pass, "the commands as given: every program exits 0 in every schedule"}},
    .default_strategy = "random",
    .default_iterations = 100,
    .max_steps = 100000,
    .params = program_params(),
    .shrink_budget = 20,
    .by_name_only = true,
}) {
  std::vector<std::string> commands;
  for (int i = 1; i <= kMaxPrograms; ++i)
    if (std::string c = race.param<std::string>(fmt::format("run{}", i)); !c.empty()) commands.push_back(std::move(c));
  if (commands.empty())
    throw UsageError("programs: no program given (--param run1=CMD, or xenrace serve-xenstore --scheduled --run CMD)");
  if (const std::string& why = process::process_actors_unsupported(); !why.empty())
    throw ComponentUnavailable("process actors are unsupported here: " + why);
  const bool loop = race.param<int>("loop") == 1;
  if (loop && geteuid() != 0) throw ComponentUnavailable("loop=1 needs root (a mount namespace and mknod'd loop nodes)");
  const std::string setup = race.param<std::string>("setup");
  if (!setup.empty()) {
    auto xs = race.world.xenstore().connect(0);
    std::size_t start = 0;
    while (start <= setup.size()) {
      const std::size_t end = std::min(setup.find(';', start), setup.size());
      const std::string item = setup.substr(start, end - start);
      start = end + 1;
      if (item.empty()) continue;
      const std::size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0 || item[0] != '/')
        throw UsageError(fmt::format("programs: --param setup: '{}' is not /PATH=VALUE", item));
      if (Errno e = xs->write(kNoTx, item.substr(0, eq), item.substr(eq + 1)); e != 0)
        throw UsageError(fmt::format("programs: --param setup: writing {}: {}", item.substr(0, eq), errno_name(e)));
    }
  }
  process::ProcessOptions base;
  base.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
  base.xenstore = &race.world.xenstore_for_processes();
  if (loop) base.loop = &race.world.loop_for_processes();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    process::ProcessOptions o = base;
    o.env.push_back(fmt::format("XENRACE_PROGRAM=run{}", i + 1));
    process::spawn_process(race.ex, fmt::format("run{}", i + 1), {"sh", "-c", commands[i]}, std::move(o));
  }
}

}  // namespace
}  // namespace xenrace::scenario_programs
