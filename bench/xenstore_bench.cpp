// XenStore speed: the model in-process (reads, writes), and over the socket: one real libxenstore
// client against serve-xenstore's server, next to a raw Unix-socket round trip of the same message
// size through a trivial echo thread, measured in the same run.
// libxenstore is loaded with dlopen so the bench builds without libxen-dev (that case is skipped).
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "backends/sim/xenstore/xs_server.hpp"
#include "backends/sim/xenstore/xs_wire.hpp"

namespace {
using namespace xenrace;
using namespace xenrace::xs;

void BM_InProcessRead(benchmark::State& state) {
  Store s;
  ConnId c = s.open_connection(0);
  s.write(c, kNoTx, "/local/domain/0/backend/vbd/1/51712/state", "4");
  for (auto _ : state) benchmark::DoNotOptimize(s.read(c, kNoTx, "/local/domain/0/backend/vbd/1/51712/state"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InProcessRead);

void BM_InProcessWrite(benchmark::State& state) {
  Store s;
  ConnId c = s.open_connection(0);
  for (auto _ : state) benchmark::DoNotOptimize(s.write(c, kNoTx, "/local/domain/0/backend/vbd/1/51712/state", "4"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InProcessWrite);

// One write on a tree of range(0) other nodes, then `after(store)`, per iteration.
template <class After>
void write_then(benchmark::State& state, After after) {
  Store s;
  ConnId c = s.open_connection(0);
  for (std::int64_t i = 0; i < state.range(0); ++i) s.write(c, kNoTx, "/local/domain/0/bulk/" + std::to_string(i), "x");
  const char* values[] = {"3", "4"};
  std::size_t flip = 0;
  for (auto _ : state) {
    s.write(c, kNoTx, "/local/domain/0/backend/vbd/1/51712/state", values[flip ^= 1]);
    after(s);
  }
  state.SetItemsProcessed(state.iterations());
}

// Then the store's part of a state key (what dpor's state cache asks at each new step): the key sums the nodes'
// parts as they change, so its cost should not grow with the tree.
void BM_WriteThenStateKey(benchmark::State& state) {
  write_then(state, [](const Store& s) {
    StateHasher h;
    benchmark::DoNotOptimize(s.hash_state(h));
    benchmark::DoNotOptimize(h.key());
  });
}
BENCHMARK(BM_WriteThenStateKey)->Arg(10)->Arg(1000)->Arg(100000);

// Then the nodes' sum by a walk of every node: what each key cost before the running sum.
void BM_WriteThenWalkedNodeSum(benchmark::State& state) {
  write_then(state, [](const Store& s) { benchmark::DoNotOptimize(s.node_sum_by_walk()); });
}
BENCHMARK(BM_WriteThenWalkedNodeSum)->Arg(10)->Arg(1000)->Arg(100000);

// One XS_READ request (header + path) and its reply, echoed by a thread: the floor any server pays.
void BM_SocketRawRoundTrip(benchmark::State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return state.SkipWithError("socketpair");
  std::thread echo([fd = sv[1]] {
    char buf[4096 + 16];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0 || ::write(fd, buf, static_cast<std::size_t>(n)) != n) return;
    }
  });
  std::string msg;
  wire::append_message(msg, wire::read, 0, 0, std::string("/local/domain/0/backend/vbd/1/51712/state\0", 42));
  char buf[4096 + 16];
  for (auto _ : state) {
    if (::write(sv[0], msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) break;
    std::size_t got = 0;
    while (got < msg.size()) got += static_cast<std::size_t>(::read(sv[0], buf, sizeof buf));
  }
  ::shutdown(sv[0], SHUT_RDWR);
  echo.join();
  ::close(sv[0]);
  ::close(sv[1]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SocketRawRoundTrip)->UseRealTime();

struct LibXenstore {
  void* lib = ::dlopen("libxenstore.so.4", RTLD_NOW);
  void* (*open)(unsigned long) = nullptr;
  void (*close)(void*) = nullptr;
  void* (*read)(void*, std::uint32_t, const char*, unsigned*) = nullptr;
  bool (*write)(void*, std::uint32_t, const char*, const void*, unsigned) = nullptr;
  LibXenstore() {
    if (!lib) return;
    open = reinterpret_cast<decltype(open)>(::dlsym(lib, "xs_open"));
    close = reinterpret_cast<decltype(close)>(::dlsym(lib, "xs_close"));
    read = reinterpret_cast<decltype(read)>(::dlsym(lib, "xs_read"));
    write = reinterpret_cast<decltype(write)>(::dlsym(lib, "xs_write"));
  }
  bool ok() const { return open && close && read && write; }
};

void BM_SocketLibxenstoreRead(benchmark::State& state) {
  static LibXenstore xs;
  if (!xs.ok()) return state.SkipWithError("libxenstore.so.4 is absent (Debian package libxenstore4)");
  const std::string path = "/tmp/xenrace-bench-" + std::to_string(::getpid()) + ".sock";
  ServerOptions o;
  o.socket_path = path;
  ServerThread server(o);
  ::setenv("XENSTORED_PATH", path.c_str(), 1);
  void* h = xs.open(0);
  if (!h) return state.SkipWithError("xs_open failed");
  const char* node = "/local/domain/0/backend/vbd/1/51712/state";
  xs.write(h, 0, node, "4", 1);
  for (auto _ : state) {
    unsigned len = 0;
    void* v = xs.read(h, 0, node, &len);
    benchmark::DoNotOptimize(v);
    std::free(v);
  }
  xs.close(h);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SocketLibxenstoreRead)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
