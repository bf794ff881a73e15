// One test per worked example in backends/sim/xenstore/xs_domain.hpp (D1-D6).
#include "tests/xenstore/store_fixture.hpp"

namespace xenrace::xs {
namespace {

TEST_F(StoreTest, D1_IntroduceAndReleaseFireSpecialWatches) {
  ConnId d5 = s.open_connection(5);
  ASSERT_EQ(s.watch(other, "@releaseDomain", "r"), 0);
  drain(s, other);
  EXPECT_EQ(s.release_domain(dom0, 7), ENOENT);
  EXPECT_EQ(s.introduce_domain(d5, 7, 1, 1), EACCES);
  EXPECT_EQ(s.introduce_domain(dom0, 7, 1, 1), 0);
  EXPECT_TRUE(s.is_domain_introduced(dom0, 7).value);
  EXPECT_EQ(s.get_domain_path(d5, 7).value, "/local/domain/7");
  EXPECT_EQ(s.release_domain(d5, 7), EACCES);
  EXPECT_EQ(s.release_domain(dom0, 7), 0);
  EXPECT_FALSE(s.is_domain_introduced(dom0, 7).value);
  EXPECT_EQ(drain(s, other), (Events{{"@releaseDomain", "r"}}));
}

TEST_F(StoreTest, D2_ReleasedDomainsNodesAreRemoved) {
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 1), 0);
  ASSERT_EQ(s.write(dom0, kNoTx, "/local/domain/5/x/y", ""), 0);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/local/domain/5/x", perms({"b5", "r6", "w5"})), 0);
  ASSERT_EQ(s.release_domain(dom0, 5), 0);
  EXPECT_EQ(s.peek("/local/domain/5/x"), nullptr);  // domain_tree_remove: owned by 5, with its subtree
  EXPECT_EQ(s.peek("/local/domain/5/x/y"), nullptr);
  EXPECT_NE(s.peek("/local/domain/5"), nullptr);  // dom0's
  EXPECT_EQ(s.owned_nodes(5), 0u);
}

TEST_F(StoreTest, D1b_ASecondIntroduceOnlyRebindsAndDom0IsIntroducedFromTheStart) {
  ASSERT_EQ(s.watch(other, "@introduceDomain", "i"), 0);
  drain(s, other);
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 1), 0);
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 2), 0);
  EXPECT_EQ(s.introduce_domain(dom0, 5, 1, 0), EINVAL);  // no event channel
  EXPECT_EQ(drain(s, other), (Events{{"@introduceDomain", "i"}}));
  EXPECT_TRUE(s.is_domain_introduced(dom0, 0).value);
  EXPECT_EQ(s.release_domain(dom0, 0), EINVAL);
}

TEST_F(StoreTest, D2b_AShutdownFiresReleaseDomainOnceUntilResumed) {
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 1), 0);
  ASSERT_EQ(s.watch(other, "@releaseDomain", "r"), 0);
  drain(s, other);
  s.hypervisor_domain_state(5, DomainState::shut_down);
  s.hypervisor_domain_state(5, DomainState::shut_down);
  EXPECT_EQ(drain(s, other), (Events{{"@releaseDomain", "r"}}));
  ASSERT_EQ(s.resume_domain(dom0, 5), 0);
  s.hypervisor_domain_state(5, DomainState::running);
  s.hypervisor_domain_state(5, DomainState::shut_down);
  EXPECT_EQ(drain(s, other), (Events{{"@releaseDomain", "r"}}));
  EXPECT_TRUE(s.is_domain_introduced(dom0, 5).value);  // shut down is not dead
}

TEST_F(StoreTest, D3_ADyingDomainIsDestroyedItsNodesRemovedThenReleaseDomainFires) {
  ASSERT_EQ(s.introduce_domain(dom0, 5, 1, 1), 0);
  ConnId guest = s.open_connection(5);
  ASSERT_EQ(s.write(dom0, kNoTx, "/local/domain/5/data", ""), 0);
  ASSERT_EQ(s.set_perms(dom0, kNoTx, "/local/domain/5/data", perms({"n5"})), 0);
  ASSERT_EQ(s.write(guest, kNoTx, "data/x", "1"), 0);
  ASSERT_EQ(s.watch(other, "@releaseDomain", "r"), 0);
  ASSERT_EQ(s.watch(other, "/local/domain/5", "w"), 0);
  drain(s, other);
  s.hypervisor_domain_state(5, DomainState::shut_down);
  s.hypervisor_domain_state(5, DomainState::dying);
  // data/x goes first but matches descendants exactly only (E3); data matches the subtree watch.
  EXPECT_EQ(drain(s, other), (Events{{"@releaseDomain", "r"},  // the shutdown
                                     {"/local/domain/5/data", "w"},
                                     {"@releaseDomain", "r"}}));
  EXPECT_EQ(s.peek("/local/domain/5/data"), nullptr);
  EXPECT_NE(s.peek("/local/domain/5"), nullptr);
  EXPECT_FALSE(s.is_domain_introduced(dom0, 5).value);
  EXPECT_EQ(s.read(guest, kNoTx, "name").err, ECONNRESET);  // its connection went with it
  ASSERT_EQ(s.introduce_domain(dom0, 6, 1, 1), 0);
  drain(s, other);
  s.hypervisor_domain_state(6, DomainState::dying);  // shut down and dying seen together: one event
  EXPECT_EQ(drain(s, other), (Events{{"@releaseDomain", "r"}}));
}

TEST_F(StoreTest, D5_EntriesForMissingOrNewerDomainsAreKeptButIgnored) {
  Store host;  // the socket server: no guest exists until created or introduced
  ConnId d0 = host.open_connection(0), d7 = host.open_connection(7);
  ASSERT_EQ(host.write(d0, kNoTx, "/p", "v"), 0);
  ASSERT_EQ(host.set_perms(d0, kNoTx, "/p", perms({"n0", "r7"})), 0);  // 7 does not exist: ignored
  EXPECT_EQ(host.get_perms(d0, kNoTx, "/p").value, perms({"n0", "r7"}));
  EXPECT_EQ(host.read(d7, kNoTx, "/p").err, EACCES);
  EXPECT_EQ(host.set_perms(d0, kNoTx, "/p", perms({"n7"})), ENOENT);
  host.hypervisor_domain_created(7);
  ASSERT_EQ(host.set_perms(d0, kNoTx, "/p", perms({"n0", "r7"})), 0);
  EXPECT_EQ(host.read(d7, kNoTx, "/p").value, "v");
  // 7 dies and the domid comes back as a new domain: the old entry gives it nothing.
  host.hypervisor_domain_state(7, DomainState::gone);
  ASSERT_EQ(host.write(d0, kNoTx, "/elsewhere", ""), 0);  // the store moves on meanwhile, as it always does
  host.hypervisor_domain_created(7);  // takes the current generation: newer than /p
  ConnId d7again = host.open_connection(7);
  EXPECT_EQ(host.read(d7again, kNoTx, "/p").err, EACCES);
}

TEST_F(StoreTest, D6_ADomainNeverIntroducedVanishesQuietly) {
  ASSERT_EQ(s.watch(other, "@releaseDomain", "r"), 0);
  drain(s, other);
  s.hypervisor_domain_created(9);
  s.hypervisor_domain_state(9, DomainState::shut_down);
  s.hypervisor_domain_state(9, DomainState::gone);
  EXPECT_TRUE(drain(s, other).empty());
  EXPECT_FALSE(s.domain_exists(9));
}

}  // namespace
}  // namespace xenrace::xs
