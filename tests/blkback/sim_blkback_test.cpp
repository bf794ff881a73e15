// The worked examples of backends/sim/blkback/sim_blkback.hpp, one test each.
#include <gtest/gtest.h>

#include "backends/sim/blkback/physical_device.hpp"
#include "backends/sim/blkback/sim_blkback.hpp"
#include "backends/sim/loop/sim_loop.hpp"
#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "loop_test_support.hpp"

namespace xenrace {
namespace {

using testing::TestExecution;

constexpr const char* kBe = "/local/domain/0/backend/vbd/1/51712";
constexpr const char* kErrorNode = "/local/domain/0/error/backend/vbd/1/51712/error";

struct Fixture {
  TestExecution t;
  SimXenStore xs{t.ex};
  SimLoop loop{t.ex};
  SimBlockBackends blkback{t.ex, xs, loop};
  std::unique_ptr<XsConnection> setup = xs.connect(0);

  explicit Fixture(BlkbackDiskseq d = BlkbackDiskseq::unsupported) {
    blkback.set_diskseq_support(d);
    loop.create_file("/a");
    loop.create_file("/b");
    setup->write(kNoTx, std::string(kBe) + "/mode", "w");
    setup->write(kNoTx, std::string(kBe) + "/online", "1");
    EXPECT_EQ(blkback.probe(kBe), 0);
  }
  // losetup from setup code: binds `file` to loopN and keeps nothing open.
  void bind(int index, const char* file) {
    loop.add(index);
    LoopFd fd = loop.open(index).value;
    ASSERT_EQ(loop.configure(fd, file, 0), 0);
    loop.close(fd);
  }
  std::string node(const std::string& name) {
    auto r = setup->read(kNoTx, name[0] == '/' ? name : std::string(kBe) + "/" + name);
    return r.ok() ? r.value : errno_name(r.err);
  }
  // A block script that writes `nodes` in order, one visible operation each.
  void script(std::vector<std::pair<std::string, std::string>> nodes) {
    t.ex.spawn("block script", [this, nodes] {
      auto c = xs.connect(0);
      for (const auto& [name, value] : nodes) c->write(kNoTx, std::string(kBe) + "/" + name, value);
    });
  }
  void run() {
    ExecutionResult r = t.ex.run();
    ASSERT_FALSE(r.failed()) << r.check << ": " << r.message;
  }
};

TEST(SimBlkback, ProbeWaitsInInitWait) {
  Fixture f(BlkbackDiskseq::node);
  f.script({});
  f.run();
  EXPECT_EQ(f.node("state"), "2");
  EXPECT_EQ(f.node("opened"), "0");
  EXPECT_FALSE(f.blkback.exported(kBe).has_value());
}

TEST(SimBlkback, PhysicalDeviceOpensByNumberAndConnects) {
  Fixture f(BlkbackDiskseq::node);
  f.bind(0, "/a");
  f.script({{"physical-device", "7:0"}});
  f.run();
  EXPECT_EQ(f.node("state"), "4");
  EXPECT_EQ(f.node("opened"), "1");
  auto e = f.blkback.exported(kBe);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->backing_file, "/a");
  EXPECT_EQ(f.loop.openers(0), 1) << "blkback holds its reference";
}

TEST(SimBlkback, ChangingThePhysicalDeviceIsIgnored) {
  Fixture f;
  f.bind(0, "/a");
  f.bind(1, "/b");
  f.script({{"physical-device", "7:0"}});
  f.run();
  f.setup->write(kNoTx, std::string(kBe) + "/physical-device", "7:1");
  EXPECT_EQ(f.blkback.exported(kBe)->backing_file, "/a");
  EXPECT_EQ(f.node("state"), "4");
  EXPECT_EQ(f.node("opened"), "ENOENT") << "kernels without diskseq do not write opened";
}

TEST(SimBlkback, ChangeAfterConnectIsWarnedAndIgnoredInsideOneRun) {
  Fixture f;
  f.bind(0, "/a");
  f.bind(1, "/b");
  f.t.ex.spawn("block script", [&f] {
    auto c = f.xs.connect(0);
    c->watch(std::string(kBe) + "/state", "state");
    c->write(kNoTx, std::string(kBe) + "/physical-device", "7:0");
    while (c->read(kNoTx, std::string(kBe) + "/state").value != "4") c->read_watch();
    // Written back to back, the two events could coalesce into one; after Connected they cannot.
    c->write(kNoTx, std::string(kBe) + "/physical-device", "7:1");
  });
  f.run();
  EXPECT_EQ(f.blkback.exported(kBe)->backing_file, "/a");
  EXPECT_EQ(f.loop.openers(1), 0) << "7:1 was never opened";
}

TEST(SimBlkback, DiskseqMismatchRefusesTheDevice) {
  Fixture f(BlkbackDiskseq::node);
  f.bind(0, "/a");  // loop0's diskseq is now 2
  f.script({{"diskseq", "5"}, {"physical-device", "7:0"}});
  f.run();
  EXPECT_EQ(f.node("state"), "5");
  EXPECT_EQ(f.node(kErrorNode), "19 creating vbd structure");
  EXPECT_FALSE(f.blkback.exported(kBe).has_value());
  EXPECT_EQ(f.loop.openers(0), 0) << "the reference is put back";
}

TEST(SimBlkback, DiskseqMatchConnects) {
  Fixture f(BlkbackDiskseq::node);
  f.bind(0, "/a");
  f.script({{"diskseq", format_diskseq(f.loop.peek(0)->diskseq)}, {"physical-device", "7:0"}});
  f.run();
  EXPECT_EQ(f.node("state"), "4");
  EXPECT_EQ(f.blkback.exported(kBe)->diskseq, f.loop.peek(0)->diskseq);
}

TEST(SimBlkback, MalformedDiskseqIsFatal) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "14 diskseq must not be empty"},
      {"0a", "34 diskseq must not start with '0'"},
      {"12345678901234567", "34 diskseq too long"},
      {"1z", "22 invalid diskseq"},
  };
  for (const auto& [value, error] : cases) {
    Fixture f(BlkbackDiskseq::node);
    f.bind(0, "/a");
    f.script({{"diskseq", value}, {"physical-device", "7:0"}});
    f.run();
    EXPECT_EQ(f.node("state"), "5") << value;
    EXPECT_EQ(f.node(kErrorNode), error) << value;
  }
}

TEST(SimBlkback, WithoutDiskseqSupportAReusedMinorExportsTheOtherMedium) {
  Fixture f(BlkbackDiskseq::unsupported);
  f.bind(0, "/a");
  const std::string seq = format_diskseq(f.loop.peek(0)->diskseq);
  LoopFd fd = f.loop.open(0).value;  // someone detaches loop0 and attaches /b
  f.loop.clr_fd(fd);
  f.loop.close(fd);
  f.bind(0, "/b");
  f.script({{"diskseq", seq}, {"physical-device", "7:0"}});
  f.run();
  EXPECT_EQ(f.node("state"), "4");
  EXPECT_EQ(f.blkback.exported(kBe)->backing_file, "/b");
}

TEST(SimBlkback, DiskseqInsidePhysicalDevice) {
  Fixture f(BlkbackDiskseq::in_physical_device);
  f.bind(0, "/a");
  f.script({{"physical-device", format_diskseq(f.loop.peek(0)->diskseq + 1) + "@7:0"}});
  f.run();
  EXPECT_EQ(f.node("state"), "5");
  EXPECT_EQ(f.node(kErrorNode), "19 creating vbd structure");
}

TEST(SimBlkback, MissingDeviceIsENOENT) {
  Fixture f;
  f.script({{"physical-device", "7:9"}});
  f.run();
  EXPECT_EQ(f.node("state"), "5");
  EXPECT_EQ(f.node(kErrorNode), "2 creating vbd structure");
}

TEST(SimBlkback, OfflineClosesThenPutsTheDevice) {
  Fixture f;
  f.bind(0, "/a");
  f.script({{"physical-device", "7:0"}, {"online", "0"}});
  f.run();
  EXPECT_EQ(f.node("state"), "6");
  EXPECT_TRUE(f.blkback.exported(kBe)->released);
  EXPECT_EQ(f.loop.openers(0), 0);
}

}  // namespace
}  // namespace xenrace
