// A test fixture for the dom0 backend against the project's xenstore server: a private server (skipped with
// the reason when there is none), a dom0 session pointed at it in a scratch directory, a stack pool and the
// default (non-preemptive) replay order. Tests make an Execution and a Dom0World on top of it.
#pragma once
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "backends/dom0/dom0_session.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"

namespace xenrace::dom0 {

class ServedSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServedXenstore>(dir_.path());
    if (!server_->unavailable().empty()) GTEST_SKIP() << server_->unavailable();
    session_ = std::make_unique<Dom0Session>(test_host_config(dir_, server_->socket()));
  }
  // The first execution's subtree, as the daemon names it.
  std::string prefix() const { return session_->config().xenstore_root + "/" + session_->run_id() + "/e0"; }

  TempDir dir_;
  std::unique_ptr<ServedXenstore> server_;
  std::unique_ptr<Dom0Session> session_;
  StackPool stacks_;
  ReplayStrategy default_order_{Schedule{}};
};

}  // namespace xenrace::dom0
