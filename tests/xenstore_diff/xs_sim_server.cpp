// xs_sim_server: serves the simulated XenStore (backends/sim/xenstore XsServer, default options) on a Unix
// socket until SIGTERM/SIGINT. A stand-in for `xenrace serve-xenstore --socket PATH` while that
// command is not built; ci/xenstore-differential prefers xenrace's command when it works.
#include <signal.h>
#include <sys/signalfd.h>

#include <cstring>
#include <iostream>
#include <string>

#include "backends/sim/xenstore/xs_server.hpp"

int main(int argc, char** argv) {
  std::string socket;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) socket = argv[++i];
    else { std::cerr << "usage: xs_sim_server --socket PATH\n"; return 2; }
  }
  if (socket.empty()) { std::cerr << "usage: xs_sim_server --socket PATH\n"; return 2; }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  try {
    xenrace::xs::ServerOptions o;
    o.socket_path = socket;
    o.stop_fd = sfd;
    xenrace::xs::XsServer server(o);
    std::cerr << "xs_sim_server: serving the simulated XenStore on " << socket << "\n";
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "xs_sim_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
