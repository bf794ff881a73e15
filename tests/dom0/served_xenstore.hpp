// A xenstore server for tests of the real libxenstore path: the project's own `serve-xenstore` server
// (backends/sim/xenstore/xs_server.hpp) on a private socket, on its own thread in this process; bound and
// listening when constructed, stopped and its socket removed when destroyed. unavailable() says why there
// is none (a tree without the server), and the test then skips.
#pragma once
#include <memory>
#include <string>

#if __has_include("backends/sim/xenstore/xs_server.hpp")
#include "backends/sim/xenstore/xs_server.hpp"
#define XENRACE_HAVE_XS_SERVER 1
#endif

class ServedXenstore {
 public:
  explicit ServedXenstore(const std::string& dir) : socket_(dir + "/xs.sock") {
#ifdef XENRACE_HAVE_XS_SERVER
    xenrace::xs::ServerOptions o;
    o.socket_path = socket_;
    try {
      server_ = std::make_unique<xenrace::xs::ServerThread>(o);
    } catch (const std::exception& e) {
      why_ = std::string("the xenstore server did not start: ") + e.what();
    }
#else
    why_ = "this tree has no xenstore server (backends/sim/xenstore/xs_server.hpp)";
#endif
  }
  const std::string& unavailable() const { return why_; }
  const std::string& socket() const { return socket_; }

 private:
  std::string socket_;
  std::string why_;
#ifdef XENRACE_HAVE_XS_SERVER
  std::unique_ptr<xenrace::xs::ServerThread> server_;
#endif
};
