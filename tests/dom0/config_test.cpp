// The safety settings and the confinement of XenStore paths to the run's subtree.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "backends/dom0/dom0_config.hpp"
#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/xs_path_map.hpp"
#include "runtime/types.hpp"

namespace xenrace::dom0 {
namespace {

TEST(Dom0Config, RefusesToRunWithoutConsent) {
  Dom0Config c;
  EXPECT_THROW(require_test_host(c), UsageError);
  try {
    require_test_host(c);
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--i-know-this-is-a-test-host"), std::string::npos);
  }
  c.test_host = true;
  EXPECT_NO_THROW(require_test_host(c));
}

TEST(Dom0Config, ParsesTheFile) {
  Dom0Config c = parse_config(
      "# a test host\n test_host = yes \nxenstored_path=/run/x.sock\nxenstore_root = /x/y\nallow_pci = 0000:03:00.0\n"
      "allow_pci = 0000:04:00.0 # two\nwork_dir = /var/tmp/z\n",
      "t.conf");
  EXPECT_TRUE(c.test_host);
  EXPECT_EQ(c.xenstored_path, "/run/x.sock");
  EXPECT_EQ(c.xenstore_root, "/x/y");
  EXPECT_EQ(c.work_dir, "/var/tmp/z");
  EXPECT_EQ(c.allow_pci, (std::vector<std::string>{"0000:03:00.0", "0000:04:00.0"}));
  EXPECT_FALSE(c.allow_domain_management);
  EXPECT_EQ(c.blkback, Dom0Config::Blkback::simulated);
  EXPECT_EQ(parse_config("blkback = real\n", "t").blkback, Dom0Config::Blkback::real);
}

TEST(Dom0Config, NamesTheBadLine) {
  try {
    parse_config("test_host = yes\nfrobnicate = 1\n", "t.conf");
    FAIL() << "accepted an unknown key";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("t.conf:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_config("test_host = maybe\n", "t"), UsageError);
  EXPECT_THROW(parse_config("xenstore_root = relative\n", "t"), UsageError);
  EXPECT_THROW(parse_config("xenstore_root = /x/\n", "t"), UsageError);
  EXPECT_THROW(parse_config("no equals sign\n", "t"), UsageError);
  EXPECT_THROW(parse_config("blkback = kernel\n", "t"), UsageError);
}

TEST(Dom0Config, PcibackAndAllowedPciDevices) {
  Dom0Config c = parse_config("pciback = real\nallow_pci = 00:01.0\nallow_pci = 0000:00:1f.7\n", "t.conf");
  EXPECT_EQ(c.pciback, Dom0Config::Pciback::real);
  EXPECT_EQ(c.allow_pci, (std::vector<std::string>{"0000:00:01.0", "0000:00:1f.7"}));  // canonical form
  EXPECT_NO_THROW(check_config(c));
  EXPECT_EQ(parse_config("", "t").pciback, Dom0Config::Pciback::simulated);
  EXPECT_THROW(parse_config("pciback = kernel\n", "t"), UsageError);
}

TEST(Dom0Config, ABadAllowedPciDeviceNamesTheLineAndTheValue) {
  for (const char* bad : {"0000:00:01.*", "0000:00:20.0", "0000:00:01.8", "zz", "0000:100:01.0", "01.0", ""}) {
    try {
      parse_config(fmt::format("test_host = yes\nallow_pci = {}\n", bad), "t.conf");
      ADD_FAILURE() << "accepted allow_pci = '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("t.conf:2"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fmt::format("'{}' is not a PCI function", bad)), std::string::npos)
          << e.what();
    }
  }
}

TEST(Dom0Config, PcibackRealNeedsAnAllowedDeviceAndEachOnce) {
  Dom0Config c = parse_config("pciback = real\n", "t.conf");
  try {
    check_config(c);
    FAIL() << "pciback = real accepted with no allow_pci";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--allow-pci"), std::string::npos) << e.what();
  }
  c = parse_config("allow_pci = 0000:00:01.0\nallow_pci = 00:01.0\n", "t.conf");
  EXPECT_THROW(check_config(c), UsageError);  // the same device twice, in two spellings
}

TEST(XsPathMap, KeepsEveryPathInsideTheRunsSubtree) {
  XsPathMap m("/local/domain/0/xenrace/r1/e0");
  EXPECT_EQ(m.to_host("/local/domain/0/backend/vbd/1/51712"),
            "/local/domain/0/xenrace/r1/e0/local/domain/0/backend/vbd/1/51712");
  // Relative paths resolve below /local/domain/0, as xenstored does for a dom0 socket connection.
  EXPECT_EQ(m.to_host("backend/vbd"), "/local/domain/0/xenrace/r1/e0/local/domain/0/backend/vbd");
  // A simulated guest driver's connection (home 3): below the guest's own domain, still in the subtree.
  EXPECT_EQ(m.to_host("device/pci/0", 3), "/local/domain/0/xenrace/r1/e0/local/domain/3/device/pci/0");
  EXPECT_EQ(m.to_host("/local/domain/0/backend", 3), "/local/domain/0/xenrace/r1/e0/local/domain/0/backend");
  EXPECT_EQ(m.to_host("/"), "/local/domain/0/xenrace/r1/e0");
  EXPECT_EQ(m.to_host("@releaseDomain"), "@releaseDomain");
  EXPECT_EQ(m.to_scenario("/local/domain/0/xenrace/r1/e0/a/b"), "/a/b");
  EXPECT_EQ(m.to_scenario("/local/domain/0/xenrace/r1/e0"), "/");
  EXPECT_EQ(m.to_scenario("@introduceDomain"), "@introduceDomain");
  EXPECT_EQ(m.to_scenario("/local/domain/0/xenrace/r1/e01/a"), std::nullopt);  // a sibling, not ours
  EXPECT_EQ(m.to_scenario("/tool"), std::nullopt);
  EXPECT_THROW(XsPathMap("relative"), std::invalid_argument);
}

TEST(XsPathMap, ARedirectedDirectoryLivesAtItsRealPathAndNothingElseDoes) {
  XsPathMap m("/local/domain/0/xenrace/r1/e0");
  m.redirect("/local/domain/0/backend/vbd/1/51712", "/local/domain/0/backend/vbd/32000/51712");
  EXPECT_EQ(m.to_host("/local/domain/0/backend/vbd/1/51712"), "/local/domain/0/backend/vbd/32000/51712");
  EXPECT_EQ(m.to_host("/local/domain/0/backend/vbd/1/51712/physical-device"),
            "/local/domain/0/backend/vbd/32000/51712/physical-device");
  EXPECT_EQ(m.to_host("backend/vbd/1/51712/mode"), "/local/domain/0/backend/vbd/32000/51712/mode");  // relative
  // Its parents, siblings and look-alike names stay in the run's subtree.
  EXPECT_EQ(m.to_host("/local/domain/0/backend/vbd/1"), "/local/domain/0/xenrace/r1/e0/local/domain/0/backend/vbd/1");
  EXPECT_EQ(m.to_host("/local/domain/0/backend/vbd/1/517120"),
            "/local/domain/0/xenrace/r1/e0/local/domain/0/backend/vbd/1/517120");
  EXPECT_EQ(m.to_scenario("/local/domain/0/backend/vbd/32000/51712/state"), "/local/domain/0/backend/vbd/1/51712/state");
  EXPECT_EQ(m.to_scenario("/local/domain/0/backend/vbd/32000/51712"), "/local/domain/0/backend/vbd/1/51712");
  EXPECT_EQ(m.to_scenario("/local/domain/0/backend/vbd/32000"), std::nullopt);  // not the run's
  EXPECT_EQ(m.to_scenario("/local/domain/0/backend/vbd/32000/517120"), std::nullopt);
  EXPECT_THROW(m.redirect("relative", "/x"), std::invalid_argument);
  EXPECT_THROW(m.redirect("/x", "/y/"), std::invalid_argument);
}

TEST(HostOps, ParsesLoopPaths) {
  int i = -1;
  EXPECT_TRUE(parse_loop_path("/dev/loop12", i));
  EXPECT_EQ(i, 12);
  EXPECT_FALSE(parse_loop_path("/dev/loop", i));
  EXPECT_FALSE(parse_loop_path("/dev/loop-control", i));
  EXPECT_FALSE(parse_loop_path("/dev/sda", i));
  EXPECT_FALSE(parse_loop_path("/dev/loop1x", i));
  EXPECT_EQ(loop_path(3), "/dev/loop3");
}

}  // namespace
}  // namespace xenrace::dom0
