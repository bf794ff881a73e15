// One test per worked example in backends/sim/xenstore/xs_store.hpp (E = nodes, P = permissions, Q = quotas)
// and the watch and domain examples not in their own files (W, D). Transactions (X):
// transaction_examples_test.cpp.
#include <gtest/gtest.h>

#include "tests/xenstore/store_fixture.hpp"

namespace xenrace::xs {
namespace {

TEST_F(StoreTest, E1_WriteCreatesParentsAndFiresOnlyForTheWrittenPath) {
  ASSERT_EQ(s.watch(other, "/", "root"), 0);
  drain(s, other);
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/b/c", "x"), 0);
  EXPECT_EQ(s.read(dom0, kNoTx, "/a").value, "");
  EXPECT_EQ(s.read(dom0, kNoTx, "/a/b").value, "");
  EXPECT_EQ(s.read(dom0, kNoTx, "/a/b/c").value, "x");
  EXPECT_EQ(s.directory(dom0, kNoTx, "/").value, (std::vector<std::string>{"tool", "a"}));
  EXPECT_EQ(drain(s, other), (Events{{"/a/b/c", "root"}}));
}

TEST_F(StoreTest, E2_MkdirOfExistingIsSilentAndRmOfMissingDependsOnTheParent) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "v"), 0);
  ASSERT_EQ(s.watch(other, "/a", "t"), 0);
  drain(s, other);
  EXPECT_EQ(s.mkdir(dom0, kNoTx, "/a"), 0);
  EXPECT_EQ(s.read(dom0, kNoTx, "/a").value, "v");
  EXPECT_TRUE(drain(s, other).empty());
  EXPECT_EQ(s.rm(dom0, kNoTx, "/a/missing"), 0);
  EXPECT_EQ(s.rm(dom0, kNoTx, "/x/y"), ENOENT);
  EXPECT_EQ(s.rm(dom0, kNoTx, "/"), EINVAL);
}

TEST_F(StoreTest, E3_RmFiresPostOrderDescendantsExactRootSubtree) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/b/c", "x"), 0);
  for (const char* w : {"/", "/a", "/a/b", "/a/b/c", "/a/zz"}) ASSERT_EQ(s.watch(other, w, w), 0);
  drain(s, other);
  ASSERT_EQ(s.rm(dom0, kNoTx, "/a"), 0);
  EXPECT_EQ(drain(s, other), (Events{{"/a/b/c", "/a/b/c"}, {"/a/b", "/a/b"}, {"/a", "/"}, {"/a", "/a"}}));
  EXPECT_EQ(s.read(dom0, kNoTx, "/a/b").err, ENOENT);
  EXPECT_EQ(s.peek("/a/b/c"), nullptr);
  EXPECT_EQ(s.directory(dom0, kNoTx, "/").value, (std::vector<std::string>{"tool"}));
}

TEST_F(StoreTest, E4_DirectoryKeepsCreationOrder) {
  for (const char* n : {"/d/zeta", "/d/alpha", "/d/mid"}) ASSERT_EQ(s.write(dom0, kNoTx, n, ""), 0);
  EXPECT_EQ(s.directory(dom0, kNoTx, "/d").value, (std::vector<std::string>{"zeta", "alpha", "mid"}));
  ASSERT_EQ(s.rm(dom0, kNoTx, "/d/alpha"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d/alpha", ""), 0);
  EXPECT_EQ(s.directory(dom0, kNoTx, "/d").value, (std::vector<std::string>{"zeta", "mid", "alpha"}));
  EXPECT_EQ(s.directory(dom0, kNoTx, "/nothing").err, ENOENT);
}

TEST_F(StoreTest, E5_RelativePathsOfSocketConnectionsHangFromDom0) {
  ASSERT_EQ(s.write(dom0, kNoTx, "backend/vbd/1", "x"), 0);
  EXPECT_EQ(s.read(dom0, kNoTx, "/local/domain/0/backend/vbd/1").value, "x");
  for (const char* bad : {"", "/a/", "/a//b", "/a b", "/a\n", "/ä"}) EXPECT_EQ(s.write(dom0, kNoTx, bad, "v"), EINVAL) << bad;
  EXPECT_EQ(s.read(dom0, kNoTx, "/").value, "");
}

TEST_F(StoreTest, P1_Dom0MayDoAnythingAndChildrenInheritItsPerms) {
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", ""), 0);
  EXPECT_EQ(s.get_perms(dom0, kNoTx, "/a").value, perms({"n0"}));
  EXPECT_EQ(*s.special_perms("@releaseDomain"), perms({"n0"}));  // outside the tree
}

TEST_F(StoreTest, E6_OnlySlashRootedPathsNameNodesAndNoneIsLongerThanThePathQuota) {
  for (const char* special : {"@releaseDomain", "@introduceDomain", "@foo"}) {
    EXPECT_EQ(s.read(dom0, kNoTx, special).err, EINVAL) << special;
    EXPECT_EQ(s.write(dom0, kNoTx, special, "v"), EINVAL) << special;
    EXPECT_EQ(s.get_perms(dom0, kNoTx, special).err, EINVAL) << special;
  }
  EXPECT_EQ(s.peek("/local/domain/0/@foo"), nullptr);
  EXPECT_EQ(s.watch(dom0, "@foo", "t"), 0);  // watches take any "@" name
  // 2048 characters counted from "/" (or after "/local/domain/<id>/"), for dom0 as for everyone.
  const std::string abs_ok = "/" + std::string(2047, 'a');
  EXPECT_EQ(s.write(dom0, kNoTx, abs_ok, "v"), 0);
  EXPECT_EQ(s.write(dom0, kNoTx, abs_ok + "b", "v"), EINVAL);
  EXPECT_EQ(s.write(dom0, kNoTx, "/" + std::string(2999, 'a'), "v"), EINVAL);
  EXPECT_EQ(s.write(dom0, kNoTx, std::string(2048, 'r'), "v"), 0);  // relative: /local/domain/0/ + 2048
  EXPECT_EQ(s.write(dom0, kNoTx, std::string(2049, 'r'), "v"), EINVAL);
  EXPECT_EQ(s.write(dom0, kNoTx, "/local/domain/7/" + std::string(2048, 'x'), "v"), 0);
  EXPECT_EQ(s.read(dom0, kNoTx, "/local/domain/7/" + std::string(2049, 'x')).err, EINVAL);
}

TEST_F(StoreTest, P2_ReadAndWriteFollowTheEntries) {
  ConnId d5 = s.open_connection(5), d6 = s.open_connection(6);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d", "v"), 0);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/d", perms({"n0", "r5"})), 0);
  EXPECT_EQ(s.read(d5, kNoTx, "/d").value, "v");
  EXPECT_EQ(s.read(d6, kNoTx, "/d").err, EACCES);
  EXPECT_EQ(s.write(d5, kNoTx, "/d", "w"), EACCES);
}

TEST_F(StoreTest, P3_UnprivilegedCreatorOwnsWhatItCreates) {
  ConnId d5 = s.open_connection(5);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d", ""), 0);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/d", perms({"n0", "b5"})), 0);
  ASSERT_EQ(s.write(d5, kNoTx, "/d/x/y", "v"), 0);
  EXPECT_EQ(s.get_perms(dom0, kNoTx, "/d/x").value, perms({"n5", "b5"}));
  EXPECT_EQ(s.get_perms(dom0, kNoTx, "/d/x/y").value, perms({"n5", "b5"}));
  EXPECT_EQ(s.owned_nodes(5), 2u);
}

TEST_F(StoreTest, P4_MissingBelowAnUnreadableParentIsEacces) {
  ConnId d6 = s.open_connection(6);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d", ""), 0);
  EXPECT_EQ(s.read(d6, kNoTx, "/d/x").err, EACCES);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/d", perms({"n0", "r6"})), 0);
  EXPECT_EQ(s.read(d6, kNoTx, "/d/x").err, ENOENT);
  EXPECT_EQ(s.write(d6, kNoTx, "/d/x", "v"), EACCES);  // creating needs write on the nearest ancestor
}

TEST_F(StoreTest, P5_OnlyOwnersSetPermsAndOnlyDom0ChangesTheOwner) {
  ConnId d5 = s.open_connection(5), d6 = s.open_connection(6);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d", ""), 0);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/d", perms({"n5", "b6"})), 0);
  EXPECT_EQ(s.set_perms(d5, kNoTx, "/d", perms({"n6"})), EPERM);
  EXPECT_EQ(s.set_perms(d5, kNoTx, "/d", perms({"n5", "r6"})), 0);
  EXPECT_EQ(s.set_perms(d6, kNoTx, "/d", perms({"n5"})), EACCES);
  EXPECT_EQ(s.set_perms(dom0, kNoTx, "/d", {}), EINVAL);
}

TEST_F(StoreTest, W1_RegistrationFiresOnce) {
  ASSERT_EQ(s.watch(other, "/not/there", "tok"), 0);
  EXPECT_EQ(drain(s, other), (Events{{"/not/there", "tok"}}));
}

TEST_F(StoreTest, W2_SubtreeMatching) {
  ASSERT_EQ(s.watch(other, "/a", "up"), 0);
  ASSERT_EQ(s.watch(other, "/a/b/c/d", "down"), 0);
  ASSERT_EQ(s.watch(other, "/ab", "sibling"), 0);
  drain(s, other);
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/b/c", "x"), 0);
  EXPECT_EQ(drain(s, other), (Events{{"/a/b/c", "up"}}));
}

TEST_F(StoreTest, W3_PendingDuplicatesAreMergedAndWatchErrors) {
  ASSERT_EQ(s.watch(other, "/a", "t"), 0);
  ASSERT_EQ(s.watch(other, "@introduceDomain", "i"), 0);
  drain(s, other);
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "1"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/a", "2"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/a/x", "2"), 0);
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 1), 0);
  ASSERT_EQ(s.release_domain(dom0, 5), 0);
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 1), 0);
  EXPECT_EQ(drain(s, other), (Events{{"/a", "t"}, {"/a/x", "t"}, {"@introduceDomain", "i"}, {"@introduceDomain", "i"}}));
  EXPECT_EQ(s.watch(other, "/a", "t"), EEXIST);
  EXPECT_EQ(s.unwatch(other, "/a", "other"), ENOENT);
  EXPECT_EQ(s.unwatch(other, "/a", "t"), 0);
  EXPECT_EQ(s.watch(other, "/a/", "t"), EINVAL);
}

TEST_F(StoreTest, W4_RelativeWatchesGetRelativePaths) {
  ASSERT_EQ(s.watch(other, "backend", "b"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/local/domain/0/backend/vbd/1", "x"), 0);
  EXPECT_EQ(drain(s, other), (Events{{"backend", "b"}, {"backend/vbd/1", "b"}}));
}

TEST_F(StoreTest, W5_UnprivilegedWatchersSeeOnlyWhatTheyMayRead) {
  ConnId d5 = s.open_connection(5);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d/secret", ""), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d/open", ""), 0);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/d/open", perms({"n0", "r5"})), 0);
  ASSERT_EQ(s.watch(d5, "/d", "w"), 0);
  drain(s, d5);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d/secret", "1"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d/open", "1"), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/d/open/child", "1"), 0);  // unreadable itself, parent readable
  EXPECT_EQ(drain(s, d5), (Events{{"/d/open", "w"}, {"/d/open/child", "w"}}));
}

TEST(StoreQuotas, Q1_UnprivilegedLimitsGiveEnospc) {
  Store s(StoreOptions{.quotas = Quotas{.nodes = 3, .watches = 2, .transactions = 1, .nodes_per_transaction = 4,
                                        .perms_per_node = 2, .path_max = 2048, .node_size = 64},
                       .every_domain_exists = true});
  ConnId d0 = s.open_connection(0), d5 = s.open_connection(5);
  ASSERT_EQ(s.write(d0, kNoTx, "/local/domain/5", ""), 0);
  ASSERT_EQ(s.set_perms(d0, kNoTx, "/local/domain/5", perms({"n5"})), 0);
  EXPECT_EQ(s.write(d5, kNoTx, "a", std::string(65, 'x')), ENOSPC);
  EXPECT_EQ(s.write(d5, kNoTx, "a", "1"), 0);
  EXPECT_EQ(s.write(d5, kNoTx, "b", "1"), 0);
  EXPECT_EQ(s.write(d5, kNoTx, "c", "1"), ENOSPC);  // owns /local/domain/5, a, b
  // xenstored compares with ">": one watch and one transaction more than the quota fit.
  EXPECT_EQ(s.watch(d5, "a", "1"), 0);
  EXPECT_EQ(s.watch(d5, "a", "2"), 0);
  EXPECT_EQ(s.watch(d5, "a", "3"), 0);
  EXPECT_EQ(s.watch(d5, "a", "4"), E2BIG);
  TxId t = s.transaction_start(d5).value;
  EXPECT_EQ(s.transaction_start(d5).err, 0);
  EXPECT_EQ(s.transaction_start(d5).err, ENOSPC);
  for (const char* p : {"a", "b", "x1"}) s.read(d5, t, p);  // x1 is missing: its parent is touched too
  EXPECT_EQ(s.read(d5, t, "x2").err, ENOSPC);
  EXPECT_EQ(s.set_perms(d5, kNoTx, "a", perms({"n5", "r1", "r2"})), ENOSPC);
  EXPECT_EQ(s.write(d5, kNoTx, "/local/domain/5/" + std::string(2049, 'p'), ""), EINVAL);
  // dom0 has no quota at all.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.write(d0, kNoTx, "/many/" + std::to_string(i), std::string(100, 'x')), 0);
}

// A guest the hypervisor created, named in a node's permissions before it was introduced, is known from then
// on (find_or_alloc_existing_domain), so the entry grants it access. The simulator once left it unknown: the
// guest's pcifront read EACCES where libxl had given it read access.
TEST(StoreDomains, ACreatedGuestNamedInPermissionsBeforeItsIntroduceGetsItsAccess) {
  for (const bool every_domain_exists : {false, true}) {
    StoreOptions options;
    options.every_domain_exists = every_domain_exists;
    Store s(options);
    s.hypervisor_domain_created(5);
    ConnId d0 = s.open_connection(0), d5 = s.open_connection(5), d6 = s.open_connection(6);
    ASSERT_EQ(s.write(d0, kNoTx, "/backend", "x"), 0);
    ASSERT_EQ(s.set_perms(d0, kNoTx, "/backend", perms({"n0", "r5", "r6"})), 0);
    EXPECT_EQ(s.read(d5, kNoTx, "/backend").value, "x") << every_domain_exists;
    // 6 was never created: only the simulator's assumption lets it in.
    EXPECT_EQ(s.read(d6, kNoTx, "/backend").err, every_domain_exists ? 0 : EACCES) << every_domain_exists;
  }
}

TEST_F(StoreTest, ClosingAConnectionAbortsItsTransactionsAndDropsItsWatches) {
  ConnId c = s.open_connection(0);
  TxId t = s.transaction_start(c).value;
  ASSERT_EQ(s.write(c, t, "/x", "1"), 0);
  ASSERT_EQ(s.watch(c, "/", "w"), 0);
  s.close_connection(c);
  s.close_connection(c);
  EXPECT_EQ(s.read(dom0, kNoTx, "/x").err, ENOENT);
  EXPECT_EQ(s.write(c, kNoTx, "/x", "1"), ECONNRESET);
  ASSERT_EQ(s.write(dom0, kNoTx, "/y", "1"), 0);
  EXPECT_FALSE(s.has_event(c));
}

}  // namespace
}  // namespace xenrace::xs

namespace xenrace::xs {
namespace {

// Found by the differential check against C xenstored (docs/fidelity.md, S1 and S2).
TEST(StoreFidelity, S1_SetPermsWithAnOwnerThatDoesNotExistIsEnoent) {
  Store s;  // as the socket server: only dom0 and introduced domains exist
  ConnId dom0 = s.open_connection(0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/p", "v"), 0);
  EXPECT_EQ(s.set_perms(dom0, kNoTx, "/p", {{XsPerm::Access::read, 1}, {XsPerm::Access::write, 5}}), ENOENT);
  EXPECT_EQ(s.get_perms(dom0, kNoTx, "/p").value, (XsPerms{{XsPerm::Access::none, 0}}));  // unchanged
  // A non-owner entry naming an unknown domain is accepted (marked ignored by xenstored).
  EXPECT_EQ(s.set_perms(dom0, kNoTx, "/p", {{XsPerm::Access::none, 0}, {XsPerm::Access::read, 7}}), 0);
  ASSERT_EQ(s.introduce_domain(dom0, 1, 1, 1), 0);
  EXPECT_EQ(s.set_perms(dom0, kNoTx, "/p", {{XsPerm::Access::read, 1}}), 0);
  ASSERT_EQ(s.release_domain(dom0, 1), 0);
  EXPECT_EQ(s.set_perms(dom0, kNoTx, "/p", {{XsPerm::Access::read, 1}}), ENOENT);
}

// is_valid_nodename() holds every connection to quota_max_path_len (2048), not XENSTORE_ABS_PATH_MAX.
TEST(StoreFidelity, S2_PathsLongerThan2048CharactersAreEinvalEvenForDom0) {
  Store s;
  ConnId dom0 = s.open_connection(0);
  std::string ok = "/" + std::string(2047, 'a');
  std::string too_long = ok + "b";
  EXPECT_EQ(s.write(dom0, kNoTx, ok, "v"), 0);
  EXPECT_EQ(s.write(dom0, kNoTx, too_long, "v"), EINVAL);
  EXPECT_EQ(s.read(dom0, kNoTx, too_long).err, EINVAL);
  EXPECT_EQ(s.write(dom0, kNoTx, "/" + std::string(3071, 'a'), "v"), EINVAL);
}

}  // namespace
}  // namespace xenrace::xs
