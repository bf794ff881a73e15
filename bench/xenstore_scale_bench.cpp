// Does the served XenStore's cost stay flat as the tree and the unread events grow? One run, against a
// `xenrace serve-xenstore` process (any build: --server BIN, so a before/after pair can be measured):
//   1. N writes to one node;
//   2. N creates of distinct nodes under one parent;
//   3. N creates of distinct nodes with another connection watching "/" that never reads;
// then phase 3's nodes are removed and the watcher disconnects. Prints each phase's wall time, its
// ratio to phase 1, and the server's resident memory (VmRSS) before the watcher came, at its peak, and
// once it left and the tree is back to what it was.
//   build/bench/xenstore_scale_bench --server build/xenrace [--count 100000]
// The client is a plain socket speaking the wire protocol, one request at a time, so the figures are
// the server's.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "backends/sim/xenstore/xs_wire.hpp"

namespace {
using namespace xenrace::xs;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "xenstore_scale_bench: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  return fd;
}

void read_exact(int fd, char* buf, std::size_t n) {
  for (std::size_t got = 0; got < n;) {
    const ssize_t r = ::read(fd, buf + got, n - got);
    if (r <= 0) die("read from the server");
    got += static_cast<std::size_t>(r);
  }
}

// One request and its reply (watch events on this connection are skipped: it sets none).
void call(int fd, std::uint32_t type, const std::string& payload) {
  std::string msg;
  wire::append_message(msg, type, 0, 0, payload);
  if (::write(fd, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) die("write to the server");
  wire::Header h;
  char body[wire::kPayloadMax];
  read_exact(fd, reinterpret_cast<char*>(&h), sizeof h);
  if (h.len > sizeof body) die("reply too long");
  read_exact(fd, body, h.len);
  if (h.type == wire::error) {
    std::fprintf(stderr, "xenstore_scale_bench: the server answered %.*s\n", static_cast<int>(h.len), body);
    std::exit(1);
  }
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// The server's CPU time (user + system), which the machine's other load does not inflate as it does wall time.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Phase {
  double wall, cpu;  // seconds; cpu: the server's
};

template <class Each>
Phase phase(pid_t server, long count, Each each) {
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds(server);
  for (long i = 0; i < count; ++i) each(i);
  return Phase{seconds_since(t0), cpu_seconds(server) - c0};
}
}  // namespace

int main(int argc, char** argv) {
  std::string server = "build/xenrace";
  long count = 100000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--server" && i + 1 < argc) server = argv[++i];
    else if (a == "--count" && i + 1 < argc) count = std::strtol(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: xenstore_scale_bench [--server XENRACE] [--count N]\n");
      return 2;
    }
  }
  if (count <= 0) {
    std::fprintf(stderr, "xenstore_scale_bench: --count takes a positive number\n");
    return 2;
  }
  const std::string sock = "/tmp/xenstore-scale-bench-" + std::to_string(::getpid()) + ".sock";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(server.c_str(), server.c_str(), "serve-xenstore", "--socket", sock.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int fd = -1;
  for (int tries = 0; tries < 2000 && fd < 0; ++tries) {  // the server binds before it answers
    fd = connect_to(sock);
    if (fd < 0) ::usleep(5000);
  }
  if (fd < 0) die("connect to " + sock + " (is " + server + " a xenrace binary?)");

  const long rss_start = rss_kib(pid);
  const Phase one = phase(pid, count, [&](long i) { call(fd, wire::write, std::string("/bench/one\0", 11) + std::to_string(i)); });
  const Phase distinct = phase(pid, count, [&](long i) { call(fd, wire::write, "/bench/d/n" + std::to_string(i) + std::string("\0v", 2)); });
  const long rss_before_watcher = rss_kib(pid);
  const int watcher = connect_to(sock);
  if (watcher < 0) die("connect the watcher");
  call(watcher, wire::watch, std::string("/\0w\0", 4));  // its registration event stays unread, like all
  const Phase watched = phase(pid, count, [&](long i) { call(fd, wire::write, "/bench/w/n" + std::to_string(i) + std::string("\0v", 2)); });
  const long rss_peak = rss_kib(pid);
  call(fd, wire::rm, std::string("/bench/w\0", 9));  // back to the tree it had before the watcher came
  ::close(watcher);
  call(fd, wire::read, std::string("/bench/one\0", 11));  // by the second reply the server has seen the close
  call(fd, wire::read, std::string("/bench/one\0", 11));
  const long rss_after = rss_kib(pid);

  std::printf("server %s, %ld operations a phase\n", server.c_str(), count);
  auto row = [&](const char* what, const Phase& p) {
    std::printf("%-42s %7.2f s wall %6.2fx  %7.2f s server CPU %6.2fx\n", what, p.wall, p.wall / one.wall, p.cpu,
                one.cpu > 0 ? p.cpu / one.cpu : 0.0);
  };
  row("writes to one node", one);
  row("creates of distinct nodes", distinct);
  row("creates, a watcher on / that never reads", watched);
  std::printf("server VmRSS: start %ld KiB, before the watcher %ld KiB, peak %ld KiB, after it left %ld KiB (%+.1f%%)\n",
              rss_start, rss_before_watcher, rss_peak, rss_after,
              100.0 * static_cast<double>(rss_after - rss_before_watcher) / static_cast<double>(rss_before_watcher));
  ::close(fd);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  return 0;
}
