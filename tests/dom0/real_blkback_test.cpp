// --blkback real: the host's xen-blkback observed. Without Xen (this machine) the mapping half is tested
// against the project's XenStore server and real loop devices: the scenario's backend directory lands at a
// real backend path, physical-device carries the host's loop numbers (and never a device the run does not
// own), and a blkback that never acts makes the run inconclusive, not a pass. The half that needs the real
// driver skips when /sys/bus/xen-backend/drivers/vbd is absent.
#include <unistd.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "backends/dom0/dom0_loop.hpp"
#include "run/dom0_run.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/dom0_xenstore.hpp"
#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/real_blkback.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "backends/sim/sim_world.hpp"
#include "runtime/scenario.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"
#include "tests/dom0/host_loop.hpp"

namespace xenrace::dom0 {
namespace {

bool host_has_blkback() { return ::access(kHostBlkbackDriver, F_OK) == 0; }

Dom0Config config_in(const TempDir& dir, const std::string& socket) {
  Dom0Config c = test_host_config(dir, socket);
  c.blkback = Dom0Config::Blkback::real;
  return c;
}

const Scenario& blkback_minor_reuse() {
  static const ScenarioRegistry registry = [] {
    ScenarioRegistry r;
    register_builtin_scenarios(r);
    return r;
  }();
  return registry.get("blkback-minor-reuse");
}

TEST(RealBlkbackMapping, TheBackendLivesAtARealPathWithTheHostsLoopNumbers) {
  if (auto why = why_no_host_loop(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  Dom0Session session(config_in(dir, server.socket()));
  StackPool stacks;
  ReplayStrategy order{Schedule{}};
  ExecutionOptions eo;
  eo.params = {{"real-blkback-wait-ms", "0"}};  // nothing will ever act here: give up at once
  std::string real_backend;
  {
    Execution ex(order, stacks, eo);
    Dom0XenStoreOptions xo;
    xo.socket = server.socket();
    xo.prefix = session.next_xenstore_prefix();
    auto& store = ex.make<Dom0XenStore>(ex, session.ledger(), xo);
    auto& loop = ex.make<Dom0Loop>(ex, session);
    std::vector<std::string> observed;
    auto& blkback = ex.make<RealBlockBackends>(ex, session, store, loop, observed);
    const std::string be = "/local/domain/0/backend/vbd/1/51712";
    auto c = store.connect(0);
    ASSERT_EQ(c->write(kNoTx, be + "/mode", "w"), 0);
    ASSERT_EQ(observed.size(), 1u);
    XsHandle raw(server.socket());
    auto dirs = raw.directory(kNoTx, "/local/domain/0/backend/vbd");
    ASSERT_TRUE(dirs.ok());
    ASSERT_EQ(dirs.value.size(), 1u);
    real_backend = fmt::format("/local/domain/0/backend/vbd/{}/51712", dirs.value[0]);
    EXPECT_EQ(raw.read(kNoTx, real_backend + "/mode").value, "w");
    EXPECT_EQ(raw.read(kNoTx, real_backend + "/state").value, "1");
    EXPECT_EQ(raw.read(kNoTx, xo.prefix + "/local/domain/0/backend/vbd/1/51712/mode").err, ENOENT);
    EXPECT_EQ(blkback.probe(be), 0);
    EXPECT_EQ(blkback.probe("/local/domain/0/backend/vbd/2/51712"), ENOENT);

    // 7:0 is the run's loop0, which it does not have yet: never the host's loop0.
    EXPECT_EQ(c->write(kNoTx, be + "/physical-device", "7:0"), EACCES);
    EXPECT_EQ(c->write(kNoTx, be + "/physical-device", "8:0"), EACCES);        // not a loop device of the run
    EXPECT_EQ(c->write(kNoTx, be + "/physical-device", " 7:0tail"), EACCES);  // what blkback's %x:%x would parse
    auto index = loop.get_free();
    ASSERT_TRUE(index.ok());
    ASSERT_EQ(index.value, 0);
    ASSERT_EQ(c->write(kNoTx, be + "/physical-device", "7:0"), 0);
    EXPECT_EQ(raw.read(kNoTx, real_backend + "/physical-device").value, fmt::format("7:{:x}", loop.host_index(0)));
    EXPECT_EQ(c->read(kNoTx, be + "/physical-device").value, "7:0");  // the scenario reads its own numbers
    EXPECT_FALSE(blkback.exported(be).has_value());  // no blkback here: nothing opened

    const ExecutionResult r = ex.run();
    EXPECT_FALSE(r.failed());
    EXPECT_NE(r.inconclusive.find("neither opened nor refused"), std::string::npos) << r.inconclusive;
  }
  // The execution is over: the real backend and the parents it made are gone.
  XsHandle raw(server.socket());
  EXPECT_EQ(raw.read(kNoTx, real_backend).err, ENOENT);
  EXPECT_EQ(raw.read(kNoTx, "/local/domain/0/backend").err, ENOENT);
  const CleanupReport rep = session.clean_up();
  EXPECT_TRUE(rep.ok()) << format_cleanup(rep);
}

TEST(RealBlkback, WithoutXenBlkbackTheRunIsSkippedWithTheReason) {
  if (host_has_blkback()) GTEST_SKIP() << "this host has xen-blkback: the missing-driver path is not reachable";
  TempDir dir;
  Dom0Session session(config_in(dir, dir.path() + "/no-xenstored.sock"));
  const Scenario& s = blkback_minor_reuse();
  StackPool stacks;
  Dom0RunOptions o;
  o.runs = 3;
  const Dom0RunReport r = run_on_dom0(s, *s.info().variant("buggy"), session, o, stacks);
  EXPECT_TRUE(r.skipped);
  EXPECT_NE(r.skip_reason.find("/sys/bus/xen-backend/drivers/vbd is missing"), std::string::npos) << r.skip_reason;
  EXPECT_EQ(r.failures, 0u);
}

// The real driver: only on a Xen dom0 with xen-blkback, root and the loop driver, against the host's
// xenstored. Run inside ci/xen-vm (build/tests/dom0/dom0_tests --gtest_filter='RealBlkback.*').
class RealBlkbackOnXen : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!host_has_blkback())
      GTEST_SKIP() << "needs the host's xen-blkback: " << kHostBlkbackDriver << " is missing (not a Xen dom0)";
    if (auto why = why_no_host_loop(); !why.empty()) GTEST_SKIP() << why;
    // Named explicitly: earlier tests in this process pointed XENSTORED_PATH at their own servers.
    if (::access(kHostXenstored, F_OK) != 0) GTEST_SKIP() << "no host xenstored socket at " << kHostXenstored;
  }
  static constexpr const char* kHostXenstored = "/var/run/xenstored/socket";  // libxenstore's default
};

TEST_F(RealBlkbackOnXen, VariantsNeedingADiskseqCheckAreSkipped) {
  TempDir dir;
  Dom0Session session(config_in(dir, kHostXenstored));
  const Scenario& s = blkback_minor_reuse();
  StackPool stacks;
  for (const char* v : {"fixed", "diskseq-after-physical-device", "diskseq-in-physical-device"}) {
    const Dom0RunReport r = run_on_dom0(s, *s.info().variant(v), session, Dom0RunOptions{}, stacks);
    EXPECT_TRUE(r.skipped) << v;
    EXPECT_NE(r.skip_reason.find("a real xen-blkback has no diskseq check"), std::string::npos) << r.skip_reason;
  }
  EXPECT_TRUE(session.clean_up().ok());
}

TEST_F(RealBlkbackOnXen, BuggyGetsAVerdictFromTheRealDriverAndLeavesNothing) {
  TempDir dir;
  Dom0Session session(config_in(dir, kHostXenstored));
  const Scenario& s = blkback_minor_reuse();
  StackPool stacks;
  Dom0RunOptions o;
  o.runs = 3;
  const Dom0RunReport r = run_on_dom0(s, *s.info().variant("buggy"), session, o, stacks);
  ASSERT_FALSE(r.skipped) << r.skip_reason;
  EXPECT_EQ(r.base.executions, 3u);
  EXPECT_EQ(r.inconclusive, 0u) << "the real blkback never acted";
  ASSERT_EQ(r.observed_components.size(), 1u);
  EXPECT_NE(r.observed_components[0].find("the host's driver"), std::string::npos);
  const CleanupReport c = session.clean_up();
  EXPECT_TRUE(c.ok()) << format_cleanup(c);
  XsHandle raw(kHostXenstored);
  ASSERT_TRUE(raw);
  auto vbds = raw.directory(kNoTx, "/local/domain/0/backend/vbd");
  if (vbds.ok()) {
    for (const auto& d : vbds.value) EXPECT_LT(std::stoi(d), 32000) << "a run's backend is left: vbd/" << d;
  }
}

}  // namespace
}  // namespace xenrace::dom0
