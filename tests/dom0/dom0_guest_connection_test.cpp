// The connection a simulated guest driver (pcifront) gets on dom0: XenStore::connect_simulated_guest(N).
// There is no guest ring on dom0, so it is a dom0 socket connection that resolves relative paths below
// /local/domain/N, inside the run's subtree, as xenstored resolves them for domain N. Plain connect(N)
// must keep refusing: nothing else may quietly act as a guest.
#include <algorithm>

#include <gtest/gtest.h>

#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/dom0_world.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "served_session_test.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "world/xenstore.hpp"

namespace xenrace::dom0 {
namespace {

using Dom0GuestConnection = ServedSessionTest;

TEST_F(Dom0GuestConnection, RelativePathsResolveBelowTheGuestsDomainInTheRunsSubtree) {
  Execution ex(default_order_, stacks_, ExecutionOptions{});
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto guest = w.xenstore().connect_simulated_guest(5);
  auto dom0 = w.xenstore().connect(0);
  ASSERT_EQ(guest->write(kNoTx, "device/pci/0/state", "1"), 0);
  ASSERT_EQ(guest->write(kNoTx, "/absolute", "a"), 0);  // absolute paths are not the guest's to bend

  // The scenario's view: the guest's relative node is /local/domain/5/..., not dom0's.
  EXPECT_EQ(dom0->read(kNoTx, "/local/domain/5/device/pci/0/state").value, "1");
  EXPECT_EQ(dom0->read(kNoTx, "/local/domain/0/device/pci/0/state").err, ENOENT);
  EXPECT_EQ(guest->read(kNoTx, "/local/domain/5/device/pci/0/state").value, "1");
  EXPECT_EQ(dom0->read(kNoTx, "device/pci/0/state").err, ENOENT);  // dom0's relative paths stay dom0's

  // The daemon's view: all of it inside the run's subtree, nothing in the host's own /local/domain/5.
  XsHandle raw(server_->socket());
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw.read(kNoTx, prefix() + "/local/domain/5/device/pci/0/state").value, "1");
  EXPECT_EQ(raw.read(kNoTx, prefix() + "/absolute").value, "a");
  EXPECT_EQ(raw.read(kNoTx, "/local/domain/5/device/pci/0/state").err, ENOENT);
}

TEST_F(Dom0GuestConnection, ARelativeWatchReportsRelativePaths) {
  Execution ex(default_order_, stacks_, ExecutionOptions{});
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto& seen = ex.make<std::vector<std::string>>();
  ex.spawn("guest watcher", [&] {
    auto g = w.xenstore().connect_simulated_guest(5);
    g->watch("device", "rel");
    g->watch("/local/domain/5/device", "abs");
    g->write(kNoTx, "device/x", "1");
    for (int i = 0; i < 4; ++i) {
      auto ev = g->read_watch();
      if (!ev.ok()) throw std::runtime_error(std::string("read_watch: ") + errno_name(ev.err));
      seen.push_back(ev.value.token + " " + ev.value.path);
    }
  });
  ExecutionResult r = ex.run();
  ASSERT_EQ(r.outcome, Outcome::passed) << r.message;
  std::sort(seen.begin(), seen.end());
  // As xenstored (and the simulator's store, W4) shows them: relative for the relative watch only.
  EXPECT_EQ(seen, (std::vector<std::string>{"abs /local/domain/5/device", "abs /local/domain/5/device/x",
                                            "rel device", "rel device/x"}));
}

TEST_F(Dom0GuestConnection, PlainConnectAsAGuestStillRefuses) {
  Execution ex(default_order_, stacks_, ExecutionOptions{});
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  try {
    w.xenstore().connect(5);
    FAIL() << "connect(5) acted as a guest on dom0";
  } catch (const ComponentUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("domain 5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace xenrace::dom0
