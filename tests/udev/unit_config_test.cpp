#include <gtest/gtest.h>

#include <stdexcept>

#include "backends/sim/udev/sim_udevd.hpp"
#include "backends/sim/udev/unit_config.hpp"

namespace xenrace {
namespace {

TEST(UnitConfig, ParsesListsBooleansAndTypes) {
  std::vector<UnitSpec> units;
  parse_units(R"(
# the Xen unit, reduced to its ordering
[xenstored.service]
Requires=proc-xen.mount
After=proc-xen.mount
Before=libvirtd.service libvirt-guests.service
Type=notify
RemainAfterExit=true
ExecStart=xenstored
WantedBy=multi-user.target
)", units);
  ASSERT_EQ(units.size(), 1u);
  const UnitSpec& u = units[0];
  EXPECT_EQ(u.name, "xenstored.service");
  EXPECT_EQ(u.requires_units, std::vector<std::string>{"proc-xen.mount"});
  EXPECT_EQ(u.before, (std::vector<std::string>{"libvirtd.service", "libvirt-guests.service"}));
  EXPECT_EQ(u.type, ServiceType::notify);
  EXPECT_TRUE(u.remain_after_exit);
  EXPECT_TRUE(u.default_dependencies);
  EXPECT_EQ(u.exec_start, "xenstored");
  EXPECT_EQ(u.wanted_by, std::vector<std::string>{"multi-user.target"});
}

TEST(UnitConfig, RepeatedKeysAppendAndAnEmptyValueResets) {
  std::vector<UnitSpec> units;
  parse_units("[a.service]\nAfter=b.service\nAfter=c.service\nWants=x.service\nWants=\n", units);
  EXPECT_EQ(units[0].after, (std::vector<std::string>{"b.service", "c.service"}));
  EXPECT_TRUE(units[0].wants.empty());
}

TEST(UnitConfig, ALaterSectionReplacesTheUnitWhole) {
  std::vector<UnitSpec> units;
  parse_units(systemd_default_units(), units);
  parse_units("[systemd-modules-load.service]\nDefaultDependencies=no\nType=oneshot\n", units);
  int found = 0;
  for (const UnitSpec& u : units) {
    if (u.name != "systemd-modules-load.service") continue;
    ++found;
    EXPECT_TRUE(u.before.empty());  // the override dropped Before=sysinit.target
    EXPECT_TRUE(u.wanted_by.empty());
  }
  EXPECT_EQ(found, 1);
}

TEST(UnitConfig, SystemdDefaultsOrderModulesLoadBeforeSysinit) {
  std::vector<UnitSpec> units;
  parse_units(systemd_default_units(), units);
  bool checked = false;
  for (const UnitSpec& u : units) {
    if (u.name != "systemd-modules-load.service") continue;
    EXPECT_FALSE(u.default_dependencies);
    EXPECT_EQ(u.before, std::vector<std::string>{"sysinit.target"});
    checked = true;
  }
  EXPECT_TRUE(checked);
}

TEST(UnitConfig, MistakesNameTheLine) {
  std::vector<UnitSpec> units;
  EXPECT_THROW(parse_units("After=x.service\n", units), std::invalid_argument);
  EXPECT_THROW(parse_units("[a.service]\nRequiresMountsFor=/proc/xen\n", units), std::invalid_argument);
  EXPECT_THROW(parse_units("[a.service]\nType=forking\n", units), std::invalid_argument);
  EXPECT_THROW(parse_units("[a.service]\nDefaultDependencies=maybe\n", units), std::invalid_argument);
  try {
    parse_units("[a.service]\n\nBogus=1\n", units);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

// A real unit file: what orders and starts the unit is applied, everything else is returned as not modelled.
TEST(UnitFile, AppliesWhatItModelsAndReturnsTheRest) {
  std::vector<UnitSpec> units;
  const std::vector<std::string> rest = parse_unit_file("xenstored.service", R"(# comment
[Unit]
Description=The Xen xenstore
Requires=proc-xen.mount
After=proc-xen.mount
ConditionPathExists=/proc/xen/capabilities
; another comment

[Service]
Type=notify
RemainAfterExit=true
ExecStartPre=/bin/grep -q control_d /proc/xen/capabilities
ExecStart=-/etc/xen/scripts/launch-xenstore --with \
  an-argument

[Install]
WantedBy=multi-user.target
)", units);
  ASSERT_EQ(units.size(), 1u);
  const UnitSpec& u = units[0];
  EXPECT_EQ(u.name, "xenstored.service");
  EXPECT_EQ(u.requires_units, std::vector<std::string>{"proc-xen.mount"});
  EXPECT_EQ(u.after, std::vector<std::string>{"proc-xen.mount"});
  EXPECT_EQ(u.type, ServiceType::notify);
  EXPECT_TRUE(u.remain_after_exit);
  EXPECT_EQ(u.exec_start, "launch-xenstore") << "bound by the program's file name";
  EXPECT_EQ(u.wanted_by, std::vector<std::string>{"multi-user.target"});
  EXPECT_EQ(rest, (std::vector<std::string>{"xenstored.service: ConditionPathExists=/proc/xen/capabilities",
                                            "xenstored.service: ExecStartPre=/bin/grep -q control_d /proc/xen/capabilities"}));
}

TEST(UnitFile, AKeyInAnotherSectionOrAnUnknownTypeIsNotModelled) {
  std::vector<UnitSpec> units;
  const auto rest = parse_unit_file("a.service", "[Service]\nAfter=b.service\nType=forking\n[Mount]\nWhat=xenfs\n", units);
  EXPECT_TRUE(units[0].after.empty()) << "After= belongs to [Unit]";
  EXPECT_EQ(rest, (std::vector<std::string>{"a.service: After=b.service", "a.service: Type=forking", "a.service: What=xenfs"}));
}

TEST(UnitFile, MistakesNameTheFileAndLine) {
  std::vector<UnitSpec> units;
  try {
    parse_unit_file("x.service", "[Unit]\nDescription=x\nnot a key\n", units);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("x.service line 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_unit_file("x.service", "Description=before any section\n", units), std::invalid_argument);
  EXPECT_THROW(parse_unit_file("x.service", "[Unit\n", units), std::invalid_argument);
}

TEST(DeviceUnitName, EscapesLikeSystemdEscapePath) {
  EXPECT_EQ(device_unit_for("/dev/xen/gntdev"), "dev-xen-gntdev.device");
  EXPECT_EQ(device_unit_for("/dev/disk/by-uuid/x"), "dev-disk-by\\x2duuid-x.device");
}

}  // namespace
}  // namespace xenrace
