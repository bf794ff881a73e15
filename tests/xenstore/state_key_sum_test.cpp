// The store's state key keeps the nodes' part as a running sum (xs_state_key.cpp): each change tells the tree,
// and a key computes only the parts of the nodes changed since the last one. These tests hold that sum, after
// every request of random sequences, to a walk of every node, and the node holding the current generation to
// the one a walk finds: a change the sum missed would let the state cache merge two different stores.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {
namespace {

constexpr DomId kGuest = 5;

enum class Op {
  write, mkdir, rm, set_perms, start, commit, abort, introduce, release, destroy, key,
};

struct Request {
  Op op;
  int conn;  // 0: dom0, 1: the guest
  int path;
  int value;
};

const std::vector<std::string>& paths() {
  static const std::vector<std::string> p{"/a", "/a/b", "/a/b/c", "/a/d", "/local/domain/5/x", "/local/domain/5/x/y"};
  return p;
}

rc::Gen<Request> gen_request() {
  return rc::gen::build<Request>(
      rc::gen::set(&Request::op, rc::gen::element(Op::write, Op::write, Op::mkdir, Op::rm, Op::set_perms, Op::start,
                                                  Op::commit, Op::abort, Op::introduce, Op::release, Op::destroy,
                                                  Op::key, Op::key)),
      rc::gen::set(&Request::conn, rc::gen::inRange(0, 2)),
      rc::gen::set(&Request::path, rc::gen::inRange(0, static_cast<int>(paths().size()))),
      rc::gen::set(&Request::value, rc::gen::inRange(0, 3)));
}

struct Client {
  ConnId conn;
  TxId tx = kNoTx;
};

void apply(Store& st, std::vector<Client>& clients, const Request& r) {
  Client& c = clients[static_cast<std::size_t>(r.conn)];
  const std::string& path = paths()[static_cast<std::size_t>(r.path)];
  const std::string value(static_cast<std::size_t>(r.value), 'v');
  switch (r.op) {
    case Op::write: st.write(c.conn, c.tx, path, value); break;
    case Op::mkdir: st.mkdir(c.conn, c.tx, path); break;
    case Op::rm: st.rm(c.conn, c.tx, path); break;
    case Op::set_perms: {
      const DomId owner = r.value == 0 ? 0 : kGuest;
      st.set_perms(c.conn, c.tx, path, {{XsPerm::Access::none, owner}, {XsPerm::Access::read, kGuest}});
      break;
    }
    case Op::start:
      if (c.tx == kNoTx) {
        auto t = st.transaction_start(c.conn);
        if (t.ok()) c.tx = t.value;
      }
      break;
    case Op::commit:
    case Op::abort:
      if (c.tx != kNoTx) st.transaction_end(c.conn, c.tx, r.op == Op::commit);
      c.tx = kNoTx;
      break;
    case Op::introduce: st.introduce_domain(clients[0].conn, kGuest, 100, 7); break;
    case Op::release: st.release_domain(clients[0].conn, kGuest); break;
    case Op::destroy: st.hypervisor_domain_state(kGuest, DomainState::gone); break;
    case Op::key: {
      StateHasher h;
      st.hash_state(h);  // brings the running sum up to date, so later changes start from a summed tree
      break;
    }
  }
}

void expect_sum_matches_walk(const Store& st) {
  RC_ASSERT(st.node_sum() == st.node_sum_by_walk());
  const std::string* by_walk = st.node_at_generation_by_walk();
  const std::string* kept = st.node_at_generation();
  RC_ASSERT((by_walk == nullptr) == (kept == nullptr));
  if (by_walk) RC_ASSERT(*by_walk == *kept);
}

RC_GTEST_PROP(StateKeySum, TheRunningSumIsTheWalksAfterEveryRequest, ()) {
  const auto requests = *rc::gen::container<std::vector<Request>>(gen_request());
  StoreOptions options;
  options.priv_domid = 0;
  Store st(options);
  std::vector<Client> clients{{st.open_connection(0)}, {st.open_connection(kGuest)}};
  for (const Request& r : requests) {
    apply(st, clients, r);
    if (r.op != Op::key) expect_sum_matches_walk(st);
  }
}

// The same changes, with a key taken between them or not, end in the same key.
RC_GTEST_PROP(StateKeySum, KeysTakenOnTheWayChangeNoLaterKey, ()) {
  auto requests = *rc::gen::container<std::vector<Request>>(gen_request());
  Store with_keys, without;
  std::vector<Client> a{{with_keys.open_connection(0)}, {with_keys.open_connection(kGuest)}};
  std::vector<Client> b{{without.open_connection(0)}, {without.open_connection(kGuest)}};
  for (const Request& r : requests) {
    apply(with_keys, a, r);
    if (r.op != Op::key) apply(without, b, r);
  }
  for (std::vector<Client>* cs : {&a, &b})
    for (Client& c : *cs) c.tx = kNoTx;
  Store* stores[] = {&with_keys, &without};
  std::vector<Client>* clients[] = {&a, &b};
  StateKey keys[2];
  for (int i = 0; i < 2; ++i) {
    for (const Client& c : *clients[i]) stores[i]->close_connection(c.conn);  // no transaction left open
    StateHasher h;
    RC_ASSERT(stores[i]->hash_state(h));
    keys[i] = h.key();
  }
  RC_ASSERT(keys[0] == keys[1]);
}

// The sum follows a node that a transaction replaces: the commit's write reaches the key.
TEST(StateKeySum, ACommittedWriteChangesTheKey) {
  Store st;
  const ConnId c = st.open_connection(0);
  ASSERT_EQ(st.write(c, kNoTx, "/a", "1"), 0);
  StateHasher before;
  ASSERT_TRUE(st.hash_state(before));
  const TxId t = st.transaction_start(c).value;
  ASSERT_EQ(st.write(c, t, "/a", "2"), 0);
  ASSERT_EQ(st.transaction_end(c, t, true), 0);
  ASSERT_EQ(st.write(c, kNoTx, "/b", ""), 0);
  ASSERT_EQ(st.rm(c, kNoTx, "/b"), 0);
  StateHasher after;
  ASSERT_TRUE(st.hash_state(after));
  EXPECT_NE(before.key(), after.key());
  EXPECT_EQ(st.node_sum(), st.node_sum_by_walk());
}

}  // namespace
}  // namespace xenrace::xs
