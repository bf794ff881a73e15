// `xenrace serve-xenstore --socket PATH`: the simulated XenStore over xenstored's Unix-socket protocol,
// so libxenstore (XENSTORED_PATH=PATH), the xenstore-* tools and toolstacks run against the model.
// Stops on SIGTERM/SIGINT and removes its socket. --scheduled lets a strategy order concurrent
// clients' requests (recorded with --record, replayed with --replay); clients that connect from outside are
// numbered by connection order, which real scripts (one connection per xenstore-* call) do not keep from run
// to run. `--scheduled --run CMD ...` runs the programs itself instead, each a process actor (the `programs`
// scenario): known by its actor, so a seed gives one schedule and a failure a replay token.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "backends/sim/xenstore/xs_server.hpp"
#include "cli/cli.hpp"
#include "cli/options.hpp"

namespace xenrace::cli {

namespace {
struct ServeArgs {
  std::string socket;
  bool scheduled = false;
  std::string strategy = "random";
  std::uint64_t seed = 1;
  unsigned gather_us = 2000;
  std::string record;
  std::string replay;
  bool verbose = false;
  std::vector<unsigned> domains;
  std::vector<std::string> run;
  std::string setup;
  bool loop = false;
  std::uint64_t iterations = 0;
};

// `--run`: the same exploration as `xenrace explore programs --param run1=CMD ...`, by re-executing this binary,
// so the verdict, the replay token and `xenrace replay` are explore's.
int run_programs(const ServeArgs& a) {
  if (a.run.size() > 6) throw UsageError(fmt::format("serve-xenstore: at most 6 --run programs ({} given)", a.run.size()));
  if (!a.socket.empty() || !a.record.empty() || !a.replay.empty() || !a.domains.empty())
    throw UsageError("serve-xenstore --run runs its programs itself: not with --socket, --record, --replay or --domains "
                     "(a failure prints its replay command)");
  std::vector<std::string> args = {"xenrace", "explore", "programs", "--strategy", a.strategy, "--seed",
                                   std::to_string(a.seed)};
  for (std::size_t i = 0; i < a.run.size(); ++i) {
    if (a.run[i].empty()) throw UsageError(fmt::format("serve-xenstore: --run {} is empty", i + 1));
    args.insert(args.end(), {"--param", fmt::format("run{}={}", i + 1, a.run[i])});
  }
  if (!a.setup.empty()) args.insert(args.end(), {"--param", "setup=" + a.setup});
  if (a.loop) args.insert(args.end(), {"--param", "loop=1"});
  if (a.iterations != 0) args.insert(args.end(), {"--iterations", std::to_string(a.iterations)});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::cout << std::flush;
  execv("/proc/self/exe", argv.data());
  throw std::runtime_error(fmt::format("serve-xenstore --run: re-executing xenrace: {}", std::strerror(errno)));
}
}  // namespace

Runner add_serve_xenstore_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("serve-xenstore", "Serve the simulated XenStore over xenstored's Unix-socket protocol");
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--socket", a->socket, "Unix socket to listen on (clients: XENSTORED_PATH=PATH)");
  cmd->add_flag("--scheduled", a->scheduled, "Let a strategy decide the order of concurrent clients' requests");
  cmd->add_option("--strategy", a->strategy, std::string("Strategy of --scheduled: ") + exploring_strategy_names());
  cmd->add_option("--seed", a->seed, "Seed of the --scheduled strategy")->transform(whole_number());
  cmd->add_option("--gather-us", a->gather_us, "--scheduled: microseconds to wait for concurrent requests before each choice")
      ->transform(whole_number(0, std::numeric_limits<unsigned>::max()));
  cmd->add_option("--record", a->record, "--scheduled: write the decisions to this file at exit");
  cmd->add_option("--replay", a->replay, "--scheduled: follow the decisions of a --record file");
  cmd->add_flag("--verbose", a->verbose, "Log connections and scheduling decisions to stderr");
  cmd->add_option("--domains", a->domains,
                  "Guest domains that exist and are introduced from the start, as after `xl create` (e.g. 1,2)")
      ->delimiter(',')
      ->transform(whole_number(1, 0x7fef));
  cmd->add_option("--run", a->run,
                  "--scheduled: run this shell command as a process actor against the simulated store (repeatable, "
                  "up to 6); explores schedules as `explore programs` does, instead of serving a socket")
      ->allow_extra_args(false);
  cmd->add_option("--setup", a->setup, "--run: XenStore nodes written first, /PATH=VALUE separated by ';'");
  cmd->add_flag("--loop", a->loop, "--run: the programs reach the simulated loop driver too (needs root)");
  cmd->add_option("--iterations", a->iterations, "--run: executions to explore (default: the programs scenario's)")
      ->transform(whole_number());
  return [a]() -> int {
    if (!a->run.empty()) {
      if (!a->scheduled) throw UsageError("serve-xenstore: --run needs --scheduled");
      return run_programs(*a);
    }
    if (a->socket.empty()) throw UsageError("serve-xenstore: give --socket PATH (or --scheduled --run CMD)");
    xs::ServerOptions o;
    o.socket_path = a->socket;
    o.scheduled = a->scheduled || !a->replay.empty();
    o.strategy.name = a->strategy;
    o.strategy.seed = a->seed;
    o.gather = std::chrono::microseconds(a->gather_us);
    o.domains.assign(a->domains.begin(), a->domains.end());
    if (!a->replay.empty()) {
      std::ifstream in(a->replay);
      if (!in) throw UsageError("cannot read the --replay file " + a->replay);
      std::stringstream text;
      text << in.rdbuf();
      o.replay = xs::RequestChooser::parse(text.str());
    }
    if (a->verbose) o.log = &std::cerr;
    // SIGTERM/SIGINT arrive on a signalfd the server polls: a clean stop, no handler, no global.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    const int sfd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    o.stop_fd = sfd;
    std::optional<xs::XsServer> server;
    try {
      server.emplace(o);
    } catch (const std::exception& e) {
      std::cerr << "xenrace serve-xenstore: " << e.what() << "\n";
      return 1;
    }
    std::cout << fmt::format("serving the simulated XenStore on {}{}\n", a->socket,
                             server->chooser() ? " (scheduled: " + server->chooser()->describe() + ")" : "")
              << std::flush;
    server->run();
    const xs::RequestChooser* chooser = server->chooser();
    if (chooser && !a->record.empty()) {
      std::ofstream out(a->record);
      out << chooser->serialise();
    }
    std::cerr << fmt::format("serve-xenstore: stopped after {} requests{}\n", server->requests_served(),
                             chooser && chooser->diverged() ? " (the replay diverged)" : "");
    server.reset();
    if (sfd >= 0) ::close(sfd);
    return 0;
  };
}

}  // namespace xenrace::cli
