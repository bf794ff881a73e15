// pciback = real: RealPciBack's file handling, its ledger record and the restoration, against a temporary
// tree posing as sysfs (fake_pci_sysfs.hpp: the kernel's behaviour is not emulated there, so these tests
// prove the paths written, the text written and the parsing of what is read). The skip paths of a run
// (no xen-pciback, an allowed device that does not exist, more scenario devices than allowed ones) use the
// project's XenStore server. What the real xen-pciback does with the writes is checked in ci/xen-vm.
#include <unistd.h>

#include <functional>

#include <gtest/gtest.h>

#include "backends/dom0/cleanup.hpp"
#include "run/dom0_run.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/ledger.hpp"
#include "backends/dom0/pci_sysfs.hpp"
#include "backends/dom0/real_pci_device.hpp"
#include "backends/dom0/real_pciback.hpp"
#include "fake_pci_sysfs.hpp"
#include "runtime/scenario.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"

namespace xenrace::dom0 {
namespace {

constexpr const char* kEdu = "0000:00:01.0";   // host devices the run is given
constexpr const char* kEdu2 = "0000:00:02.0";
constexpr const char* kNic = "0000:00:09.0";   // a host device it is not given
constexpr const char* kA = "0000:04:00.0";     // the scenario's devices
constexpr const char* kB = "0000:05:00.0";

struct Fixture {
  TempDir dir;
  FakePciSysfs sys{dir};
  Ledger ledger{dir.path() + "/run.ledger", "run-1"};
  StackPool stacks;
  ReplayStrategy order{Schedule{}};
  Execution ex{order, stacks, ExecutionOptions{}};
  std::vector<std::string> refusals;

  Fixture() {
    sys.add_device(kEdu, "e1000e");
    sys.add_device(kEdu2, "");
    sys.add_device(kNic, "igb");
  }
  std::unique_ptr<RealPciBack> pciback(std::vector<std::string> allowed = {kEdu, kEdu2}) {
    return std::make_unique<RealPciBack>(ex, ledger, sys.root(), std::move(allowed),
                                         [this](const std::string& why) { refusals.push_back(why); });
  }
  std::vector<LedgerEntry> entries() const { return read_ledger(ledger.path()); }

  // An execution that unbinds kA's host device (kEdu) from e1000e and binds it to pciback, then ends (its
  // RealPciBack restores); `before_the_end` runs just before. The tree is set to what the kernel would have
  // done meanwhile (not emulated by it): e1000e let go, pciback took it, one slot entry; the writes are cleared.
  void give_the_scenarios_device_to_pciback(const std::function<void()>& before_the_end = {}) {
    auto pci = pciback();
    ASSERT_EQ(pci->unbind(kA), 0);
    ASSERT_EQ(pci->new_slot(kA), 0);
    ASSERT_EQ(pci->bind(kA), 0);
    sys.link(kEdu, "pciback");
    FakePciSysfs::put(sys.pciback("slots"), std::string(kEdu) + "\n");
    sys.clear_writes();
    FakePciSysfs::put(sys.driver_file("e1000e", "bind"), "");
    if (before_the_end) before_the_end();
  }
};

TEST(RealPciBack, WritesTheHostBdfToPcibacksFiles) {
  Fixture f;
  auto pci = f.pciback();
  EXPECT_EQ(pci->unbind(kA), 0);
  // Through the device's own driver link, as libxl's sysfs_dev_unbind: here e1000e's unbind.
  EXPECT_EQ(FakePciSysfs::get(f.sys.driver_file("e1000e", "unbind")), kEdu);
  EXPECT_EQ(pci->new_slot(kA), 0);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("new_slot")), kEdu);
  EXPECT_EQ(pci->bind(kA), 0);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("bind")), kEdu);
  EXPECT_EQ(pci->remove_slot(kA), 0);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("remove_slot")), kEdu);
  // The second scenario device takes the second allowed one.
  EXPECT_EQ(pci->new_slot(kB), 0);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("new_slot")), kEdu2);
  EXPECT_EQ(pci->map().pairs(), (std::vector<std::pair<std::string, std::string>>{{kA, kEdu}, {kB, kEdu2}}));
  EXPECT_TRUE(f.refusals.empty());
  // A device with no driver has no driver/unbind: the errno is the filesystem's, as on sysfs.
  EXPECT_EQ(pci->unbind(kB), ENOENT);
}

TEST(RealPciBack, ReadsTheDriverLinkAndTheSlotsFileInTheScenariosNames) {
  Fixture f;
  auto pci = f.pciback();
  auto d = pci->driver(kA);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value, "e1000e");
  d = pci->driver("05:00.0");  // the short form is the same function
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value, "");
  f.sys.link(kEdu, "pciback");
  EXPECT_EQ(pci->driver(kA).value, "pciback");
  EXPECT_EQ(pci->driver_now(*parse_bdf(kA)), std::optional<std::string>("pciback"));
  EXPECT_EQ(pci->driver_now(*parse_bdf("0000:06:00.0")), std::nullopt);  // never mapped: never read

  // One entry per line; the host's own entries (kNic) are not the scenario's business.
  FakePciSysfs::put(f.sys.pciback("slots"), std::string(kEdu) + "\n" + kNic + "\n  " + kEdu2 + " \n\n" + kEdu + "\n");
  auto s = pci->slots();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value, (std::vector<std::string>{kA, kB, kA}));
  EXPECT_EQ(parse_pciback_slots("0000:00:01.0\n\n 0000:00:02.0\r\n"),
            (std::vector<std::string>{"0000:00:01.0", "0000:00:02.0"}));
}

TEST(RealPciBack, RefusesWhatTheRunWasNotGivenWithoutWritingAnything) {
  Fixture f;
  auto pci = f.pciback({kEdu});
  EXPECT_EQ(pci->new_slot(kA), 0);
  f.sys.clear_writes();
  EXPECT_EQ(pci->new_slot(kB), EACCES);  // no allowed device left for it
  EXPECT_EQ(pci->bind(kB), EACCES);
  EXPECT_EQ(pci->unbind(kB), EACCES);
  EXPECT_EQ(pci->driver(kB).err, EACCES);
  ASSERT_FALSE(f.refusals.empty());
  EXPECT_NE(f.refusals[0].find("0000:05:00.0"), std::string::npos) << f.refusals[0];
  EXPECT_NE(f.refusals[0].find("0000:00:01.0 for 0000:04:00.0"), std::string::npos) << f.refusals[0];
  // Wildcards and junk name no single device: refused as the simulated pciback refuses them.
  EXPECT_EQ(pci->new_slot("0000:00:*.*"), EINVAL);
  EXPECT_EQ(pci->remove_slot("zz"), EINVAL);
  EXPECT_EQ(pci->bind("0000:04:00.8"), ENODEV);
  EXPECT_EQ(pci->unbind("junk"), ENOENT);
  for (const char* file : {"new_slot", "remove_slot", "bind", "unbind"})
    EXPECT_EQ(FakePciSysfs::get(f.sys.pciback(file)), "") << file;
  EXPECT_EQ(FakePciSysfs::get(f.sys.driver_file("igb", "unbind")), "");
  EXPECT_EQ(f.entries().size(), 1u);  // only the device it was given is in the ledger
}

TEST(RealPciBack, AnAllowedDeviceThatIsMissingIsNeitherRecordedNorWritten) {
  Fixture f;
  auto pci = f.pciback({"0000:00:07.0"});
  EXPECT_EQ(pci->new_slot(kA), ENODEV);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("new_slot")), "");
  EXPECT_TRUE(f.entries().empty());
}

TEST(RealPciBack, RecordsTheOriginalStateBeforeTheFirstWrite) {
  Fixture f;
  FakePciSysfs::put(f.sys.pciback("slots"), std::string(kNic) + "\n");
  auto pci = f.pciback();
  ASSERT_EQ(pci->unbind(kA), 0);
  ASSERT_EQ(pci->new_slot(kB), 0);
  auto e = f.entries();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].kind, kPciDeviceLedgerKind);
  EXPECT_EQ(e[0].fields, (std::vector<std::string>{f.sys.root(), kEdu, "e1000e", "0"}));
  EXPECT_EQ(e[1].fields, (std::vector<std::string>{f.sys.root(), kEdu2, "-", "0"}));
  const PciDeviceRecord r = PciDeviceRecord::from_ledger(e[0].fields);
  EXPECT_EQ(r.root, f.sys.root());
  EXPECT_EQ(r.bdf, kEdu);
  EXPECT_EQ(r.driver, "e1000e");
  EXPECT_EQ(r.slot_entries, 0);
  EXPECT_EQ(PciDeviceRecord::from_ledger(r.ledger_fields()).ledger_fields(), r.ledger_fields());
}

TEST(RealPciBack, MalformedLedgerEntriesAreRefused) {
  EXPECT_THROW(PciDeviceRecord::from_ledger({"/sys", "0000:00:01.0", "-"}), std::runtime_error);
  EXPECT_THROW(PciDeviceRecord::from_ledger({"sys", "0000:00:01.0", "-", "0"}), std::runtime_error);
  EXPECT_THROW(PciDeviceRecord::from_ledger({"/sys", "../../../etc", "-", "0"}), std::runtime_error);
  EXPECT_THROW(PciDeviceRecord::from_ledger({"/sys", "0000:00:01.*", "-", "0"}), std::runtime_error);
  EXPECT_THROW(PciDeviceRecord::from_ledger({"/sys", "0000:00:01.0", "../x", "0"}), std::runtime_error);
  EXPECT_THROW(PciDeviceRecord::from_ledger({"/sys", "0000:00:01.0", "-", "2x"}), std::runtime_error);
  EXPECT_NO_THROW(PciDeviceRecord::from_ledger({"/sys", "0000:00:01.0", "-", "1"}));
}

// The end of an execution: the device is put back and its ledger entry released.
TEST(RealPciBack, TheEndOfTheExecutionPutsTheDeviceBack) {
  Fixture f;
  f.give_the_scenarios_device_to_pciback();
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("unbind")), kEdu);  // through the driver link
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("remove_slot")), kEdu);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("new_slot")), "");
  EXPECT_EQ(FakePciSysfs::get(f.sys.driver_file("e1000e", "bind")), kEdu);
  auto e = f.entries();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(e[0].released);
}

// After a SIGKILL: `xenrace cleanup LEDGER` restores from the ledger alone, and a second one changes nothing.
TEST(RealPciBack, CleanupFromTheLedgerRestoresAndIsIdempotent) {
  TempDir dir;
  FakePciSysfs sys(dir);
  sys.add_device(kEdu, "");
  sys.add_device(kEdu2, "e1000e");
  const std::string path = dir.path() + "/killed.ledger";
  {
    Ledger ledger(path, "run-9");
    // The edu device had no driver and one slot entry already; the NIC was on e1000e.
    ledger.intend(kPciDeviceLedgerKind, PciDeviceRecord{sys.root(), kEdu, "", 1}.ledger_fields());
    ledger.intend(kPciDeviceLedgerKind, PciDeviceRecord{sys.root(), kEdu2, "e1000e", 0}.ledger_fields());
  }
  // The state the killed run left: both on pciback, the edu listed three times, the NIC once.
  sys.link(kEdu, "pciback");
  sys.link(kEdu2, "pciback");
  FakePciSysfs::put(sys.pciback("slots"), std::string(kEdu) + "\n" + kEdu + "\n" + kEdu2 + "\n" + kEdu + "\n");
  CleanupReport r = clean_up_ledger(path);
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  ASSERT_EQ(r.items.size(), 2u);
  // Newest first: the NIC. The tree does not react, so each step is visible in its file.
  EXPECT_NE(r.items[0].result.find("restored"), std::string::npos) << format_cleanup(r);
  EXPECT_EQ(FakePciSysfs::get(sys.driver_file("e1000e", "bind")), kEdu2);
  // The edu device: unbound from pciback, slot entries brought back to one (remove all, add one), no bind.
  EXPECT_EQ(FakePciSysfs::get(sys.pciback("remove_slot")), kEdu);
  EXPECT_EQ(FakePciSysfs::get(sys.pciback("new_slot")), kEdu);
  EXPECT_EQ(FakePciSysfs::get(sys.pciback("unbind")), kEdu);  // the last unbind written was the edu's

  // As the kernel would have left it; then a second cleanup finds every entry released and writes nothing.
  sys.link(kEdu, "");
  sys.link(kEdu2, "e1000e");
  FakePciSysfs::put(sys.pciback("slots"), std::string(kEdu) + "\n");
  sys.clear_writes();
  r = clean_up_ledger(path);
  EXPECT_TRUE(r.items.empty()) << format_cleanup(r);
  // And restoring a device already as it was writes nothing either.
  CleanupItem again = restore_pci_device(PciDeviceRecord{sys.root(), kEdu, "", 1});
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.result, "already as it was");
  for (const char* file : {"new_slot", "remove_slot", "bind", "unbind"}) EXPECT_EQ(FakePciSysfs::get(sys.pciback(file)), "") << file;
}

TEST(RealPciBack, CleanupLeavesAloneADeviceAnotherDriverTook) {
  TempDir dir;
  FakePciSysfs sys(dir);
  sys.add_device(kEdu, "vfio-pci");
  CleanupItem item = restore_pci_device(PciDeviceRecord{sys.root(), kEdu, "", 0});
  EXPECT_FALSE(item.ok);
  EXPECT_NE(item.result.find("vfio-pci"), std::string::npos) << item.result;
  EXPECT_EQ(FakePciSysfs::get(sys.driver_file("vfio-pci", "unbind")), "");
  // A device that is gone is nothing to restore.
  EXPECT_TRUE(restore_pci_device(PciDeviceRecord{sys.root(), "0000:00:1e.0", "e1000e", 0}).ok);
}

TEST(RealPciBack, AClosedLedgerStopsEveryWrite) {
  Fixture f;
  auto pci = f.pciback();
  ASSERT_EQ(pci->driver(kA).value, "e1000e");  // recorded
  f.ledger.close_and_drain(0);                 // what an interrupt does before it restores
  EXPECT_THROW(pci->new_slot(kA), std::runtime_error);
  EXPECT_EQ(FakePciSysfs::get(f.sys.pciback("new_slot")), "");
}

// An interrupt's cleanup owns the restore once it has closed the ledger: the end of the execution writes
// nothing then, so the two never write the same device's files at once.
TEST(RealPciBack, AfterAnInterruptClosedTheLedgerTheEndOfTheExecutionLeavesTheRestoreToIt) {
  Fixture f;
  f.give_the_scenarios_device_to_pciback([&] { f.ledger.close_and_drain(0); });  // the interrupt, before its restore
  for (const char* file : {"unbind", "remove_slot", "new_slot"}) EXPECT_EQ(FakePciSysfs::get(f.sys.pciback(file)), "") << file;
  EXPECT_EQ(FakePciSysfs::get(f.sys.driver_file("e1000e", "bind")), "");
  auto e = f.entries();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_FALSE(e[0].released);  // left for the interrupt's clean_up_ledger
}

// --- the run's skip paths ---

const Scenario& pci_attach() {
  static const ScenarioRegistry registry = [] {
    ScenarioRegistry r;
    register_builtin_scenarios(r);
    return r;
  }();
  return registry.get("pci-attach");
}

Dom0RunReport run_pci_attach(Dom0Session& session, const char* variant = "buggy") {
  const Scenario& s = pci_attach();
  StackPool stacks;
  Dom0RunOptions o;
  o.mode = Dom0Mode::replay;
  return run_on_dom0(s, *s.info().variant(variant), session, o, stacks);
}

TEST(RealPciBackRun, WithoutXenPcibackTheRunIsSkippedWithTheReason) {
  if (::access("/sys/bus/pci/drivers/pciback", F_OK) == 0)
    GTEST_SKIP() << "this host has xen-pciback: the missing-driver path is not reachable with the real /sys";
  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  Dom0Config c = test_host_config(dir, server.socket());
  c.pciback = Dom0Config::Pciback::real;
  c.allow_pci = {kEdu};
  Dom0Session session(c);
  const Dom0RunReport r = run_pci_attach(session);
  EXPECT_TRUE(r.skipped);
  EXPECT_NE(r.skip_reason.find("this host has no xen-pciback (/sys/bus/pci/drivers/pciback is missing"),
            std::string::npos)
      << r.skip_reason;
  EXPECT_EQ(r.base.executions, 0u);
  for (const auto& e : read_ledger(session.ledger_path())) EXPECT_NE(e.kind, kPciDeviceLedgerKind);  // no device
}

TEST(RealPciBackRun, AnAllowedDeviceTheHostLacksSkipsTheRun) {
  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  FakePciSysfs sys(dir);
  sys.add_device(kEdu, "");
  Dom0Config c = test_host_config(dir, server.socket());
  c.pciback = Dom0Config::Pciback::real;
  c.sysfs_root = sys.root();
  c.allow_pci = {kEdu, "0000:00:07.0"};
  Dom0Session session(c);
  const Dom0RunReport r = run_pci_attach(session);
  EXPECT_TRUE(r.skipped);
  EXPECT_NE(r.skip_reason.find("the allowed PCI device 0000:00:07.0 does not exist"), std::string::npos)
      << r.skip_reason;
  EXPECT_EQ(FakePciSysfs::get(sys.pciback("new_slot")), "");  // checked before anything is touched
}

// pci-attach uses two devices; given one, the run cannot play it as written: skipped, the device put back.
TEST(RealPciBackRun, FewerAllowedDevicesThanTheScenarioUsesSkipsTheRunAndRestores) {
  TempDir dir;
  ServedXenstore server(dir.path());
  if (!server.unavailable().empty()) GTEST_SKIP() << server.unavailable();
  FakePciSysfs sys(dir);
  sys.add_device(kEdu, "e1000e");
  Dom0Config c = test_host_config(dir, server.socket());
  c.pciback = Dom0Config::Pciback::real;
  c.sysfs_root = sys.root();
  c.allow_pci = {kEdu};
  Dom0Session session(c);
  const Dom0RunReport r = run_pci_attach(session);
  EXPECT_TRUE(r.skipped);
  EXPECT_NE(r.skip_reason.find("the scenario uses PCI device 0000:05:00.0"), std::string::npos) << r.skip_reason;
  // The run wrote for its one device (the tree does not react, so its link still says e1000e) ...
  EXPECT_EQ(FakePciSysfs::get(sys.pciback("new_slot")), kEdu);
  // ... and its ledger entry was released at the end of the execution.
  bool found = false;
  for (const auto& e : read_ledger(session.ledger_path()))
    if (e.kind == kPciDeviceLedgerKind) {
      found = true;
      EXPECT_TRUE(e.released);
      EXPECT_EQ(e.fields[1], kEdu);
    }
  EXPECT_TRUE(found);
  const CleanupReport rep = session.clean_up();
  EXPECT_TRUE(rep.ok()) << format_cleanup(rep);
}

}  // namespace
}  // namespace xenrace::dom0
