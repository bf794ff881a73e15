// Inside a transaction, a request on a node the transaction has already accessed touches only its private copy,
// and the simulator runs it in the actor's step before it, with no scheduling point of its own
// (xs::Store::within_transaction_copy, SimXenStore::separate_steps_inside_transactions). The coarser step is sound
// only if no other actor can tell the difference; checked here by differential search: for random programs of
// two actors whose transactions read, write, create, list and remove the same few nodes more than once, every
// interleaving of the coarse steps (dfs without a bound) reaches exactly the outcomes (what every request
// answered, and the final tree) that every interleaving of one step per request reaches, and dpor reaches them
// too. The rule itself is checked case by case against the store.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/dpor_strategy.hpp"
#include "world/transaction_copies.hpp"
#include "world/xs_trace_format.hpp"

namespace xenrace {
namespace {

enum class Op { read, write, mkdir, rm, directory, set_perms };
constexpr int kOps = 6;
const char* const kPaths[] = {"/t/a", "/t/a/b", "/t/c"};

struct Request {
  Op op;
  int path;
  int value;
};
// A transaction's requests, then commit or abort; or, with no transaction, one request on its own.
struct Block {
  bool transaction;
  bool commit;
  std::vector<Request> requests;
};
using Program = std::vector<std::vector<Block>>;  // per actor

std::string run_request(XsConnection& xs, TxId tx, const Request& q) {
  const std::string path = kPaths[q.path];
  switch (q.op) {
    case Op::read: {
      auto v = xs.read(tx, path);
      return v.ok() ? v.value : errno_name(v.err);
    }
    case Op::write: return errno_name(xs.write(tx, path, std::to_string(q.value)));
    case Op::mkdir: return errno_name(xs.mkdir(tx, path));
    case Op::rm: return errno_name(xs.rm(tx, path));
    case Op::directory: {
      auto d = xs.directory(tx, path);
      return d.ok() ? fmt::format("[{}]", fmt::join(d.value, " ")) : errno_name(d.err);
    }
    case Op::set_perms: {
      const XsPerms perms = {{XsPerm::Access::none, 0}, {XsPerm::Access::read, static_cast<DomId>(q.value)}};
      return errno_name(xs.set_perms(tx, path, perms));
    }
  }
  return {};
}

// What every request answered, then the final tree (sorted), or "pruned". `steps` gets the execution's steps.
std::string outcome_of(const Program& program, Strategy& strategy, StackPool& stacks, std::uint64_t index,
                       bool separate, std::uint64_t* steps = nullptr) {
  strategy.begin_execution(index);
  std::vector<std::string> said(program.size());
  std::set<std::string> tree;
  ExecutionResult r;
  {
    Execution ex(strategy, stacks, ExecutionOptions{});
    auto& store = ex.make<SimXenStore>(ex);
    store.separate_steps_inside_transactions(separate);
    {
      auto setup = store.connect(0);
      setup->mkdir(kNoTx, "/t");
    }
    for (std::size_t a = 0; a < program.size(); ++a) {
      ex.spawn(fmt::format("client {}", a), [&store, &said, &program, a] {
        auto xs = store.connect(0);
        std::string& out = said[a];
        for (const Block& b : program[a]) {
          TxId tx = kNoTx;
          if (b.transaction) {
            auto t = xs->transaction_start();
            if (!t.ok()) {
              out += errno_name(t.err);
              continue;
            }
            tx = t.value;
          }
          for (const Request& q : b.requests) out += run_request(*xs, tx, q) + ",";
          if (b.transaction) out += errno_name(xs->transaction_end(tx, b.commit));
          out += ";";
        }
      });
    }
    r = ex.run();
    if (!r.pruned)
      for (const auto& [path, node] : store.model().nodes())
        if (path.rfind("/t", 0) == 0)
          tree.insert(fmt::format("{}={}[{}]", path, node.value, xs_trace::format_perms(node.perms)));
  }
  strategy.end_execution(r.steps);
  if (steps) *steps = r.steps;
  if (r.pruned) return "pruned";
  return fmt::format("{} | {}", fmt::join(said, " / "), fmt::join(tree, " "));
}

std::set<std::string> outcomes(const Program& program, Strategy& strategy, bool separate, std::uint64_t* runs) {
  StackPool stacks;
  std::set<std::string> out;
  std::uint64_t i = 0;
  for (; strategy.has_more() && i < 200000; ++i) {
    std::string o = outcome_of(program, strategy, stacks, i, separate);
    if (o != "pruned") out.insert(o);
  }
  *runs = i;
  return out;
}

// Two actors; each runs a transaction of two to four requests on two of the paths, so that requests in it meet
// nodes it has already accessed, and sometimes one request of its own before or after it. At most seven steps an
// actor: every interleaving of the two is a few thousand executions at most.
Program random_program() {
  Program p(2);
  for (auto& blocks : p) {
    Block t;
    t.transaction = true;
    t.commit = *rc::gen::inRange(0, 4) != 0;
    const int first = *rc::gen::inRange(0, 3);
    const int second = *rc::gen::inRange(0, 3);
    const int requests = *rc::gen::inRange(2, 5);
    for (int i = 0; i < requests; ++i)
      t.requests.push_back(Request{static_cast<Op>(*rc::gen::inRange(0, kOps)),
                                   *rc::gen::inRange(0, 2) == 0 ? first : second, *rc::gen::inRange(1, 3)});
    const int single = *rc::gen::inRange(0, 3);  // none, one before, one after
    Block one{false, false, {Request{static_cast<Op>(*rc::gen::inRange(0, kOps)), *rc::gen::inRange(0, 3), 1}}};
    if (single == 1) blocks.push_back(one);
    blocks.push_back(std::move(t));
    if (single == 2) blocks.push_back(one);
  }
  return p;
}

void log_program(const Program& p) {
  static const char* const names[] = {"read", "write", "mkdir", "rm", "directory", "set_perms"};
  for (std::size_t a = 0; a < p.size(); ++a) {
    std::string text;
    for (const Block& b : p[a]) {
      text += b.transaction ? "t{" : "";
      for (const Request& q : b.requests)
        text += fmt::format(" {}({},{})", names[static_cast<int>(q.op)], kPaths[q.path], q.value);
      text += b.transaction ? (b.commit ? " commit}" : " abort}") : "";
      text += ";";
    }
    RC_LOG() << "actor " << a << ":" << text << "\n";
  }
}

RC_GTEST_PROP(TransactionSteps, CopyRequestsInTheStepBeforeReachEveryOutcomeOfOneStepEach, ()) {
  const Program p = random_program();
  log_program(p);
  std::uint64_t fine_runs = 0, coarse_runs = 0, dpor_runs = 0;
  DfsStrategy fine_dfs(1000);
  const std::set<std::string> fine = outcomes(p, fine_dfs, true, &fine_runs);
  RC_PRE(!fine_dfs.has_more());  // too big to enumerate: not a counterexample
  DfsStrategy coarse_dfs(1000);
  const std::set<std::string> coarse = outcomes(p, coarse_dfs, false, &coarse_runs);
  RC_ASSERT(!coarse_dfs.has_more());
  RC_ASSERT(coarse == fine);
  RC_ASSERT(coarse_runs <= fine_runs);
  DporStrategy dpor;  // and the footprints of the coarse steps: every request checks it named nothing shared
  RC_ASSERT(outcomes(p, dpor, false, &dpor_runs) == fine);
  RC_ASSERT(!dpor.has_more());
  RC_TAG(coarse_runs < fine_runs ? "fewer interleavings" : "as many");
}

// A transaction reads /t/a, then /t/c, each for the first time, while another actor writes both, /t/a first. Only
// if each first access keeps its own step can the transaction see the old /t/a and the new /t/c (a view that was
// never the tree's at one instant; its commit then fails).
TEST(TransactionSteps, AFirstAccessKeepsItsOwnStep) {
  const Program p = {{Block{true, true, {{Op::read, 0, 1}, {Op::read, 2, 1}}}},
                     {Block{false, false, {{Op::write, 0, 2}}}, Block{false, false, {{Op::write, 2, 2}}}}};
  std::uint64_t fine_runs = 0, coarse_runs = 0;
  DfsStrategy fine_dfs(1000), coarse_dfs(1000);
  const std::set<std::string> fine = outcomes(p, fine_dfs, true, &fine_runs);
  const std::set<std::string> coarse = outcomes(p, coarse_dfs, false, &coarse_runs);
  EXPECT_EQ(coarse, fine);
  const bool mixed_view = std::any_of(coarse.begin(), coarse.end(), [](const std::string& o) {
    return o.starts_with("ENOENT,2,EAGAIN;");  // /t/a read missing, /t/c read as the other actor wrote it
  });
  EXPECT_TRUE(mixed_view) << fmt::format("{}", fmt::join(coarse, "\n"));
}

// The same program, coarse and fine, run once without a choice: the requests on copies add no step.
TEST(TransactionSteps, ARequestOnACopyAddsNoStep) {
  const Program p = {{Block{true, true,
                            {{Op::read, 0, 1}, {Op::write, 0, 1}, {Op::read, 0, 1}, {Op::write, 1, 2},
                             {Op::directory, 0, 1}}}}};
  StackPool stacks;
  std::uint64_t fine = 0, coarse = 0;
  DfsStrategy one(0), other(0);
  const std::string separate = outcome_of(p, one, stacks, 0, true, &fine);
  const std::string together = outcome_of(p, other, stacks, 0, false, &coarse);
  EXPECT_EQ(together, separate);
  // read /t/a is the first access, and so is write /t/a/b; the write and read of /t/a and the listing of /t/a
  // after it are on copies.
  EXPECT_EQ(fine - coarse, 3u) << "fine " << fine << ", coarse " << coarse;
}

// What the client can tell from its own requests (world/transaction_copies.hpp), which both backends use.
TEST(TransactionSteps, WhatTheClientCountsAsACopy) {
  TransactionCopies copies(true);
  copies.noted(1, "/t/a", 0);
  EXPECT_FALSE(copies.holds(1, "/t/a")) << "transaction 1 was never started";
  copies.started(1);
  copies.started(2);
  copies.noted(1, "/t/a", 0);
  copies.noted(1, "/t/b", ENOENT);
  copies.noted(1, "/t/c", ENOENT, false);  // a set_perms's ENOENT
  copies.noted(1, "/t/d", EACCES);
  copies.noted(kNoTx, "/t/e", 0);
  EXPECT_TRUE(copies.holds(1, "/t/a"));
  EXPECT_TRUE(copies.holds(1, "/t/b")) << "found missing: the node and its ancestors were copied";
  EXPECT_FALSE(copies.holds(1, "/t/c"));
  EXPECT_FALSE(copies.holds(1, "/t/d"));
  EXPECT_FALSE(copies.holds(kNoTx, "/t/e"));
  EXPECT_FALSE(copies.holds(2, "/t/a")) << "another transaction";
  EXPECT_FALSE(copies.holds(1, "t/a")) << "another spelling";
  copies.ended(1);
  EXPECT_FALSE(copies.holds(1, "/t/a")) << "the transaction ended";
  copies.noted(1, "/t/a", 0);
  EXPECT_FALSE(copies.holds(1, "/t/a")) << "a request in a transaction that ended";

  TransactionCopies guest(false);
  guest.started(1);
  guest.noted(1, "/t/a", 0);
  EXPECT_FALSE(guest.holds(1, "/t/a")) << "an unprivileged connection's requests check permissions";
}

// The rule, against the store: which requests find only copies.
TEST(TransactionSteps, WhatCountsAsACopy) {
  xs::Store store;
  const xs::ConnId dom0 = store.open_connection(0);
  ASSERT_EQ(store.mkdir(dom0, kNoTx, "/t"), 0);
  ASSERT_EQ(store.write(dom0, kNoTx, "/t/a", "1"), 0);
  const TxId t = store.transaction_start(dom0).value;
  EXPECT_FALSE(store.within_transaction_copy(dom0, t, "/t/a")) << "not accessed yet";
  ASSERT_TRUE(store.read(dom0, t, "/t/a").ok());
  EXPECT_TRUE(store.within_transaction_copy(dom0, t, "/t/a"));
  EXPECT_FALSE(store.within_transaction_copy(dom0, kNoTx, "/t/a")) << "outside the transaction";
  EXPECT_FALSE(store.within_transaction_copy(dom0, t + 1, "/t/a")) << "no such transaction";
  EXPECT_FALSE(store.within_transaction_copy(dom0, t, "/t/a/x")) << "a missing node read from the tree";
  EXPECT_FALSE(store.read(dom0, t, "/t/a/x").ok());
  EXPECT_TRUE(store.within_transaction_copy(dom0, t, "/t/a/x")) << "missing in the copy, its parent copied";
  EXPECT_FALSE(store.within_transaction_copy(dom0, t, "/t/a/x/y")) << "its parent never looked at";
  ASSERT_EQ(store.rm(dom0, t, "/t/a"), 0);  // copies /t, and holds /t/a missing
  EXPECT_TRUE(store.within_transaction_copy(dom0, t, "/t/a/x")) << "missing, and so is its parent, /t copied";
  EXPECT_FALSE(store.within_transaction_copy(dom0, t, "/t/c/x")) << "/t/c never looked at";
  EXPECT_FALSE(store.within_transaction_copy(dom0, t, "@releaseDomain"));
  ASSERT_EQ(store.mkdir(dom0, t, "/t/a"), 0);
  EXPECT_TRUE(store.within_transaction_copy(dom0, t, "/t/a"));

  // An unprivileged connection's requests check permissions and quotas against the tree: never copies alone.
  xs::StoreOptions options;
  options.every_domain_exists = true;
  xs::Store other(options);
  const xs::ConnId admin = other.open_connection(0);
  ASSERT_EQ(other.mkdir(admin, kNoTx, "/local/domain/1"), 0);
  ASSERT_EQ(other.set_perms(admin, kNoTx, "/local/domain/1", {{XsPerm::Access::none, 1}}), 0);
  const xs::ConnId guest = other.open_connection(1);
  const TxId g = other.transaction_start(guest).value;
  ASSERT_TRUE(other.read(guest, g, "/local/domain/1").ok());
  EXPECT_FALSE(other.within_transaction_copy(guest, g, "/local/domain/1"));
}

}  // namespace
}  // namespace xenrace
