// A server on a background thread with a fresh socket per test, and XENSTORED_PATH pointing at it.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "backends/sim/xenstore/xs_server.hpp"

namespace xenrace::xs {

inline std::string fresh_socket_path(const char* name) {
  return "/tmp/xenrace-xs-" + std::to_string(::getpid()) + "-" + name + ".sock";
}

struct ServerFixture : ::testing::Test {
  std::unique_ptr<ServerThread> server;
  std::string socket;
  void SetUp() override { start(ServerOptions{}); }
  void start(ServerOptions o) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    socket = fresh_socket_path(info->name());
    o.socket_path = socket;
    server = std::make_unique<ServerThread>(o);
    ::setenv("XENSTORED_PATH", socket.c_str(), 1);
  }
  void restart(ServerOptions o) {
    server.reset();
    start(std::move(o));
  }
  void TearDown() override { server.reset(); }
};

}  // namespace xenrace::xs
