// The simulator adapter: every call is a scheduling point with a trace event, read_watch blocks in
// virtual time, and an actor's connection dies with the actor.
#include <gtest/gtest.h>

#include <set>

#include "backends/sim/hypervisor/sim_hypervisor.hpp"
#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"

namespace xenrace {
namespace {

struct SimRun {
  StackPool stacks;
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<Execution> ex;
  explicit SimRun(std::uint64_t seed = 1) {
    StrategyOptions so;
    so.name = "random";
    so.seed = seed;
    strategy = make_strategy(so);
    strategy->begin_execution(0);
    ExecutionOptions options;
    options.keep_trace = true;
    ex = std::make_unique<Execution>(*strategy, stacks, options);
  }
};

TEST(SimXenStore, AWatcherBlocksUntilTheWriteAndEveryCallIsTraced) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimRun r(seed);
    auto& xs = r.ex->make<SimXenStore>(*r.ex);
    auto& got = r.ex->make<std::vector<std::string>>();
    // Registered in setup, so the write cannot come before the watch exists.
    auto& c = r.ex->make<std::unique_ptr<XsConnection>>(xs.connect());
    ASSERT_EQ(c->watch("/backend", "tok"), 0);
    r.ex->spawn("watcher", [&c, &got] {
      for (int i = 0; i < 2; ++i) {
        auto ev = c->read_watch();
        if (!ev.ok()) throw std::runtime_error("read_watch failed");
        got.push_back(ev.value.path);
      }
    });
    r.ex->spawn("writer", [&xs] { xs.connect()->write(kNoTx, "/backend/state", "4"); });
    ExecutionResult res = r.ex->run();
    ASSERT_FALSE(res.failed()) << res.message;
    EXPECT_EQ(got, (std::vector<std::string>{"/backend", "/backend/state"}));
    std::set<std::string> ops;
    for (const auto& e : res.events) ops.insert(e.op);
    EXPECT_TRUE(ops.count("xs.watch") && ops.count("xs.read_watch") && ops.count("xs.write"));
  }
}

// A scenario drives a domain's life through the hypervisor and sees @releaseDomain as xenstored fires it:
// once for the shutdown, once when destroyed, with the domain's own nodes gone before the second.
TEST(SimHypervisor, DomainLifecycleReachesTheStoreAndFiresReleaseDomain) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SimRun r(seed);
    auto& xs = r.ex->make<SimXenStore>(*r.ex);
    auto& hv = r.ex->make<SimHypervisor>(*r.ex, xs.model());
    auto& got = r.ex->make<std::vector<std::string>>();
    auto& c = r.ex->make<std::unique_ptr<XsConnection>>(xs.connect());
    ASSERT_EQ(hv.create_domain(3), 0);
    ASSERT_EQ(c->introduce_domain(3, 1, 1), 0);
    ASSERT_EQ(c->mkdir(kNoTx, "/local/domain/3"), 0);  // the toolstack gives the guest its home
    ASSERT_EQ(c->set_perms(kNoTx, "/local/domain/3", {{XsPerm::Access::none, 3}}), 0);
    auto guest = xs.connect(3);
    ASSERT_EQ(guest->write(kNoTx, "data", "1"), 0);  // owned by domain 3
    ASSERT_EQ(c->watch("@releaseDomain", "r"), 0);
    ASSERT_EQ(c->read_watch(0).value.path, "@releaseDomain");  // registration
    r.ex->spawn("toolstack", [&c, &got] {
      for (int i = 0; i < 2; ++i) {
        auto ev = c->read_watch();
        if (!ev.ok()) throw std::runtime_error("read_watch failed");
        got.push_back(ev.value.path + (c->read(kNoTx, "/local/domain/3/data").ok() ? " data" : " no-data"));
      }
    });
    r.ex->spawn("domain", [&hv] {
      if (hv.shutdown_domain(3) || hv.destroy_domain(3) || hv.reap_domain(3)) throw std::runtime_error("lifecycle");
    });
    ExecutionResult res = r.ex->run();
    ASSERT_FALSE(res.failed()) << res.message;
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1], "@releaseDomain no-data") << "destroyed: its nodes are gone before the event";
    EXPECT_EQ(hv.shutdown_domain(3), ENOENT);
    EXPECT_EQ(hv.create_domain(3), 0);  // the domid may be used again
    EXPECT_EQ(hv.create_domain(3), EEXIST);
  }
}

TEST(SimXenStore, EventDeliveryIsAScheduledChoice) {
  // The watcher consumes the registration event, then reads the node. Whether the writer's write lands
  // before or after that read depends on the schedule: both orders must be reachable.
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 60 && seen.size() < 2; ++seed) {
    SimRun r(seed);
    auto& xs = r.ex->make<SimXenStore>(*r.ex);
    auto& value = r.ex->make<std::string>();
    r.ex->spawn("watcher", [&xs, &value] {
      auto c = xs.connect();
      c->watch("/a", "t");
      c->read_watch();
      auto v = c->read(kNoTx, "/a");
      value = v.ok() ? v.value : errno_name(v.err);
    });
    r.ex->spawn("writer", [&xs] { xs.connect()->write(kNoTx, "/a", "1"); });
    ASSERT_FALSE(r.ex->run().failed());
    seen.insert(value);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"1", "ENOENT"}));
}

TEST(SimXenStore, ReadWatchTimesOutInVirtualTime) {
  SimRun r;
  auto& xs = r.ex->make<SimXenStore>(*r.ex);
  auto& result = r.ex->make<Errno>(0);
  auto& when = r.ex->make<VirtualTime>(0);
  r.ex->spawn("watcher", [&] {
    auto c = xs.connect();
    c->watch("/a", "t");
    c->read_watch();
    result = c->read_watch(5'000'000).err;
    when = r.ex->sched().now();
  });
  ASSERT_FALSE(r.ex->run().failed());
  EXPECT_EQ(result, ETIMEDOUT);
  EXPECT_EQ(when, 5'000'000u);
}

TEST(SimXenStore, AnActorsConnectionClosesWhenItEnds) {
  SimRun r;
  auto& xs = r.ex->make<SimXenStore>(*r.ex);
  auto& kept = r.ex->make<std::unique_ptr<XsConnection>>();
  r.ex->spawn("toolstack", [&] {
    kept = xs.connect();  // outlives the actor, like a leaked handle: the kernel still closes the socket
    TxId t = kept->transaction_start().value;
    kept->write(t, "/half", "done");
    kept->watch("/", "w");
  });
  ASSERT_FALSE(r.ex->run().failed());
  EXPECT_EQ(xs.model().peek("/half"), nullptr);
  EXPECT_EQ(kept->read(kNoTx, "/").err, ECONNRESET);
  EXPECT_EQ(kept->read_watch(0).err, ECONNRESET);
}

TEST(SimXenStore, SetupCodeNeverBlocks) {
  SimRun r;
  SimXenStore xs(*r.ex);
  auto c = xs.connect();
  EXPECT_EQ(c->read_watch().err, ETIMEDOUT);
  EXPECT_EQ(c->introduce_domain(3, 10, 20), 0);
  EXPECT_EQ(c->get_domain_path(3).value, "/local/domain/3");
  EXPECT_TRUE(c->is_domain_introduced(3).value);
  EXPECT_EQ(c->release_domain(3), 0);
}

}  // namespace
}  // namespace xenrace
