// One test per worked interleaving in backends/sim/xenstore/xs_transaction.hpp (X1-X14).
#include "tests/xenstore/store_fixture.hpp"

namespace xenrace::xs {
namespace {

TEST_F(StoreTest, X1_OutsideWriteToAReadNodeMakesCommitFail) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "1"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.read(dom0, t, "/a").value, "1");
  ASSERT_EQ(s.write(dom0, t, "/mine", "m"), 0);
  ASSERT_EQ(s.write(other, kNoTx, "/a", "2"), 0);
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
  EXPECT_EQ(s.read(dom0, kNoTx, "/mine").err, ENOENT);
  EXPECT_EQ(s.transaction_end(dom0, t, true), ENOENT);  // gone either way
}

TEST_F(StoreTest, X2_WritesToUntouchedNodesDoNotConflict) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "1"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/b", "1"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.write(dom0, t, "/a", "2"), 0);
  ASSERT_EQ(s.write(other, kNoTx, "/b", "2"), 0);
  EXPECT_EQ(s.transaction_end(dom0, t, true), 0);
  EXPECT_EQ(s.read(dom0, kNoTx, "/a").value, "2");
}

TEST_F(StoreTest, X3_ReadsOfMissingNodesAreRecorded) {
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.read(dom0, t, "/n").err, ENOENT);
  ASSERT_EQ(s.write(other, kNoTx, "/n", "x"), 0);
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
}

TEST_F(StoreTest, X4_SiblingCreationRewritesTheParent) {
  ASSERT_EQ(s.mkdir(dom0, kNoTx, "/p"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.write(dom0, t, "/p/x", "1"), 0);
  ASSERT_EQ(s.write(other, kNoTx, "/p/y", "1"), 0);
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
  EXPECT_EQ(s.directory(dom0, kNoTx, "/p").value, (std::vector<std::string>{"y"}));
}

TEST_F(StoreTest, X5_FirstReadAfterAnOutsideWriteSeesItAndCommits) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "1"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.write(other, kNoTx, "/a", "2"), 0);
  EXPECT_EQ(s.read(dom0, t, "/a").value, "2");
  EXPECT_EQ(s.transaction_end(dom0, t, true), 0);
}

TEST_F(StoreTest, X6_ReadsAreRepeatable) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "1"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.read(dom0, t, "/a").value, "1");
  ASSERT_EQ(s.write(other, kNoTx, "/a", "2"), 0);
  EXPECT_EQ(s.read(dom0, t, "/a").value, "1");
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
}

TEST_F(StoreTest, X14_UnknownTransactionsAndFailedCreations) {
  EXPECT_EQ(s.read(dom0, 42, "/").err, ENOENT);
  EXPECT_EQ(s.transaction_end(dom0, 42, true), ENOENT);
  TxId t1 = s.transaction_start(dom0).value, t2 = s.transaction_start(dom0).value;
  EXPECT_EQ(t1, 1u);
  EXPECT_EQ(t2, 2u);
  EXPECT_EQ(s.read(other, t1, "/").err, ENOENT);  // ids are per connection
  Store small(StoreOptions{.quotas = Quotas{.nodes = 1}});
  ConnId d5 = small.open_connection(5), d0 = small.open_connection(0);
  ASSERT_EQ(small.write(d0, kNoTx, "/d", ""), 0);
  ASSERT_EQ(small.set_perms(d0, kNoTx, "/d", {XsPerm{XsPerm::Access::both, 0}}), 0);
  TxId t = small.transaction_start(d5).value;
  ASSERT_EQ(small.write(d5, t, "/d/a", ""), 0);
  ASSERT_EQ(small.write(d5, kNoTx, "/d/b", ""), 0);
  EXPECT_EQ(small.write(d5, t, "/d/c/e", ""), ENOSPC);
  EXPECT_EQ(small.transaction_end(d5, t, true), ENOMEM);
}

TEST_F(StoreTest, X13_TransactionEventsFireAtCommitInFirstAccessOrder) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/b", "1"), 0);
  ASSERT_EQ(s.watch(other, "/", "w"), 0);
  drain(s, other);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.read(dom0, t, "/b").value, "1");
  ASSERT_EQ(s.write(dom0, t, "/a", "1"), 0);
  ASSERT_EQ(s.write(dom0, t, "/b", "2"), 0);
  EXPECT_TRUE(drain(s, other).empty());
  ASSERT_EQ(s.transaction_end(dom0, t, true), 0);
  EXPECT_EQ(drain(s, other), (Events{{"/b", "w"}, {"/a", "w"}}));
  TxId aborted = s.transaction_start(dom0).value;
  ASSERT_EQ(s.write(dom0, aborted, "/c", "1"), 0);
  ASSERT_EQ(s.transaction_end(dom0, aborted, false), 0);
  EXPECT_TRUE(drain(s, other).empty());
  EXPECT_EQ(s.read(dom0, kNoTx, "/c").err, ENOENT);
}


// The crash class the differential campaign found: a transaction's copy of a parent that does not list
// a child read fresh from the tree. C xenstored answers EIO or EINVAL, loses nothing, and the commit
// fails because the parent's generation moved.
TEST_F(StoreTest, X7_RemovingAChildItsParentCopyDoesNotListIsEioAndLosesNothing) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/keep", "k"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.read(dom0, t, "/a").value, "");
  ASSERT_EQ(s.write(other, kNoTx, "/a/x", "1"), 0);
  EXPECT_EQ(s.rm(dom0, t, "/a/x"), EIO);
  EXPECT_EQ(s.directory(dom0, t, "/a").value, (std::vector<std::string>{"keep"}));  // t's copy intact
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
  EXPECT_EQ(s.directory(dom0, kNoTx, "/a").value, (std::vector<std::string>{"keep", "x"}));
  EXPECT_EQ(s.read(dom0, kNoTx, "/a/x").value, "1");
}

TEST_F(StoreTest, X8_RemovingAChildWhoseParentIsMissingInTheViewIsEinval) {
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.read(dom0, t, "/a").err, ENOENT);
  ASSERT_EQ(s.write(other, kNoTx, "/a/x", "1"), 0);
  EXPECT_EQ(s.rm(dom0, t, "/a/x"), EINVAL);
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
  EXPECT_EQ(s.read(dom0, kNoTx, "/a/x").value, "1");
}

TEST_F(StoreTest, X9_RemovingASubtreeWithAListedChildGoneIsEio) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/b", "1"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/c", "1"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.directory(dom0, t, "/a").value, (std::vector<std::string>{"b", "c"}));
  ASSERT_EQ(s.rm(other, kNoTx, "/a/b"), 0);
  EXPECT_EQ(s.rm(dom0, t, "/a"), EIO);
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
  EXPECT_EQ(s.directory(dom0, kNoTx, "/a").value, (std::vector<std::string>{"c"}));
}

TEST_F(StoreTest, X10_ANodeCreatedAndRemovedInOneTransactionFiresNothing) {
  ASSERT_EQ(s.watch(other, "/", "w"), 0);
  drain(s, other);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.write(dom0, t, "/n", "1"), 0);
  ASSERT_EQ(s.rm(dom0, t, "/n"), 0);
  ASSERT_EQ(s.write(dom0, t, "/kept", "1"), 0);
  ASSERT_EQ(s.transaction_end(dom0, t, true), 0);
  EXPECT_EQ(s.peek("/n"), nullptr);
  // /n is gone at commit and had no permissions before t: nobody may see its event, dom0 included.
  EXPECT_EQ(drain(s, other), (Events{{"/kept", "w"}}));
}

TEST_F(StoreTest, X11_SetPermsWithAMissingOwnerFailsBeforeTouchingTheNode) {
  Store socket_store;  // no guest domain exists
  ConnId a = socket_store.open_connection(0), b = socket_store.open_connection(0);
  ASSERT_EQ(socket_store.write(a, kNoTx, "/a", "1"), 0);
  TxId t = socket_store.transaction_start(a).value;
  EXPECT_EQ(socket_store.set_perms(a, t, "/a", perms({"n4294967295"})), ENOENT);
  ASSERT_EQ(socket_store.write(b, kNoTx, "/a", "2"), 0);
  EXPECT_EQ(socket_store.transaction_end(a, t, true), 0);
}

TEST_F(StoreTest, X12_AWriteReadsTheNodeFirstSoAnOutsideWriteConflicts) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "1"), 0);
  TxId t = s.transaction_start(dom0).value;
  ASSERT_EQ(s.write(dom0, t, "/a", "t"), 0);
  ASSERT_EQ(s.write(other, kNoTx, "/a", "2"), 0);
  EXPECT_EQ(s.transaction_end(dom0, t, true), EAGAIN);
  EXPECT_EQ(s.read(dom0, kNoTx, "/a").value, "2");
}

}  // namespace
}  // namespace xenrace::xs
