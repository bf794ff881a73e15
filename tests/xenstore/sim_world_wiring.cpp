// SimWorld::xenstore() hands out the simulated store (built on first use, one per world).
#include <gtest/gtest.h>

#include "backends/sim/sim_world.hpp"
#include "runtime/execution.hpp"
#include "world/xenstore.hpp"

namespace xenrace {
namespace {

TEST(SimWorldXenStore, BuiltLazilyOncePerWorld) {
  StackPool stacks;
  StrategyOptions so;
  so.name = "random";
  auto strategy = make_strategy(so);
  Execution ex(*strategy, stacks, ExecutionOptions{});
  SimWorld world(ex);
  auto c = world.xenstore().connect();
  EXPECT_EQ(c->write(kNoTx, "/a", "1"), 0);
  EXPECT_EQ(c->read(kNoTx, "/a").value, "1");
  EXPECT_EQ(&world.xenstore(), &world.xenstore());
}

}  // namespace
}  // namespace xenrace
