#include <gtest/gtest.h>

#include "report_fixtures.hpp"
#include "reports/event_kind.hpp"
#include "reports/racing_pair.hpp"

namespace xenrace::reports {
namespace {

ExecutionResult execution(std::vector<TraceEvent> events) {
  ExecutionResult r;
  r.outcome = Outcome::invariant_violated;
  r.actors = {"toolstack", "blkback", "udevd"};
  r.events = std::move(events);
  return r;
}

TEST(EventKind, ClassifiesByOperationName) {
  EXPECT_EQ(event_kind({1, 0, 0, "xs.write", "/a=1", "OK"}), EventKind::xenstore);
  EXPECT_EQ(event_kind({1, 0, 0, "xs.read_watch", "", "/a tok"}), EventKind::watch);
  EXPECT_EQ(event_kind({1, 0, 0, "fault.loop_configure", "", "EIO"}), EventKind::fault);
  EXPECT_EQ(event_kind({1, 0, 0, "loop.configure", "/dev/loop0", "OK"}), EventKind::device);
  EXPECT_EQ(event_kind({1, kNoActor, 0, "verdict", "c", "m"}), EventKind::verdict);
}

TEST(EventKind, ObjectIsThePathOrFirstToken) {
  EXPECT_EQ(event_object({1, 0, 0, "xs.write", "t3 /local/domain/0/state=4", "OK"}), "/local/domain/0/state");
  EXPECT_EQ(event_object({1, 0, 0, "xs.read", "/vm/uuid", "x"}), "/vm/uuid");
  EXPECT_EQ(event_object({1, 0, 0, "xs.read_watch", "", "/backend/vbd/1 tok"}), "/backend/vbd/1");
  EXPECT_EQ(event_object({1, 0, 0, "map.cas", "counter: 0->1", "OK"}), "counter");
  EXPECT_EQ(event_object({1, 0, 0, "xs.transaction_start", "", "t1"}), "");
}

// A process actor's XenStore events name its connection first ("p1/c1"), and its own processes by ordinals
// that mean nothing across actors: the object is the path, and fork, exec and exit touch nothing shared.
TEST(EventKind, AProcessActorsObjectIsThePathNotItsConnectionOrProcess) {
  EXPECT_EQ(event_object({1, 0, 0, "xs.write", "p1/c1 t1 /local/domain/0/state=4", "OK"}), "/local/domain/0/state");
  EXPECT_EQ(event_object({1, 0, 0, "xs.read", "p3/c12 /vm/uuid", "x"}), "/vm/uuid");
  EXPECT_EQ(event_object({1, 0, 0, "xs.watch_event", "p1/c1 /backend/state 3/0", "OK"}), "/backend/state");
  EXPECT_EQ(event_kind({1, 0, 0, "xs.watch_event", "p1/c1 /backend/state 3/0", "OK"}), EventKind::watch);
  EXPECT_EQ(event_object({1, 0, 0, "xs.close", "p1/c1", "OK"}), "");
  EXPECT_EQ(event_object({1, 0, 0, "proc.exit", "p1 0", "OK"}), "");
  EXPECT_EQ(event_object({1, 0, 0, "proc.exec", "p2 losetup", "OK"}), "");
  EXPECT_EQ(event_object({1, 0, 0, "proc.open", "p4 /dev/loop0", "OK"}), "/dev/loop0");
  EXPECT_EQ(without_process_connection("p1/c2 t1 /a=1"), "t1 /a=1");
  EXPECT_EQ(without_process_connection("p1/x2 /a"), "p1/x2 /a");
}

// A hypervisor call through the fake libxenctrl names its connection ("p1/h1") first: the object is the PCI
// device it assigns or the domain it names, and the queries change nothing. Connecting is the actor's own.
TEST(EventKind, AHypervisorCallsObjectIsItsDeviceOrDomain) {
  EXPECT_EQ(event_object({1, 0, 0, "hv.assign_device", "p1/h1 1 0000:04:00.0", "OK"}), "0000:04:00.0");
  EXPECT_EQ(event_object({1, 0, 0, "hv.test_assign_device", "p2/h1 1 0000:04:00.0", "EINVAL"}), "0000:04:00.0");
  EXPECT_TRUE(is_read_only({1, 0, 0, "hv.test_assign_device", "p2/h1 1 0000:04:00.0", "EINVAL"}));
  EXPECT_FALSE(is_read_only({1, 0, 0, "hv.assign_device", "p1/h1 1 0000:04:00.0", "OK"}));
  EXPECT_EQ(event_object({1, 0, 0, "hv.map_pirq", "p1/h1 1 irq 17", "pirq 17"}), "1");
  EXPECT_EQ(event_object({1, 0, 0, "hv.getinfolist", "p1/h1 from 1 max 1", "1"}), "1");
  EXPECT_TRUE(is_read_only({1, 0, 0, "hv.getinfolist", "p1/h1 from 1 max 1", "1"}));
  EXPECT_EQ(event_object({1, 0, 0, "hv.destroy", "1", "OK"}), "1");  // the simulator's domain lifecycle
  EXPECT_EQ(event_object({1, 0, 0, "hv.flask_sid_to_context", "p1/h1 sid 0", "ENOSYS"}), "");
  EXPECT_EQ(event_object({1, 0, 0, "hv.connect", "p1", "h1"}), "");
  EXPECT_EQ(event_object({1, 0, 0, "xs.connect", "p1", "c1"}), "");
  EXPECT_EQ(without_process_connection("p1/h2 1 irq 17"), "1 irq 17");
}

// real-libxl-pci's shape: two libxl processes read num_devs outside their transactions; the second's
// transaction writes it from its stale read after the first's committed. Both exit the same way (proc.exit p1 0),
// which is no race.
TEST(RacingPair, AProcessActorsStaleReadIsFoundThroughItsConnectionAndTransaction) {
  auto r = execution({
      {1, 0, 0, "xs.read", "p1/c1 /be/num_devs", "ENOENT"},     // 0
      {2, 1, 0, "xs.read", "p1/c1 /be/num_devs", "ENOENT"},     // 1  stale once 0's transaction commits
      {3, 0, 0, "xs.write", "p1/c1 t1 /be/num_devs=1", "OK"},   // 2
      {4, 0, 0, "xs.transaction_end", "p1/c1 t1 commit", "OK"},  // 3
      {5, 0, 0, "proc.exit", "p1 0", "OK"},                      // 4
      {6, 1, 0, "xs.write", "p1/c1 t1 /be/num_devs=1", "OK"},   // 5  built on the stale read
      {7, 1, 0, "xs.transaction_end", "p1/c1 t1 commit", "OK"},  // 6
      {8, 1, 0, "proc.exit", "p1 0", "OK"},                      // 7
  });
  auto pair = find_racing_pair(r);
  ASSERT_TRUE(pair);
  EXPECT_TRUE(pair->stale_read);
  EXPECT_EQ(pair->first, 1u);
  EXPECT_EQ(pair->second, 2u);
  ASSERT_TRUE(pair->dependent);
  EXPECT_EQ(*pair->dependent, 5u);
}

// real-loop-script's shape: the script's LOOP_CONFIGURE is refused (EBUSY) because udisksd configured the
// device first; udisksd's later close is not the reason.
TEST(RacingPair, ARefusedChangeAndTheOtherActorsChangeItWasRefusedFor) {
  auto r = execution({
      {1, 0, 0, "loop.get_free", "", "loop0"},                        // 0  toolstack
      {2, 1, 0, "loop.configure", "loop0 /iso RO", "OK"},              // 1  the other actor takes it
      {3, 1, 0, "loop.close", "loop0", "OK"},                          // 2
      {4, 0, 0, "loop.configure", "loop0 /guest.img 0", "EBUSY"},      // 3  refused
      {5, 2, 0, "xs.write", "/status=error", "OK"},                    // 4
      {6, 0, 0, "xs.write", "/status=failed", "OK"},                   // 5  the last pair, but no refusal
  });
  auto pair = find_racing_pair(r);
  ASSERT_TRUE(pair);
  EXPECT_FALSE(pair->stale_read);
  EXPECT_EQ(pair->first, 1u);
  EXPECT_EQ(pair->second, 3u);
}

TEST(RacingPair, LastConflictingPairOfDifferentActors) {
  auto r = execution({
      {1, 0, 0, "xs.write", "/a=1", "OK"},      // 0
      {2, 1, 0, "xs.write", "/a=2", "OK"},      // 1  races with 0, but not the last
      {3, 0, 0, "xs.write", "/b=1", "OK"},      // 2
      {4, 2, 0, "loop.configure", "/b", "OK"},  // 3  last pair on /b with 2
      {5, 0, 0, "xs.write", "/c=1", "OK"},      // 4  nobody else touches /c
      {5, kNoActor, 0, "verdict", "/b", "x"},   // 5  the harness never races
  });
  auto pair = find_racing_pair(r);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->first, 2u);
  EXPECT_EQ(pair->second, 3u);
}

TEST(RacingPair, PrefersAPairThatChangesTheObject) {
  auto r = execution({
      {1, 0, 0, "xs.write", "/a=1", "OK"},  // 0
      {2, 1, 0, "xs.read", "/a", "1"},      // 1  write/read: a race
      {3, 0, 0, "xs.read", "/a", "1"},      // 2
      {4, 1, 0, "xs.read", "/a", "1"},      // 3  read/read: not one
  });
  auto pair = find_racing_pair(r);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->first, 0u);
  EXPECT_EQ(pair->second, 3u);
}

TEST(RacingPair, NoneWhenOneActorOrNoSharedObject) {
  EXPECT_FALSE(find_racing_pair(execution({{1, 0, 0, "xs.write", "/a=1", "OK"}, {2, 0, 0, "xs.write", "/a=2", "OK"}})));
  EXPECT_FALSE(find_racing_pair(execution({{1, 0, 0, "xs.write", "/a=1", "OK"}, {2, 1, 0, "xs.write", "/b=2", "OK"}})));
}

TEST(RacingPair, DemoCounterRacesOnTheCounter) {
  const auto& buggy = testing::explored_demo_counter()[0];
  ASSERT_TRUE(buggy.failed);
  auto pair = find_racing_pair(buggy.failure);
  ASSERT_TRUE(pair);
  const auto& a = buggy.failure.events[pair->first];
  const auto& b = buggy.failure.events[pair->second];
  EXPECT_NE(a.actor, b.actor);
  EXPECT_EQ(event_object(a), "counter");
  EXPECT_EQ(event_object(b), "counter");
}

// A stale read: X reads an object, Y changes it, X then writes it from what it read. That read and the
// write that made it stale are the pair, ahead of any later conflicting pair.
TEST(RacingPair, StaleReadAndTheWriteThatMadeItStale) {
  auto r = execution({
      {1, 0, 0, "xs.read", "/n", "ENOENT"},  // 0  toolstack reads: absent
      {2, 1, 0, "xs.read", "/n", "ENOENT"},  // 1  blkback reads: absent
      {3, 1, 0, "xs.write", "/n=1", "OK"},   // 2  blkback writes: toolstack's read is now stale
      {4, 0, 0, "xs.write", "/n=1", "OK"},   // 3  toolstack writes from its stale read
      {5, 2, 0, "xs.write", "/m=1", "OK"},   // 4
      {6, 0, 0, "xs.write", "/m=2", "OK"},   // 5  the last conflicting pair, but no stale read
  });
  auto pair = find_racing_pair(r);
  ASSERT_TRUE(pair);
  EXPECT_TRUE(pair->stale_read);
  EXPECT_EQ(pair->first, 0u);
  EXPECT_EQ(pair->second, 2u);
  ASSERT_TRUE(pair->dependent);
  EXPECT_EQ(*pair->dependent, 3u);
}

TEST(RacingPair, NoStaleReadWhenTheValueDidNotChangeOrTheReaderReadAgain) {
  // The other write stores the value that was read: nothing went stale.
  auto same = find_racing_pair(execution({
      {1, 0, 0, "xs.read", "/n", "4"},
      {2, 1, 0, "xs.write", "/n=4", "OK"},
      {3, 0, 0, "xs.write", "/n=5", "OK"},
  }));
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->stale_read);
  EXPECT_EQ(same->first, 1u);  // the fallback: the last pair of changes
  EXPECT_EQ(same->second, 2u);
  // The reader read again after the other write: its write builds on the fresh value.
  auto reread = find_racing_pair(execution({
      {1, 0, 0, "xs.read", "/n", "1"},
      {2, 1, 0, "xs.write", "/n=2", "OK"},
      {3, 0, 0, "xs.read", "/n", "2"},
      {4, 0, 0, "xs.write", "/n=3", "OK"},
  }));
  ASSERT_TRUE(reread);
  EXPECT_FALSE(reread->stale_read);
  // A write inside a transaction that was not committed never made anything stale.
  auto aborted = find_racing_pair(execution({
      {1, 0, 0, "xs.read", "/n", "1"},
      {2, 1, 0, "xs.transaction_start", "", "t4"},
      {3, 1, 0, "xs.write", "t4 /n=2", "OK"},
      {4, 1, 0, "xs.transaction_end", "t4 commit", "EAGAIN"},
      {5, 0, 0, "xs.write", "/n=3", "OK"},
  }));
  ASSERT_TRUE(aborted);
  EXPECT_FALSE(aborted->stale_read);
}

// pci-attach/buggy (libxl 73ee2795aa): one `xl pci-attach` reads num_devs outside its transaction, the other
// attach commits num_devs=1, then the first writes num_devs from its stale read and wipes the other's dev-0.
TEST(RacingPair, PciAttachBuggyIsTheStaleNumDevsRead) {
  const ReportEntry* entry = &testing::explored_pci_attach_buggy();
  ASSERT_TRUE(entry->failed);
  const ExecutionResult& ex = entry->failure;
  auto pair = find_racing_pair(ex);
  ASSERT_TRUE(pair);
  EXPECT_TRUE(pair->stale_read);
  const auto& read = ex.events[pair->first];
  const auto& write = ex.events[pair->second];
  const std::string num_devs = "/local/domain/0/backend/pci/1/0/num_devs";
  EXPECT_EQ(read.op, "xs.read");
  EXPECT_EQ(read.args, num_devs) << "the read is outside any transaction";
  EXPECT_EQ(write.op, "xs.write");
  EXPECT_EQ(event_object(write), num_devs);
  EXPECT_NE(write.actor, read.actor);
  EXPECT_EQ(actor_name(ex, read).rfind("xl pci-attach", 0), 0u) << actor_name(ex, read);
  EXPECT_EQ(actor_name(ex, write).rfind("xl pci-attach", 0), 0u) << actor_name(ex, write);
  ASSERT_TRUE(pair->dependent);
  const auto& dependent = ex.events[*pair->dependent];
  EXPECT_EQ(dependent.actor, read.actor);
  EXPECT_EQ(event_object(dependent), num_devs);
  EXPECT_LT(pair->second, *pair->dependent);
}

TEST(RacingPair, DemoCounterIsTheStaleGetAndTheOtherClientsPut) {
  const auto& buggy = testing::explored_demo_counter()[0];
  ASSERT_TRUE(buggy.failed);
  auto pair = find_racing_pair(buggy.failure);
  ASSERT_TRUE(pair);
  EXPECT_TRUE(pair->stale_read);
  const auto& read = buggy.failure.events[pair->first];
  const auto& write = buggy.failure.events[pair->second];
  EXPECT_EQ(read.op, "map.get");
  EXPECT_EQ(write.op, "map.put");
  EXPECT_NE(read.actor, write.actor);
  EXPECT_NE(write.args, "counter=" + read.result) << "the put changed the value the get returned";
  ASSERT_TRUE(pair->dependent);
  EXPECT_EQ(buggy.failure.events[*pair->dependent].op, "map.put");
  EXPECT_EQ(buggy.failure.events[*pair->dependent].actor, read.actor);
}

}  // namespace
}  // namespace xenrace::reports
