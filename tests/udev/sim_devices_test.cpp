// The worked examples of backends/sim/udev/sim_kernel_devices.hpp and sim_udevd.hpp, and udev rules files
// (udev_rules.hpp).
#include <gtest/gtest.h>

#include "backends/sim/udev/sim_kernel_devices.hpp"
#include "backends/sim/udev/sim_service_manager.hpp"
#include "backends/sim/udev/sim_udevd.hpp"
#include "backends/sim/udev/udev_rules.hpp"
#include "tests/mdev/sim_run.hpp"

namespace xenrace {
namespace {

using testing::run_sim;

struct Seen {
  Errno open_before = 0, modprobe = -1, open_after_modprobe = -1, legacy = 0;
  bool node_at_end = false;
  std::string device_unit_state;
};

// modprobe runs to completion before udevd gets a turn (udevd is actor 0; the loader is preferred).
Seen load_gntdev(bool devtmpfs, bool tag_rule, const char* rules_file = nullptr) {
  Seen s;
  SimKernelDevices* kernel = nullptr;
  SimServiceManager* systemd = nullptr;
  ActorId loader = kNoActor;
  run_sim(
      [&](Execution& ex, SimWorld& w) {
        kernel = &w.sim_kernel_devices();
        systemd = &w.sim_services();
        kernel->add_xen_dom0_modules();
        kernel->set_devtmpfs(devtmpfs);
        if (tag_rule)
          w.sim_udevd().add_rules(parse_udev_rules("test.rules", "KERNEL==\"gntdev\", TAG+=\"systemd\"\n").rules);
        if (rules_file != nullptr) w.sim_udevd().add_rules(parse_udev_rules("test.rules", rules_file).rules);
        w.sim_udevd().start();
        loader = ex.spawn("systemd-modules-load", [&] {
          s.open_before = w.device_nodes().open_node("/dev/xen/gntdev");
          s.legacy = w.kernel_modules().modprobe("gntdev");
          s.modprobe = w.kernel_modules().modprobe("xen-gntdev");
          s.open_after_modprobe = w.device_nodes().open_node("/dev/xen/gntdev");
        });
        ex.at_end("observe", [&] {
          s.node_at_end = kernel->has_node("/dev/xen/gntdev");
          s.device_unit_state = systemd->state_of("dev-xen-gntdev.device");
          return std::string();
        });
      },
      [&](const PickContext&) { return loader; });
  return s;
}

TEST(SimKernelDevices, WithDevtmpfsTheNodeExistsWhenModprobeReturns) {
  Seen s = load_gntdev(true, false);
  EXPECT_EQ(s.open_before, ENOENT);
  EXPECT_EQ(s.legacy, ENOENT);  // the legacy name in xen.conf: "Failed to find module"
  EXPECT_EQ(s.modprobe, 0);
  EXPECT_EQ(s.open_after_modprobe, 0);
  EXPECT_TRUE(s.node_at_end);
}

TEST(SimKernelDevices, WithoutDevtmpfsOnlyUdevdCreatesTheNode) {
  Seen s = load_gntdev(false, false);
  EXPECT_EQ(s.modprobe, 0);
  EXPECT_EQ(s.open_after_modprobe, ENOENT);  // udevd has not handled the uevent yet
  EXPECT_TRUE(s.node_at_end);                // ... and did afterwards
}

TEST(SimUdevd, ATaggedDeviceBecomesAnActiveDeviceUnit) {
  EXPECT_EQ(load_gntdev(true, true).device_unit_state, "active");
}

TEST(SimUdevd, WithoutTheTagNoDeviceUnitAppears) {
  Seen s = load_gntdev(true, false);
  EXPECT_TRUE(s.node_at_end);
  EXPECT_EQ(s.device_unit_state, "inactive");
}

// A rules file tags the device as a rule would: by kernel name and subsystem (misc), with alternatives and
// globs; a rule for another device, or one that does not match, tags nothing.
TEST(SimUdevd, ARuleFromARulesFileTagsTheDevice) {
  EXPECT_EQ(load_gntdev(true, false, "SUBSYSTEM==\"misc\", KERNEL==\"gntdev\", TAG+=\"systemd\"\n").device_unit_state,
            "active");
  EXPECT_EQ(load_gntdev(true, false, "KERNEL==\"evtchn|gnt*\", ACTION==\"add\", TAG+=\"systemd\"\n").device_unit_state,
            "active");
  EXPECT_EQ(load_gntdev(true, false, "KERNEL==\"evtchn\", TAG+=\"systemd\"\n").device_unit_state, "inactive");
  EXPECT_EQ(load_gntdev(true, false, "SUBSYSTEM==\"block\", KERNEL==\"gntdev\", TAG+=\"systemd\"\n").device_unit_state,
            "inactive");
  EXPECT_EQ(load_gntdev(true, false, "KERNEL!=\"gntdev\", TAG+=\"systemd\"\n").device_unit_state, "inactive");
}

TEST(UdevRules, AppliesWhatItModelsAndReportsTheRest) {
  const UdevRules r = parse_udev_rules("50-xen.rules",
                                       "# comment\n"
                                       "\n"
                                       "ACTION==\"add\", SUBSYSTEM==\"misc\", \\\n"
                                       "  KERNEL==\"gntdev\", TAG+=\"systemd\", MODE=\"0600\"\n"
                                       "KERNEL==\"evtchn\", ENV{ID_X}==\"1\", TAG+=\"systemd\"\n"
                                       "GOTO=\"xen_end\"\n");
  ASSERT_EQ(r.rules.size(), 1u);  // the rule with an unknown match key is left out
  EXPECT_EQ(r.rules[0].matches.size(), 3u);
  EXPECT_TRUE(r.rules[0].tags_systemd);
  EXPECT_EQ(r.not_modelled, (std::vector<std::string>{"50-xen.rules:3: MODE=\"0600\"", "50-xen.rules:5: ENV{ID_X}==\"1\"",
                                                      "50-xen.rules:6: GOTO=\"xen_end\""}));
}

TEST(UdevRules, PatternsTakeAlternativesAndGlobs) {
  EXPECT_TRUE(udev_pattern_matches("tty[0-9]|hvc*", "hvc0"));
  EXPECT_TRUE(udev_pattern_matches("tty[0-9]|hvc*", "tty3"));
  EXPECT_FALSE(udev_pattern_matches("tty[0-9]|hvc*", "tty12"));
  EXPECT_TRUE(udev_pattern_matches("gntdev", "gntdev"));
}

TEST(UdevRules, MistakesNameTheFileAndLine) {
  for (const char* bad : {"KERNEL==\"x\", TAG+=systemd\n", "\nKERNEL=\"x\n", "KERNEL ~ \"x\"\n"}) {
    try {
      parse_udev_rules("bad.rules", bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("bad.rules:", 0), 0u) << e.what();
    }
  }
}

TEST(SimKernelDevices, ModprobeOfALoadedModuleSucceedsAndAddsNothing) {
  int device_adds = 0;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    w.sim_kernel_devices().add_xen_dom0_modules();
    ex.spawn("modprobe", [&] {
      EXPECT_EQ(w.kernel_modules().modprobe("xen-evtchn"), 0);
      EXPECT_EQ(w.kernel_modules().modprobe("xen-evtchn"), 0);
      EXPECT_TRUE(w.device_nodes().node_exists("/dev/xen/evtchn"));
    });
  });
  for (const TraceEvent& e : r.events)
    if (e.op == "kernel.device_add") ++device_adds;
  EXPECT_EQ(device_adds, 1);
}

}  // namespace
}  // namespace xenrace
