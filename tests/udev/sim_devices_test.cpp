// The worked examples of backends/sim/udev/sim_kernel_devices.hpp and sim_udevd.hpp.
#include <gtest/gtest.h>

#include "backends/sim/udev/sim_kernel_devices.hpp"
#include "backends/sim/udev/sim_service_manager.hpp"
#include "backends/sim/udev/sim_udevd.hpp"
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
Seen load_gntdev(bool devtmpfs, bool tag_rule) {
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
        if (tag_rule) w.sim_udevd().tag_for_systemd("xen/gntdev");
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
