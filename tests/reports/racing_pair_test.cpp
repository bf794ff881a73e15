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

}  // namespace
}  // namespace xenrace::reports
