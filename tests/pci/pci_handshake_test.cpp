// The worked examples of backends/sim/pci/pciback_xenbus.hpp (X1-X6) and pcifront.hpp (F1-F6): the xenbus
// handshake between the simulated pciback and pcifront over the simulated XenStore, each run under many
// random schedules, all of which must end in the same state.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "backends/sim/pci/pciback_xenbus.hpp"
#include "backends/sim/pci/sim_pciback.hpp"
#include "backends/sim/sim_world.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategy.hpp"
#include "world/xenstore.hpp"

namespace xenrace {
namespace {

constexpr const char* kBe = "/local/domain/0/backend/pci/1/0";
constexpr const char* kFe = "/local/domain/1/device/pci/0";
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// One execution of a handshake: setup code writes XenStore as libxl would, the drivers run, `actor`
// (if any) plays libxl during the run.
struct HandshakeRun {
  explicit HandshakeRun(std::uint64_t seed) : strategy(make_strategy(StrategyOptions{"random", seed, 3, 2})) {
    strategy->begin_execution(0);
  }
  std::unique_ptr<Strategy> strategy;
  StackPool stacks;
  Execution ex{*strategy, stacks, ExecutionOptions{}};
  SimWorld& world = ex.make<SimWorld>(ex);
  std::unique_ptr<XsConnection> xs;

  void setup_guest() {
    xs = world.xenstore().connect(0);
    xs->mkdir(kNoTx, "/local/domain/1");
    xs->set_perms(kNoTx, "/local/domain/1", {{XsPerm::Access::none, 0}, {XsPerm::Access::read, 1}});
    xs->mkdir(kNoTx, "/local/domain/1/device");
    xs->set_perms(kNoTx, "/local/domain/1/device", {{XsPerm::Access::none, 1}});
  }
  void assignable(const std::string& bdf) {
    world.pci().unbind(bdf);
    world.pci().new_slot(bdf);
    world.pci().bind(bdf);
  }
  void dirs(const KeyValues& front, const KeyValues& back) {
    xs->mkdir(kNoTx, kFe);
    xs->set_perms(kNoTx, kFe, {{XsPerm::Access::none, 1}, {XsPerm::Access::read, 0}});
    for (const auto& [k, v] : front) xs->write(kNoTx, fmt::format("{}/{}", kFe, k), v);
    xs->mkdir(kNoTx, kBe);
    xs->set_perms(kNoTx, kBe, {{XsPerm::Access::none, 0}, {XsPerm::Access::read, 1}});
    for (const auto& [k, v] : back) xs->write(kNoTx, fmt::format("{}/{}", kBe, k), v);
  }
  // A new backend with its first device, as libxl__create_pci_backend and the device entries write it.
  void new_backend(const std::string& bdf) {
    dirs({{"backend", kBe}, {"backend-id", "0"}, {"state", "1"}},
         {{"frontend", kFe}, {"frontend-id", "1"}, {"online", "1"}, {"state", "1"}, {"key-0", bdf}, {"dev-0", bdf},
          {"state-0", "1"}, {"num_devs", "1"}});
  }
  // A guest that booted with `bdfs`, everything Connected.
  void connected_backend(const std::vector<std::string>& bdfs) {
    KeyValues back = {{"frontend", kFe}, {"frontend-id", "1"}, {"online", "1"}, {"root-0", "0000:00"},
                      {"root_num", "1"},  {"num_devs", std::to_string(bdfs.size())}, {"state", "4"}};
    for (std::size_t i = 0; i < bdfs.size(); ++i) {
      back.emplace_back(fmt::format("dev-{}", i), bdfs[i]);
      back.emplace_back(fmt::format("state-{}", i), "3");
      back.emplace_back(fmt::format("vdev-{}", i), fmt::format("0000:00:{:02x}.00", i));
    }
    dirs({{"backend", kBe}, {"backend-id", "0"}, {"pci-op-ref", "8"}, {"event-channel", "9"}, {"magic", "7"},
          {"state", "4"}},
         back);
  }
  // libxl during the run: one transaction writing `kv` below the backend, retried on EAGAIN.
  void libxl_writes(KeyValues kv) {
    ex.spawn("libxl", [this, kv] {
      auto c = world.xenstore().connect(0);
      for (;;) {
        auto t = c->transaction_start();
        for (const auto& [k, v] : kv) c->write(t.value, fmt::format("{}/{}", kBe, k), v);
        if (c->transaction_end(t.value, true) != EAGAIN) break;
      }
    });
  }
  std::string node(const std::string& path) {
    auto r = xs->read(kNoTx, path);
    return r.ok() ? r.value : "(missing)";
  }
  std::string be(const std::string& key) { return node(fmt::format("{}/{}", kBe, key)); }
  std::string fe(const std::string& key) { return node(fmt::format("{}/{}", kFe, key)); }
  ExecutionResult run() {
    world.pci().start_xenbus_drivers(1);
    return ex.run();
  }
};

constexpr int kSeeds = 25;

TEST(PciHandshake, X1X2F1F2FirstDeviceConnectsUnderEverySchedule) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    HandshakeRun r(seed);
    r.setup_guest();
    r.assignable("0000:04:00.0");
    r.new_backend("0000:04:00.0");
    ExecutionResult res = r.run();
    ASSERT_EQ(res.outcome, Outcome::passed) << res.message;
    EXPECT_EQ(r.be("state"), "4") << "seed " << seed;
    EXPECT_EQ(r.fe("state"), "4") << "seed " << seed;
    EXPECT_EQ(r.be("state-0"), "3");
    EXPECT_EQ(r.be("vdev-0"), "0000:00:00.00");
    EXPECT_EQ(r.be("root-0"), "0000:00");
    EXPECT_EQ(r.be("root_num"), "1");
    EXPECT_EQ(r.fe("magic"), "7");
    EXPECT_EQ(r.world.sim_pci().guest_devices(1), std::vector<std::string>{"0000:04:00.0"});
    EXPECT_EQ(r.world.sim_pci().user_of(*parse_bdf("0000:04:00.0")), DomId{1});
  }
}

TEST(PciHandshake, X1BackendNotInitialisingIsNotProbed) {
  HandshakeRun r(1);
  r.setup_guest();
  r.assignable("0000:04:00.0");
  r.new_backend("0000:04:00.0");
  r.xs->write(kNoTx, fmt::format("{}/state", kBe), "6");  // Closed: "not new"
  ASSERT_EQ(r.run().outcome, Outcome::passed);
  EXPECT_EQ(r.be("state"), "6");
  EXPECT_EQ(r.be("vdev-0"), "(missing)");
}

TEST(PciHandshake, X3F3F4HotAddReconfiguresUnderEverySchedule) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    HandshakeRun r(seed);
    r.setup_guest();
    r.assignable("0000:03:00.0");
    r.assignable("0000:04:00.0");
    r.connected_backend({"0000:03:00.0"});
    r.libxl_writes({{"key-1", "0000:04:00.0"}, {"dev-1", "0000:04:00.0"}, {"state-1", "1"}, {"num_devs", "2"},
                    {"state", "7"}});
    ExecutionResult res = r.run();
    ASSERT_EQ(res.outcome, Outcome::passed) << res.message;
    EXPECT_EQ(r.be("state"), "4") << "seed " << seed;
    EXPECT_EQ(r.fe("state"), "4") << "seed " << seed;
    EXPECT_EQ(r.be("state-1"), "3");
    EXPECT_EQ(r.be("vdev-1"), "0000:00:01.00");  // vpci: the next free virtual slot
    EXPECT_EQ(r.world.sim_pci().guest_devices(1), (std::vector<std::string>{"0000:03:00.0", "0000:04:00.0"}));
  }
}

TEST(PciHandshake, X3HotRemoveReleasesTheDevice) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    HandshakeRun r(seed);
    r.setup_guest();
    r.assignable("0000:03:00.0");
    r.assignable("0000:04:00.0");
    r.connected_backend({"0000:03:00.0", "0000:04:00.0"});
    r.libxl_writes({{"state-1", "5"}, {"state", "7"}});
    ASSERT_EQ(r.run().outcome, Outcome::passed);
    EXPECT_EQ(r.be("state"), "4") << "seed " << seed;
    EXPECT_EQ(r.world.sim_pci().guest_devices(1), std::vector<std::string>{"0000:03:00.0"});
    EXPECT_EQ(r.world.sim_pci().user_of(*parse_bdf("0000:04:00.0")), std::nullopt);
  }
}

TEST(PciHandshake, X3ReconfiguresOnlyWhenItsOwnStateIsReconfiguring) {
  // pcifront is at 7 but the backend's own state node says 4 (nobody wrote 7): xen_pcibk_reconfigure's
  // "only reconfigure once" check returns, and the pending state-1=1 device is never exported.
  HandshakeRun r(1);
  r.setup_guest();
  r.assignable("0000:03:00.0");
  r.assignable("0000:04:00.0");
  r.connected_backend({"0000:03:00.0"});
  r.xs->write(kNoTx, fmt::format("{}/state", kFe), "7");
  for (const auto& [k, v] : KeyValues{{"dev-1", "0000:04:00.0"}, {"state-1", "1"}, {"num_devs", "2"}})
    r.xs->write(kNoTx, fmt::format("{}/{}", kBe, k), v);
  ASSERT_EQ(r.run().outcome, Outcome::passed);
  EXPECT_EQ(r.be("state"), "4");
  EXPECT_EQ(r.be("state-1"), "1");
  EXPECT_EQ(r.be("vdev-1"), "(missing)");
  EXPECT_EQ(r.world.sim_pci().user_of(*parse_bdf("0000:04:00.0")), std::nullopt);
}

TEST(PciHandshake, X4UnassignableDeviceIsAFatalXenbusError) {
  HandshakeRun r(1);
  r.setup_guest();
  r.new_backend("0000:06:00.0");  // still bound to e1000e
  ASSERT_EQ(r.run().outcome, Outcome::passed);
  EXPECT_EQ(r.be("state"), "6");  // Closing, then Closed after pcifront closed
  EXPECT_EQ(r.fe("state"), "6");
  EXPECT_NE(r.node("/local/domain/0/error/backend/pci/1/0/error").find("perhaps already in-use?"), std::string::npos)
      << r.node("/local/domain/0/error/backend/pci/1/0/error");
}

TEST(PciHandshake, X5RemovedBackendReleasesItsDevices) {
  HandshakeRun r(1);
  r.setup_guest();
  r.assignable("0000:03:00.0");
  r.connected_backend({"0000:03:00.0"});
  r.ex.spawn("libxl", [&r] {
    auto c = r.world.xenstore().connect(0);
    r.ex.sched().sleep(1);  // virtual time moves only once the drivers have adopted the device and idle
    c->rm(kNoTx, kBe);
  });
  ASSERT_EQ(r.run().outcome, Outcome::passed);
  EXPECT_EQ(r.world.sim_pci().user_of(*parse_bdf("0000:03:00.0")), std::nullopt);
}

TEST(PciHandshake, X6F6ConnectedDevicesAreAdoptedWithoutWrites) {
  HandshakeRun r(1);
  r.setup_guest();
  r.assignable("0000:03:00.0");
  r.connected_backend({"0000:03:00.0"});
  ASSERT_EQ(r.run().outcome, Outcome::passed);
  EXPECT_EQ(r.be("state"), "4");
  EXPECT_EQ(r.fe("state"), "4");
  EXPECT_EQ(r.world.sim_pci().user_of(*parse_bdf("0000:03:00.0")), DomId{1});
  EXPECT_EQ(r.world.sim_pci().guest_devices(1), std::vector<std::string>{"0000:03:00.0"});
  EXPECT_EQ(r.world.sim_pci().backend_driver()->cached_state(kBe), XenbusState::connected);
}

}  // namespace
}  // namespace xenrace
