// An open transaction's part of the store's state key (xs_state_key.cpp): the key must tell apart two stores
// whose transactions would commit differently, and must not tell apart two that differ only in generation
// numbers, which no client sees but through comparisons. The first keeps the state cache sound inside a
// transaction; the second lets it merge what it should.
#include <gtest/gtest.h>

#include <memory>

#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {
namespace {

StateKey key_of(const Store& st) {
  StateHasher h;
  EXPECT_TRUE(st.hash_state(h));
  return h.key();
}

// A store with two connections where connection 0's transaction has read /a, which holds "1", and connection 1
// has written /a := "1" and then /c := "1": `stale` puts that rewrite of /a after the transaction's read. The
// trees, the newest node (/c) and what the transaction read are the same either way.
struct ReadThenRewrite {
  explicit ReadThenRewrite(bool stale) {
    a = st.open_connection(0);
    b = st.open_connection(0);
    EXPECT_EQ(st.write(a, kNoTx, "/a", "1"), 0);
    if (!stale) {
      EXPECT_EQ(st.write(b, kNoTx, "/a", "1"), 0);
    }
    t = st.transaction_start(a).value;
    EXPECT_EQ(st.read(a, t, "/a").value, "1");
    if (stale) {
      EXPECT_EQ(st.write(b, kNoTx, "/a", "1"), 0);
    }
    EXPECT_EQ(st.write(b, kNoTx, "/c", "1"), 0);
  }
  Store st;
  ConnId a = 0, b = 0;
  TxId t = kNoTx;
};

TEST(TransactionStateKey, AReadMadeStaleChangesTheKey) {
  ReadThenRewrite fresh(false), stale(true);
  EXPECT_NE(key_of(fresh.st), key_of(stale.st));
  // And the difference is real: only the fresh one commits.
  EXPECT_EQ(fresh.st.transaction_end(fresh.a, fresh.t, true), 0);
  EXPECT_EQ(stale.st.transaction_end(stale.a, stale.t, true), EAGAIN);
}

// The same transaction over the same tree, with /a created before or after an aborted transaction of another
// connection: every generation number differs, no comparison a client can make does.
TEST(TransactionStateKey, GenerationNumbersAloneDoNotChangeTheKey) {
  auto build = [](bool abort_first) {
    auto st = std::make_unique<Store>();
    const ConnId a = st->open_connection(0);
    const ConnId b = st->open_connection(0);
    auto abort_one = [&] {
      const TxId other = st->transaction_start(b).value;
      EXPECT_EQ(st->transaction_end(b, other, false), 0);
    };
    if (abort_first) abort_one();
    EXPECT_EQ(st->write(a, kNoTx, "/a", "1"), 0);
    if (!abort_first) abort_one();
    const TxId t = st->transaction_start(a).value;
    EXPECT_EQ(st->read(a, t, "/a").value, "1");
    EXPECT_EQ(st->write(a, t, "/a/x", "2"), 0);
    return st;
  };
  const auto first = build(true);
  const auto second = build(false);
  EXPECT_EQ(key_of(*first), key_of(*second));
}

// What the transaction holds is in the key: its writes, before the commit applies them.
TEST(TransactionStateKey, AWriteInsideTheTransactionChangesTheKey) {
  Store st;
  const ConnId a = st.open_connection(0);
  const TxId t = st.transaction_start(a).value;
  const StateKey before = key_of(st);
  EXPECT_EQ(st.write(a, t, "/a", "1"), 0);
  EXPECT_NE(key_of(st), before);
}

}  // namespace
}  // namespace xenrace::xs
