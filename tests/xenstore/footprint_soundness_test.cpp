// The simulated XenStore's footprints are what dpor trusts to skip interleavings, so they must name every
// dependency. Checked by differential search: for random small programs of XenStore requests by two or
// three actors (reads, writes, mkdir, rm, listings, transactions, watches, and their events taken at once
// or waited for), the set of outcomes dpor reaches — what every request answered, and the final tree —
// must be exactly the set every interleaving reaches (dfs without a bound); with a preemption bound, the
// set dfs reaches with that bound. A footprint that missed a dependency would lose an outcome.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/dpor_strategy.hpp"

namespace xenrace {
namespace {

enum class Kind { read, write, mkdir, rm, directory, tx_read_write, watch, read_event, wait_event };
struct Request {
  Kind kind;
  int path;  // index into kPaths
  int value;
};
const char* const kPaths[] = {"/t/a", "/t/a/b", "/t/c", "/t"};
using Program = std::vector<std::vector<Request>>;

std::string outcome_of(const Program& program, Strategy& strategy, StackPool& stacks, std::uint64_t index,
                       bool* pruned) {
  strategy.begin_execution(index);
  std::vector<std::string> said(program.size());
  std::string final_tree;
  ExecutionResult r;
  {
    Execution ex(strategy, stacks, ExecutionOptions{});
    auto& store = ex.make<SimXenStore>(ex);
    {
      auto setup = store.connect(0);
      setup->mkdir(kNoTx, "/t");
    }
    for (std::size_t a = 0; a < program.size(); ++a) {
      ex.spawn(fmt::format("client {}", a), [&store, &said, &program, a] {
        auto xs = store.connect(0);
        std::string& out = said[a];
        for (const Request& q : program[a]) {
          const std::string path = kPaths[q.path];
          switch (q.kind) {
            case Kind::read: {
              auto v = xs->read(kNoTx, path);
              out += v.ok() ? v.value : errno_name(v.err);
              break;
            }
            case Kind::write: out += errno_name(xs->write(kNoTx, path, std::to_string(q.value))); break;
            case Kind::mkdir: out += errno_name(xs->mkdir(kNoTx, path)); break;
            case Kind::rm: out += errno_name(xs->rm(kNoTx, path)); break;
            case Kind::directory: {
              auto d = xs->directory(kNoTx, path);
              out += d.ok() ? fmt::format("[{}]", fmt::join(d.value, " ")) : errno_name(d.err);
              break;
            }
            case Kind::tx_read_write: {
              auto t = xs->transaction_start();
              if (!t.ok()) break;
              auto v = xs->read(t.value, path);
              out += v.ok() ? v.value : errno_name(v.err);
              xs->write(t.value, kPaths[(q.path + 1) % 4], std::to_string(q.value));
              out += errno_name(xs->transaction_end(t.value, true));
              break;
            }
            case Kind::watch: out += errno_name(xs->watch(path, "tok")); break;
            case Kind::read_event: {
              auto e = xs->read_watch(0);  // never blocks: an event now, or ETIMEDOUT
              out += e.ok() ? e.value.path : errno_name(e.err);
              break;
            }
            case Kind::wait_event: {
              // Blocks until an event comes, or until 1 s of virtual time passes with nothing left to run.
              auto e = xs->read_watch(1'000'000'000);
              out += e.ok() ? e.value.path : errno_name(e.err);
              break;
            }
          }
          out += ";";
        }
      });
    }
    r = ex.run();
    if (!r.pruned) {
      for (const auto& [path, node] : store.model().nodes())
        if (path.rfind("/t", 0) == 0) final_tree += fmt::format("{}={} ", path, node.value);
    }
  }
  strategy.end_execution(r.steps);
  *pruned = r.pruned;
  if (r.pruned) return {};
  std::set<std::string> sorted_tree;  // the node map is unordered
  std::string tree;
  std::string item;
  for (char c : final_tree) {
    if (c == ' ') {
      sorted_tree.insert(item);
      item.clear();
    } else {
      item += c;
    }
  }
  for (const auto& s : sorted_tree) tree += s + " ";
  return fmt::format("{} | {}", fmt::join(said, " / "), tree);
}

std::set<std::string> outcomes(const Program& program, Strategy& strategy, std::uint64_t* runs) {
  StackPool stacks;
  std::set<std::string> out;
  std::uint64_t i = 0;
  for (; strategy.has_more() && i < 300000; ++i) {
    bool pruned = false;
    std::string o = outcome_of(program, strategy, stacks, i, &pruned);
    if (!pruned) out.insert(o);
  }
  *runs = i;
  return out;
}

// Two or three actors of a few requests each, on the four paths.
Program random_program() {
  const int actors = *rc::gen::inRange(2, 4);
  Program p(static_cast<std::size_t>(actors));
  for (auto& requests : p) {
    const int n = *rc::gen::inRange(1, actors == 2 ? 4 : 3);
    for (int k = 0; k < n; ++k)
      requests.push_back(Request{static_cast<Kind>(*rc::gen::inRange(0, 9)), *rc::gen::inRange(0, 4),
                                 *rc::gen::inRange(1, 3)});
  }
  return p;
}

RC_GTEST_PROP(XenStoreFootprints, DporReachesEveryOutcomeOfEveryInterleaving, ()) {
  const Program p = random_program();
  std::uint64_t every_runs = 0, dpor_runs = 0;
  DfsStrategy every(1000);
  const std::set<std::string> reference = outcomes(p, every, &every_runs);
  RC_PRE(!every.has_more());  // too big to enumerate: not a counterexample
  DporStrategy dpor;
  const std::set<std::string> reduced = outcomes(p, dpor, &dpor_runs);
  RC_ASSERT(!dpor.has_more());
  RC_ASSERT(reduced == reference);
  RC_ASSERT(dpor_runs <= every_runs);
}

// With a preemption bound (BPOR), over the same requests, blocking waits and timeouts: dpor reaches what
// dfs with that bound reaches.
RC_GTEST_PROP(XenStoreFootprints, BoundedDporReachesEveryOutcomeOfBoundedDfs, ()) {
  const Program p = random_program();
  const auto bound = static_cast<unsigned>(*rc::gen::inRange(0, 3));
  std::uint64_t dfs_runs = 0, dpor_runs = 0;
  DfsStrategy dfs(bound);
  const std::set<std::string> reference = outcomes(p, dfs, &dfs_runs);
  RC_PRE(!dfs.has_more());
  DporStrategy dpor(0, 1, bound);
  const std::set<std::string> reduced = outcomes(p, dpor, &dpor_runs);
  RC_ASSERT(!dpor.has_more());
  RC_ASSERT(reduced == reference);
  RC_ASSERT(dpor_runs <= dfs_runs);
}

// The shapes the random programs found or might miss, spelled out: each must reach what every
// interleaving reaches.
void expect_every_outcome(const Program& p) {
  std::uint64_t every_runs = 0, dpor_runs = 0;
  DfsStrategy every(1000);
  const std::set<std::string> reference = outcomes(p, every, &every_runs);
  ASSERT_FALSE(every.has_more());
  DporStrategy dpor;
  const std::set<std::string> reduced = outcomes(p, dpor, &dpor_runs);
  ASSERT_FALSE(dpor.has_more());
  EXPECT_EQ(reduced, reference);
}

// "No event" is an answer: an event queued just after it is another outcome than one queued just before.
TEST(XenStoreFootprints, AnEventQueuedJustAfterTheOwnerFoundNoneIsAnotherOutcome) {
  expect_every_outcome(
      {{{Kind::watch, 3, 0}, {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}},
       {{Kind::write, 0, 1}}});
}

// Two waits that time out at the same virtual instant: their actors then run in either order.
TEST(XenStoreFootprints, TwoTimeoutsAtTheSameInstantRaceAfterwards) {
  expect_every_outcome({{{Kind::wait_event, 0, 0}, {Kind::read, 2, 0}}, {{Kind::wait_event, 0, 0}, {Kind::write, 2, 1}}});
}

// A wait that an event ends, whether the event came before or after the owner started waiting.
TEST(XenStoreFootprints, AWaitEndedByAnEventReachesEveryOutcome) {
  expect_every_outcome({{{Kind::watch, 2, 0}, {Kind::wait_event, 0, 0}, {Kind::wait_event, 0, 0}, {Kind::read, 0, 0}},
                        {{Kind::write, 2, 1}, {Kind::write, 0, 2}}});
}

// A watch fires for changes below its path: registering it on /t and writing /t/a/b do not commute.
TEST(XenStoreFootprints, AWatchOnAnAncestorAndAWriteBelowItDoNotCommute) {
  expect_every_outcome(
      {{{Kind::write, 1, 1}}, {{Kind::watch, 3, 0}, {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}}});
}

// Removing /t/a fires the watches on what it removes: a watch on /t/a/b and the rm do not commute.
TEST(XenStoreFootprints, AWatchBelowARemovedNodeAndTheRemovalDoNotCommute) {
  expect_every_outcome({{{Kind::write, 1, 1}, {Kind::rm, 0, 0}},
                        {{Kind::watch, 1, 0}, {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}}});
}

// Creating /t/a and /t/c commute (an update of /t's children each), but a listing of /t shows them in creation
// order: it must see both orders.
TEST(XenStoreFootprints, AListingSeesBothOrdersOfTwoCreations) {
  expect_every_outcome({{{Kind::mkdir, 0, 0}}, {{Kind::mkdir, 2, 0}}, {{Kind::directory, 3, 0}}});
  expect_every_outcome({{{Kind::mkdir, 0, 0}, {Kind::directory, 3, 0}}, {{Kind::mkdir, 2, 0}}});
}

// A removal of /t walks its children in creation order and fires their watches in that order: a watcher of /t
// sees /t/a and /t/c go in either order.
TEST(XenStoreFootprints, ARemovalFiresTheWatchesOfTwoCreationsInTheirOrder) {
  expect_every_outcome({{{Kind::mkdir, 0, 0}},
                        {{Kind::mkdir, 2, 0}},
                        {{Kind::watch, 3, 0}, {Kind::read_event, 0, 0}, {Kind::rm, 3, 0}, {Kind::read_event, 0, 0},
                         {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}}});
}

// Two creations below /t and a removal of /t by a watcher of /t, which reads its events without waiting. The
// removal may come first, and the watcher then finds no event between the two creations' events: found only
// when a creation queueing onto a queue that still held an event, held in a sleep set while the watcher popped
// that event, wakes when the watcher then looks at the empty queue.
TEST(XenStoreFootprints, AnEventQueuedAfterThePopThatEmptiedTheQueueIsAnotherOutcome) {
  expect_every_outcome({{{Kind::mkdir, 0, 0}},
                        {{Kind::mkdir, 2, 0}},
                        {{Kind::watch, 3, 0}, {Kind::rm, 3, 0}, {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0},
                         {Kind::read_event, 0, 0}, {Kind::read_event, 0, 0}}});
}

}  // namespace
}  // namespace xenrace
