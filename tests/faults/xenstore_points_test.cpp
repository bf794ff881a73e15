// Each XenStore failure point fires where it is placed in backends/sim/xenstore/sim_xenstore.cpp: the call returns
// the injected errno, the store is unchanged, and "fault.<point>" precedes the operation's own event.
#include <gtest/gtest.h>

#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "faults/sim_faults.hpp"
#include "fault_test_support.hpp"

namespace xenrace {
namespace {

using testing::FaultExecution;

struct XsRun {
  FaultExecution t;
  SimXenStore& store;
  std::unique_ptr<XsConnection> xs;
  XsRun(const char* point, std::vector<std::uint32_t> choices)
      : t({{"faults", point}}, std::move(choices)), store(t.ex.make<SimXenStore>(t.ex)), xs(store.connect(0)) {}
  bool fault_just_before(std::string_view fault_op, std::string_view op) {
    long f = t.first(fault_op);
    return f >= 0 && t.ex.trace().events().at(static_cast<std::size_t>(f) + 1).op == op;
  }
};

TEST(XenStoreFaultPoints, WriteFailsWithEachErrorAndWritesNothing) {
  const auto errors = fault_info(FaultPoint::xenstore_write).errors;
  for (std::uint32_t choice = 1; choice <= errors.size(); ++choice) {
    XsRun r("xenstore/write", {choice});
    EXPECT_EQ(r.xs->write(kNoTx, "/local/domain/1/name", "guest"), errors[choice - 1]);
    EXPECT_EQ(r.store.model().peek("/local/domain/1/name"), nullptr);
    EXPECT_TRUE(r.fault_just_before("fault.xenstore/write", "xs.write"));
    EXPECT_EQ(r.t.events("fault.xenstore/write").at(0).args, "/local/domain/1/name");
    EXPECT_EQ(r.t.events("xs.write").at(0).result, errno_name(errors[choice - 1]));
  }
}

TEST(XenStoreFaultPoints, MkdirFailsAndCreatesNothing) {
  XsRun r("xenstore/mkdir", {1});
  EXPECT_EQ(r.xs->mkdir(kNoTx, "/a"), ENOSPC);
  EXPECT_EQ(r.store.model().peek("/a"), nullptr);
  EXPECT_TRUE(r.fault_just_before("fault.xenstore/mkdir", "xs.mkdir"));
}

TEST(XenStoreFaultPoints, RmFailsAndTheNodeStays) {
  XsRun r("xenstore/rm", {1});
  ASSERT_EQ(r.xs->write(kNoTx, "/a", "x"), 0);
  EXPECT_EQ(r.xs->rm(kNoTx, "/a"), EACCES);
  EXPECT_NE(r.store.model().peek("/a"), nullptr);
  EXPECT_TRUE(r.fault_just_before("fault.xenstore/rm", "xs.rm"));
}

TEST(XenStoreFaultPoints, TransactionStartFails) {
  XsRun r("xenstore/transaction_start", {1});
  EXPECT_EQ(r.xs->transaction_start().err, ENOSPC);
  EXPECT_TRUE(r.fault_just_before("fault.xenstore/transaction_start", "xs.transaction_start"));
}

TEST(XenStoreFaultPoints, CommitFailsWithEagainAppliesNothingAndEndsTheTransaction) {
  XsRun r("xenstore/transaction_end", {1});
  auto tx = r.xs->transaction_start();
  ASSERT_TRUE(tx.ok());
  ASSERT_EQ(r.xs->write(tx.value, "/a", "x"), 0);
  EXPECT_EQ(r.xs->transaction_end(tx.value, true), EAGAIN);
  EXPECT_EQ(r.store.model().peek("/a"), nullptr) << "a failed commit applies nothing";
  EXPECT_EQ(r.xs->write(tx.value, "/a", "y"), ENOENT) << "the transaction is gone, as after a real EAGAIN";
  EXPECT_TRUE(r.fault_just_before("fault.xenstore/transaction_end", "xs.transaction_end"));
}

TEST(XenStoreFaultPoints, AbortIsNeverAFaultChoice) {
  XsRun r("xenstore/transaction_end", {1});
  auto tx = r.xs->transaction_start();
  EXPECT_EQ(r.xs->transaction_end(tx.value, false), 0);
  EXPECT_EQ(r.t.strategy.asked(), 0u);
}

TEST(XenStoreFaultPoints, WatchFails) {
  XsRun r("xenstore/watch", {1});
  EXPECT_EQ(r.xs->watch("/a", "tok"), ENOSPC);
  EXPECT_TRUE(r.fault_just_before("fault.xenstore/watch", "xs.watch"));
}

}  // namespace
}  // namespace xenrace
