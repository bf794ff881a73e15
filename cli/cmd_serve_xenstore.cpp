// `xenrace serve-xenstore --socket PATH`: the simulated XenStore over xenstored's Unix-socket protocol,
// so libxenstore (XENSTORED_PATH=PATH), the xenstore-* tools and toolstacks run against the model.
// Stops on SIGTERM/SIGINT and removes its socket. --scheduled lets a strategy order concurrent
// clients' requests (recorded with --record, replayed with --replay).
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

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
};
}  // namespace

Runner add_serve_xenstore_command(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("serve-xenstore", "Serve the simulated XenStore over xenstored's Unix-socket protocol");
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--socket", a->socket, "Unix socket to listen on (clients: XENSTORED_PATH=PATH)")->required();
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
  return [a]() -> int {
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
