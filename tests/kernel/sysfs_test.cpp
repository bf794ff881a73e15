// world/sysfs.hpp: the sysfs files hotplug code uses, by path, reach the component that owns each file, as
// that component's visible operation; other paths, and the wrong direction on a read-only or write-only
// file, answer as the kernel's attribute modes do.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mdev/sim_run.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/mdev.hpp"
#include "world/pci.hpp"
#include "world/sysfs.hpp"

namespace xenrace {
namespace {

using testing::run_sim;

constexpr const char* kUuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";

TEST(Sysfs, LoopFilesReadTheLoopDevice) {
  bool ran = false;
  run_sim([&ran](Execution& ex, SimWorld& w) {
    w.loop().create_file("/images/a");
    ex.spawn("losetup", [&w, &ran] {
      LoopDevices& loop = w.loop();
      const int index = loop.get_free().value;
      auto fd = loop.open(index).value;
      ASSERT_EQ(loop.configure(fd, "/images/a", 0), 0);
      Sysfs sys = w.sysfs();
      const std::string dev = "/sys/block/loop" + std::to_string(index);
      EXPECT_EQ(sys.read(dev + "/loop/backing_file").value, "/images/a\n");
      const Result<std::string> seq = sys.read(dev + "/diskseq");
      ASSERT_TRUE(seq.ok());
      EXPECT_EQ(seq.value, std::to_string(loop.diskseq(index).value) + "\n");
      EXPECT_EQ(sys.write(dev + "/diskseq", "1"), EACCES);  // read-only
      EXPECT_EQ(sys.read("/sys/block/loop99/loop/backing_file").err, loop.backing_file(99).err);
      EXPECT_EQ(sys.read("/sys/block/sda/size").err, ENOENT);
      loop.close(fd);
      ran = true;
    });
  });
  EXPECT_TRUE(ran);
}

TEST(Sysfs, MdevCreateAndRemoveFilesDriveTheBus) {
  ExecutionResult r = run_sim([](Execution& ex, SimWorld& w) {
    ASSERT_EQ(w.kernel().add_mdev_parent("0000:00:02.0", {"i915-GVTg_V5_4"}), "");
    ex.spawn("mdevctl", [&w] {
      Sysfs sys = w.sysfs();
      const std::string create = "/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/create";
      EXPECT_EQ(sys.read(create).err, EACCES);  // write-only
      ASSERT_EQ(sys.write(create, std::string(kUuid) + "\n"), 0);
      EXPECT_EQ(sys.list("/sys/bus/mdev/devices").value, std::vector<std::string>{kUuid});
      EXPECT_EQ(sys.read(std::string("/sys/bus/mdev/devices/") + kUuid + "/mdev_parent").value, "0000:00:02.0\n");
      ASSERT_EQ(sys.write(std::string("/sys/bus/mdev/devices/") + kUuid + "/remove", "1"), 0);
      EXPECT_TRUE(sys.list("/sys/bus/mdev/devices").value.empty());
      EXPECT_EQ(sys.write("/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/nope", "x"), ENOENT);
    });
  });
  // Each access was the bus's own visible operation, traced as such.
  int creates = 0;
  for (const auto& e : r.events) creates += e.op.find("create") != std::string::npos;
  EXPECT_GE(creates, 1);
}

TEST(Sysfs, PcibackFilesDriveTheDriver) {
  bool ran = false;
  run_sim([&ran](Execution& ex, SimWorld& w) {
    ex.spawn("xl pci-assignable-add", [&w, &ran] {
      Sysfs sys = w.sysfs();
      EXPECT_EQ(sys.read("/sys/bus/pci/drivers/pciback/slots").value, "");
      ASSERT_EQ(sys.write("/sys/bus/pci/drivers/pciback/new_slot", "0000:04:00.0\n"), 0);
      EXPECT_EQ(sys.read("/sys/bus/pci/drivers/pciback/slots").value, "0000:04:00.0\n");
      EXPECT_EQ(sys.read("/sys/bus/pci/drivers/pciback/new_slot").err, EACCES);
      EXPECT_EQ(sys.write("/sys/bus/pci/drivers/pciback/slots", "x"), EACCES);
      ASSERT_EQ(sys.write("/sys/bus/pci/drivers/pciback/remove_slot", "0000:04:00.0"), 0);
      EXPECT_EQ(sys.read("/sys/bus/pci/drivers/pciback/slots").value, "");
      ran = true;
    });
  });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace xenrace
