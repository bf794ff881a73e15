// The simulated XenStore served over xenstored's Unix-socket protocol, so real programs (libxenstore
// through XENSTORED_PATH, the xenstore-* CLIs, a toolstack) run against the model. One thread, one
// poll loop, no globals: several servers may live in one process.
//
//   XsServer server({.socket_path = "/tmp/xs.sock"});   // bound and listening on return
//   std::thread t([&] { server.run(); });  ...  server.stop(); t.join();   // socket removed
// or simply: ServerThread s(options);  (stops and joins in its destructor).
//
// Normal mode applies each request as soon as it is read (like xenstored: one at a time, in arrival
// order). Scheduled mode (options.scheduled) holds requests for `gather` so concurrent clients'
// requests meet, then lets a RequestChooser pick whose request is applied next, one at a time.
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "backends/sim/xenstore/xs_request_chooser.hpp"
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

struct ServerOptions {
  std::string socket_path;
  StoreOptions store;
  bool scheduled = false;
  StrategyOptions strategy{"random", 1, 3, 2};
  std::chrono::microseconds gather{2000};
  std::optional<std::vector<std::uint32_t>> replay;  // scheduled: follow these decisions
  std::chrono::milliseconds replay_patience{2000};   // then give up waiting for a recorded client
  std::ostream* log = nullptr;                       // connections and decisions, one line each
  int stop_fd = -1;                                  // also stop when readable (a signalfd)
  // Guest domains that exist and are introduced from the start, as after `xl create` on a real host.
  std::vector<DomId> domains;
};

class XsServer {
 public:
  explicit XsServer(ServerOptions options);  // throws std::system_error naming the socket path
  ~XsServer();                               // closes every client, removes the socket
  XsServer(const XsServer&) = delete;
  XsServer& operator=(const XsServer&) = delete;

  void run();   // serves until stop()
  void stop();  // any thread; async-signal-safe (writes one byte to a pipe)

  const std::string& socket_path() const { return options_.socket_path; }
  // The store, under the lock the loop holds while applying requests.
  template <class F>
  auto with_store(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    return f(store_);
  }
  const RequestChooser* chooser() const { return chooser_.get(); }
  std::uint64_t requests_served() const { return served_; }

 private:
  struct Client;
  void accept_clients();
  bool read_from(Client& c);   // false: close it
  bool write_to(Client& c);    // false: close it
  void apply_scheduled(std::chrono::steady_clock::time_point now);
  int poll_timeout_ms(std::chrono::steady_clock::time_point now) const;

  ServerOptions options_;
  Store store_;
  std::mutex mu_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::vector<std::unique_ptr<Client>> clients_;
  std::uint32_t next_client_number_ = 1;
  std::unique_ptr<RequestChooser> chooser_;
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;
  std::uint64_t served_ = 0;
};

// A server on its own thread: for tests and for backends/dom0/ tests that want a xenstored to talk to.
class ServerThread {
 public:
  explicit ServerThread(ServerOptions options);
  ~ServerThread();
  XsServer& server() { return *server_; }

 private:
  std::unique_ptr<XsServer> server_;
  std::thread thread_;
};

}  // namespace xenrace::xs
