// The dom0 XenStore path end to end: Dom0World -> real libxenstore -> `xenrace serve-xenstore` over its
// Unix socket. Covers confinement to the run's subtree, watches (including a reader parked until another
// actor's write), EAGAIN on a conflicting transaction and the retry that follows, and cleanup.
#include <fstream>

#include <gtest/gtest.h>

#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/dom0_world.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "faults/real_faults.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "served_session_test.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"
#include "world/xenstore.hpp"

namespace xenrace::dom0 {
namespace {

class Dom0XenStoreTest : public ServedSessionTest {
 protected:
  ExecutionOptions options() {
    ExecutionOptions o;
    o.keep_trace = true;
    return o;
  }
  std::string trace_of(const ExecutionResult& r) {
    std::string out;
    for (const auto& e : r.events)
      out += (e.actor < r.actors.size() ? r.actors[e.actor] : std::string("harness")) + " " + e.op + " " + e.args +
             " -> " + e.result + "\n";
    return out;
  }
};

TEST_F(Dom0XenStoreTest, EveryPathLandsInsideTheRunsSubtree) {
  std::string prefix;
  {
    Execution ex(default_order_, stacks_, options());
    Dom0World& w = ex.make<Dom0World>(ex, *session_);
    auto c = w.xenstore().connect(0);
    ASSERT_EQ(c->write(kNoTx, "/local/domain/0/backend/vbd/1/51712/mode", "w"), 0);
    ASSERT_EQ(c->write(kNoTx, "device/x", "rel"), 0);  // relative: below /local/domain/0
    EXPECT_EQ(c->read(kNoTx, "/local/domain/0/backend/vbd/1/51712/mode").value, "w");
    EXPECT_EQ(c->directory(kNoTx, "/local/domain/0").value, (std::vector<std::string>{"backend", "device"}));
    EXPECT_EQ(c->read(kNoTx, "/nope").err, ENOENT);
    EXPECT_EQ(c->rm(kNoTx, "/"), EINVAL);  // the run's own anchor cannot be removed by a scenario

    XsHandle raw(server_->socket());
    ASSERT_TRUE(raw);
    prefix = this->prefix();
    EXPECT_EQ(raw.read(kNoTx, prefix + "/local/domain/0/backend/vbd/1/51712/mode").value, "w");
    EXPECT_EQ(raw.read(kNoTx, prefix + "/local/domain/0/device/x").value, "rel");
    EXPECT_EQ(raw.read(kNoTx, "/local/domain/0/backend/vbd/1/51712/mode").err, ENOENT);  // the host's own tree
  }
  // The execution is over: its subtree is gone; the run's node goes with the session's cleanup.
  XsHandle raw(server_->socket());
  EXPECT_EQ(raw.read(kNoTx, prefix).err, ENOENT);
  CleanupReport r = session_->clean_up();
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  EXPECT_EQ(raw.read(kNoTx, session_->config().xenstore_root + "/" + session_->run_id()).err, ENOENT);
  // The root the run's subtrees hung from did not exist before the run: it goes too, leaving nothing behind.
  EXPECT_EQ(raw.read(kNoTx, session_->config().xenstore_root).err, ENOENT) << format_cleanup(r);
}

TEST_F(Dom0XenStoreTest, ARootThatWasThereBeforeTheRunIsLeftAsFound) {
  XsHandle raw(server_->socket());
  ASSERT_TRUE(raw);
  const std::string root = session_->config().xenstore_root;
  ASSERT_EQ(raw.write(kNoTx, root + "/someone-elses", "x"), 0);
  {
    Execution ex(default_order_, stacks_, options());
    Dom0World& w = ex.make<Dom0World>(ex, *session_);
    ASSERT_EQ(w.xenstore().connect(0)->write(kNoTx, "/a", "1"), 0);
  }
  CleanupReport r = session_->clean_up();
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  EXPECT_EQ(raw.read(kNoTx, root + "/someone-elses").value, "x");
  EXPECT_EQ(raw.directory(kNoTx, root).value, (std::vector<std::string>{"someone-elses"}));
}

TEST_F(Dom0XenStoreTest, ANodeAnotherRunWroteBelowTheRootKeepsIt) {
  XsHandle raw(server_->socket());
  ASSERT_TRUE(raw);
  const std::string root = session_->config().xenstore_root;
  {
    Execution ex(default_order_, stacks_, options());
    Dom0World& w = ex.make<Dom0World>(ex, *session_);
    ASSERT_EQ(w.xenstore().connect(0)->write(kNoTx, "/a", "1"), 0);
  }
  ASSERT_EQ(raw.write(kNoTx, root + "/r-another-run", ""), 0);  // a concurrent run, started after this one
  CleanupReport r = session_->clean_up();
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  EXPECT_EQ(raw.directory(kNoTx, root).value, (std::vector<std::string>{"r-another-run"}));
  EXPECT_NE(format_cleanup(r).find("kept: 1 other node(s) below it"), std::string::npos) << format_cleanup(r);
}

TEST_F(Dom0XenStoreTest, PermissionsRoundTrip) {
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto c = w.xenstore().connect(0);
  ASSERT_EQ(c->write(kNoTx, "/p", ""), 0);
  const XsPerms perms{{XsPerm::Access::none, 0}, {XsPerm::Access::read, 5}, {XsPerm::Access::both, 7}};
  ASSERT_EQ(c->set_perms(kNoTx, "/p", perms), 0);
  EXPECT_EQ(c->get_perms(kNoTx, "/p").value, perms);
}

TEST_F(Dom0XenStoreTest, AParkedReaderWakesOnAnotherActorsWrite) {
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto& events = ex.make<std::vector<std::string>>();
  ex.spawn("watcher", [&] {
    auto c = w.xenstore().connect(0);
    c->watch("/w", "tok");
    for (int i = 0; i < 2; ++i) {
      auto ev = c->read_watch();
      if (!ev.ok()) throw std::runtime_error(std::string("read_watch: ") + errno_name(ev.err));
      events.push_back(ev.value.path + " " + ev.value.token);
    }
  });
  ex.spawn("writer", [&] {
    auto c = w.xenstore().connect(0);
    c->write(kNoTx, "/w/x", "1");
  });
  ExecutionResult r = ex.run();
  ASSERT_EQ(r.outcome, Outcome::passed) << r.message << "\n" << trace_of(r);
  // The registration event, then the write's: the watcher was parked (nothing pending) until the write.
  EXPECT_EQ(events, (std::vector<std::string>{"/w tok", "/w/x tok"})) << trace_of(r);
}

// Replay delivers events as the simulator's store does (W3): an event identical to one the actor has not read
// yet is dropped, though the daemon already sent both. Once read, the same event comes again.
TEST_F(Dom0XenStoreTest, ReplayDropsAnEventIdenticalToOneNotYetRead) {
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto& events = ex.make<std::vector<std::string>>();
  ex.spawn("watcher", [&] {
    auto c = w.xenstore().connect(0);
    c->watch("/w", "tok");
    c->write(kNoTx, "/w/x", "1");
    c->write(kNoTx, "/w/x", "2");  // the same event again, while the first is unread
    for (;;) {
      auto ev = c->read_watch(1000);
      if (!ev.ok()) break;
      events.push_back(ev.value.path);
    }
    c->write(kNoTx, "/w/x", "3");
    if (auto ev = c->read_watch(1000); ev.ok()) events.push_back(ev.value.path);
  });
  ExecutionResult r = ex.run();
  ASSERT_EQ(r.outcome, Outcome::passed) << r.message << "\n" << trace_of(r);
  EXPECT_EQ(events, (std::vector<std::string>{"/w", "/w/x", "/w/x"})) << trace_of(r);
}

TEST_F(Dom0XenStoreTest, AReadWatchWithNothingToComeTimesOut) {
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  Errno& got = ex.make<Errno>(0);
  ex.spawn("watcher", [&] {
    auto c = w.xenstore().connect(0);
    c->watch("/quiet", "t");
    c->read_watch(1000);  // the registration event
    got = c->read_watch(1000).err;
  });
  EXPECT_EQ(ex.run().outcome, Outcome::passed);
  EXPECT_EQ(got, ETIMEDOUT);
}

TEST_F(Dom0XenStoreTest, AConflictingCommitIsEagainAndTheRetryCommits) {
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto a = w.xenstore().connect(0);
  auto b = w.xenstore().connect(0);
  ASSERT_EQ(a->write(kNoTx, "/num_devs", "0"), 0);
  int attempts = 0;
  for (;;) {
    ++attempts;
    auto t = a->transaction_start();
    ASSERT_TRUE(t.ok()) << errno_name(t.err);
    auto n = a->read(t.value, "/num_devs");
    ASSERT_TRUE(n.ok());
    if (attempts == 1) {
      ASSERT_EQ(b->write(kNoTx, "/num_devs", "5"), 0);  // someone else, meanwhile
    }
    ASSERT_EQ(a->write(t.value, "/num_devs", std::to_string(std::stoi(n.value) + 1)), 0);
    Errno e = a->transaction_end(t.value, true);
    if (e == EAGAIN) continue;
    ASSERT_EQ(e, 0) << errno_name(e);
    break;
  }
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(a->read(kNoTx, "/num_devs").value, "6");
}

TEST_F(Dom0XenStoreTest, GuestConnectionsAreUnavailableNotFaked) {
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  EXPECT_THROW(w.xenstore().connect(5), ComponentUnavailable);
  auto c = w.xenstore().connect(0);
  EXPECT_THROW(c->introduce_domain(5, 1, 2), ComponentUnavailable);
}

// The dom0 world asks the same failure points as the simulator, through libfiu: the point is declared once,
// at the operation's visible_op, and fires with the errno libfiu was given, before the real request is sent.
TEST_F(Dom0XenStoreTest, AWriteFailsWithTheErrnoLibfiuInjects) {
  struct Disable {
    ~Disable() { disable_all_real_faults(); }
  } disable;
  Execution ex(default_order_, stacks_, options());
  Dom0World& w = ex.make<Dom0World>(ex, *session_);
  auto c = w.xenstore().connect(0);
  enable_real_fault(FaultPoint::xenstore_write, ENOSPC);
  EXPECT_EQ(c->write(kNoTx, "/f", "x"), ENOSPC);
  EXPECT_EQ(c->mkdir(kNoTx, "/d"), 0) << "other points stay off";
  disable_real_fault(FaultPoint::xenstore_write);
  EXPECT_EQ(c->read(kNoTx, "/f").err, ENOENT) << "the failed write never reached xenstored";
  EXPECT_EQ(c->write(kNoTx, "/f", "x"), 0);

  std::vector<std::string> events;
  for (const auto& e : ex.trace().events()) events.push_back(e.op + " " + e.args + " -> " + e.result);
  const std::vector<std::string> want = {
      "fault.xenstore/write /f -> ENOSPC", "xs.write /f=x -> ENOSPC", "xs.mkdir /d -> OK",
      "xs.read /f -> ENOENT",              "xs.write /f=x -> OK",
  };
  EXPECT_EQ(events, want);
}

TEST(Dom0XenStoreAbsent, NoDaemonMeansUnavailableWithTheReason) {
  TempDir dir;
  Dom0Session session(test_host_config(dir, dir.path() + "/nobody-listens.sock"));
  StackPool stacks;
  ReplayStrategy s{Schedule{}};
  Execution ex(s, stacks, ExecutionOptions{});
  Dom0World& w = ex.make<Dom0World>(ex, session);
  try {
    w.xenstore();
    FAIL() << "a missing xenstored was not reported";
  } catch (const ComponentUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("nobody-listens.sock"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(w.unavailable().empty());
}

}  // namespace
}  // namespace xenrace::dom0

namespace xenrace::dom0 {
namespace {

// What an interrupted command prints before its cleanup: the verdicts of the runs that finished.
TEST_F(Dom0XenStoreTest, TheSessionTalliesFinishedRunsForAnInterruptedCommand) {
  EXPECT_EQ(session_->tally(), "0 runs finished: 0 passed, 0 failed");
  session_->count_finished_run(false);
  EXPECT_EQ(session_->tally(), "1 run finished: 1 passed, 0 failed");
  session_->count_finished_run(true);
  session_->count_finished_run(false);
  EXPECT_EQ(session_->tally(), "3 runs finished: 2 passed, 1 failed");
}

}  // namespace
}  // namespace xenrace::dom0

namespace xenrace::dom0 {
namespace {

std::size_t lines_of(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The run's node is ledgered once and its removal removes every execution's subtree: the ledger does not
// grow with the executions (it grew by two lines with each, 3,348 lines in 1.5 s of a free run).
TEST_F(Dom0XenStoreTest, TheLedgerDoesNotGrowWithEachExecutionsSubtree) {
  auto one_execution = [&] {
    Execution ex(default_order_, stacks_, options());
    Dom0World& w = ex.make<Dom0World>(ex, *session_);
    ASSERT_EQ(w.xenstore().connect(0)->write(kNoTx, "/a", "1"), 0);
  };
  one_execution();
  const std::size_t after_one = lines_of(session_->ledger_path());
  for (int i = 0; i < 20; ++i) one_execution();
  EXPECT_EQ(lines_of(session_->ledger_path()), after_one);
  CleanupReport r = session_->clean_up();
  EXPECT_TRUE(r.ok()) << format_cleanup(r);
  XsHandle raw(server_->socket());
  EXPECT_EQ(raw.read(kNoTx, session_->config().xenstore_root + "/" + session_->run_id()).err, ENOENT);
}

}  // namespace
}  // namespace xenrace::dom0
