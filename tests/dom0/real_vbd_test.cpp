// A real vbd backend directory (backends/dom0/real_vbd.hpp) against the project's XenStore server: what xen-blkback
// needs is there when the directory appears, it is ledgered, and undoing it removes it, what the kernel
// wrote beside it and the parents it created, and nothing of anyone else's. No Xen needed.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/real_vbd.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "served_session_test.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"

namespace xenrace::dom0 {
namespace {

class RealVbd : public ServedSessionTest {
 protected:
  void SetUp() override {
    ServedSessionTest::SetUp();
    if (IsSkipped()) return;
    frontend_ = session_->next_xenstore_prefix() + "/local/domain/1/device/vbd/51712";
    xs_ = std::make_unique<XsHandle>(server_->socket());
    ASSERT_TRUE(*xs_);
    ASSERT_EQ(xs_->write(kNoTx, "/local/domain/0/name", "Domain-0"), 0);  // as xen-init-dom0 leaves a dom0
  }
  std::string read(const std::string& path) {
    auto r = xs_->read(kNoTx, path);
    return r.ok() ? r.value : "<" + std::string(errno_name(r.err)) + ">";
  }
  std::string ledger_text() {
    std::ifstream in(session_->ledger_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::unique_ptr<XsHandle> xs_;
  std::string frontend_;
};

TEST_F(RealVbd, TheBackendAppearsWithWhatXenbusReadsBeforeProbing) {
  std::uint64_t id = 0;
  const RealVbdPaths v = create_real_vbd(session_->ledger(), server_->socket(), 51712, frontend_, &id);
  EXPECT_GE(v.domid, 32000);
  EXPECT_LT(v.domid, 0x7ff0);  // below DOMID_FIRST_RESERVED
  EXPECT_EQ(v.backend, fmt::format("/local/domain/0/backend/vbd/{}/51712", v.domid));
  EXPECT_EQ(read(v.backend + "/state"), "1");  // xenbus_probe_node ignores anything but Initialising
  EXPECT_EQ(read(v.backend + "/frontend"), frontend_);
  EXPECT_EQ(read(v.backend + "/frontend-id"), std::to_string(v.domid));
  EXPECT_EQ(read(v.backend + "/xenrace-run"), session_->run_id());
  EXPECT_EQ(read(frontend_ + "/state"), "1");
  EXPECT_EQ(read(frontend_ + "/device-type"), "disk");
  EXPECT_EQ(read(fmt::format("/local/domain/{}", v.domid)), "<ENOENT>");  // no such domain
  // Nothing of the host's existed on this server: the whole chain from /local/domain/0/backend is the run's.
  EXPECT_EQ(v.backend_top, "/local/domain/0/backend");
  EXPECT_EQ(v.error_top, "/local/domain/0/error");
  EXPECT_NE(ledger_text().find(fmt::format("intent\t{}\txs-vbd\t{}\t", id, v.backend)), std::string::npos)
      << ledger_text();
  EXPECT_EQ(RealVbdPaths::from_ledger(v.ledger_fields()).backend, v.backend);
  EXPECT_EQ(v.sysfs_device(), fmt::format("/sys/bus/xen-backend/devices/vbd-{}-51712", v.domid));
}

TEST_F(RealVbd, ADomidInUseIsNeverChosen) {
  const int first = 32000 + static_cast<int>(::getpid() % 700);  // where the search starts
  ASSERT_EQ(xs_->write(kNoTx, fmt::format("/local/domain/{}/name", first), "guest"), 0);
  ASSERT_EQ(xs_->write(kNoTx, fmt::format("/local/domain/0/backend/vbd/{}/768/state", 32000 + (first + 1 - 32000) % 700),
                       "4"),
            0);
  const RealVbdPaths v = create_real_vbd(session_->ledger(), server_->socket(), 51712, frontend_);
  EXPECT_NE(v.domid, first);
  EXPECT_NE(v.domid, 32000 + (first + 1 - 32000) % 700);
  // /local/domain/0/backend/vbd existed (someone else's): only the domid directory is the run's.
  EXPECT_EQ(v.backend_top, fmt::format("/local/domain/0/backend/vbd/{}", v.domid));
}

TEST_F(RealVbd, CleanupRemovesTheBackendTheKernelsErrorNodeAndOnlyTheParentsItMade) {
  ASSERT_EQ(xs_->write(kNoTx, "/local/domain/0/backend/vbd/7/51712/state", "4"), 0);  // another toolstack's
  const RealVbdPaths v = create_real_vbd(session_->ledger(), server_->socket(), 51712, frontend_);
  // What xenbus_dev_fatal writes when blkback refuses the device.
  ASSERT_EQ(xs_->write(kNoTx, v.error + "/error", "2 creating vbd structure"), 0);
  const CleanupReport r = clean_up_ledger(session_->ledger_path());
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  EXPECT_EQ(read(v.backend), "<ENOENT>");
  EXPECT_EQ(read(fmt::format("/local/domain/0/backend/vbd/{}", v.domid)), "<ENOENT>");
  EXPECT_EQ(read("/local/domain/0/error"), "<ENOENT>");  // it did not exist before the run
  EXPECT_EQ(read("/local/domain/0/backend/vbd/7/51712/state"), "4");
  EXPECT_EQ(read(frontend_), "<ENOENT>");  // with the run's subtree
  // A second cleanup finds everything released.
  EXPECT_TRUE(clean_up_ledger(session_->ledger_path()).items.empty());
}

TEST_F(RealVbd, CleanupLeavesAloneABackendThatIsNoLongerTheRuns) {
  const RealVbdPaths v = create_real_vbd(session_->ledger(), server_->socket(), 51712, frontend_);
  ASSERT_EQ(xs_->write(kNoTx, v.backend + "/xenrace-run", "r-someone-else"), 0);
  const CleanupItem item = remove_real_vbd(v, session_->run_id(), 0);
  EXPECT_FALSE(item.ok);
  EXPECT_NE(item.result.find("left alone"), std::string::npos) << item.result;
  EXPECT_EQ(read(v.backend + "/state"), "1");
  ASSERT_EQ(xs_->rm(v.backend + "/xenrace-run"), 0);
  EXPECT_FALSE(remove_real_vbd(v, session_->run_id(), 0).ok);  // no marker at all: not provably ours either
  EXPECT_EQ(read(v.backend + "/state"), "1");
  ASSERT_EQ(xs_->rm("/local/domain/0/backend"), 0);
}

TEST_F(RealVbd, AParentSomeoneElseUsesMeanwhileIsKept) {
  const RealVbdPaths v = create_real_vbd(session_->ledger(), server_->socket(), 51712, frontend_);
  ASSERT_EQ(v.backend_top, "/local/domain/0/backend");
  ASSERT_EQ(xs_->write(kNoTx, "/local/domain/0/backend/vif/5/0/state", "4"), 0);  // appeared after creation
  const CleanupItem item = remove_real_vbd(v, session_->run_id(), 0);
  EXPECT_TRUE(item.ok) << item.result;
  EXPECT_EQ(read(v.backend), "<ENOENT>");
  EXPECT_EQ(read("/local/domain/0/backend/vbd"), "<ENOENT>");  // empty once ours went
  EXPECT_EQ(read("/local/domain/0/backend/vif/5/0/state"), "4");
}

}  // namespace
}  // namespace xenrace::dom0
