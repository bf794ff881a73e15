// world/kernel.hpp in the simulator: choosing a model sets the fake's, the fakes' state is what invariants
// observe, and a backend that cannot observe it makes a scenario list those invariants as unchecked instead
// of passing them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/sim/blkback/sim_blkback.hpp"
#include "backends/sim/loop/sim_loop.hpp"
#include "backends/sim/mdev/sim_mdev_bus.hpp"
#include "mdev/sim_run.hpp"
#include "runtime/scenario.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/mdev.hpp"

namespace xenrace {
namespace {

using testing::run_sim;

TEST(SimKernel, ChoosingAModelSetsTheFakes) {
  run_sim([](Execution&, SimWorld& w) {
    Kernel& k = w.kernel();
    EXPECT_EQ(k.choose(LoopKernel::v6_1), "");
    EXPECT_EQ(k.choose(BlkbackDiskseq::in_physical_device), "");
    EXPECT_EQ(k.choose(MdevCore::per_parent_lock), "");
    EXPECT_EQ(w.sim_loop().kernel(), LoopKernel::v6_1);
    EXPECT_EQ(w.sim_block_backends().diskseq_support(), BlkbackDiskseq::in_physical_device);
    EXPECT_EQ(w.sim_mdev().core(), MdevCore::per_parent_lock);
    EXPECT_EQ(k.choose(LoopKernel::before_b90ecc0379eb), "");
    EXPECT_EQ(w.sim_loop().kernel(), LoopKernel::before_b90ecc0379eb);
    EXPECT_EQ(k.unobservable(), "");
  });
}

TEST(SimKernel, InvariantsObserveTheLoopAndMdevState) {
  const LoopKernelState* loop_state = nullptr;
  const MdevKernelState* mdev_state = nullptr;
  std::size_t detaches = 0;
  std::vector<std::string> parents;
  ExecutionResult r = run_sim([&](Execution& ex, SimWorld& w) {
    Kernel& k = w.kernel();
    ASSERT_EQ(k.choose(LoopKernel::v6_5), "");
    ASSERT_EQ(k.add_mdev_parent("0000:00:02.0", {"t"}), "");
    loop_state = k.loop_state();
    mdev_state = k.mdev_state();
    ASSERT_NE(loop_state, nullptr);
    ASSERT_NE(mdev_state, nullptr);
    w.loop().create_file("/a");
    ex.spawn("losetup", [&] {
      LoopDevices& loop = w.loop();
      auto fd = loop.open(loop.get_free().value).value;
      loop.configure(fd, "/a", 0);
      loop.clr_fd(fd);  // sole opener on v6.5: detached at once
      loop.close(fd);
      w.mdev().write_create("0000:00:02.0", "t", "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
      detaches = loop_state->detaches().size();
      parents = mdev_state->parents_with("83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
    });
  });
  ASSERT_FALSE(r.failed()) << r.message;
  EXPECT_EQ(detaches, 1u);
  EXPECT_EQ(parents, std::vector<std::string>{"0000:00:02.0"});
}

TEST(Execution, UncheckedInvariantsAreListedWithTheResultAndNeverFailIt) {
  ExecutionResult r = run_sim([](Execution& ex, SimWorld&) {
    ex.unchecked("no leaked loop device", "not observable here");
    ex.spawn("idle", [] {});
  });
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.unchecked, std::vector<std::string>{"no leaked loop device: not observable here"});
}

// A world whose kernel runs the variant's models but hides its state, as a real host's does.
class BlindKernel final : public Kernel {
 public:
  explicit BlindKernel(Kernel& real) : real_(real) {}
  std::string choose(LoopKernel m) override { return real_.choose(m); }
  std::string choose(BlkbackDiskseq m) override { return real_.choose(m); }
  std::string choose(MdevCore m) override { return real_.choose(m); }
  std::string add_mdev_parent(std::string name, std::vector<std::string> types) override {
    return real_.add_mdev_parent(std::move(name), std::move(types));
  }
  const LoopKernelState* loop_state() override { return nullptr; }
  const MdevKernelState* mdev_state() override { return nullptr; }
  std::string unobservable() const override { return "hidden by the test"; }

 private:
  Kernel& real_;
};

class BlindWorld final : public World {
 public:
  explicit BlindWorld(SimWorld& sim) : sim_(sim), kernel_(sim.kernel()) {}
  std::string_view backend() const override { return "blind"; }
  XenStore& xenstore() override { return sim_.xenstore(); }
  LoopDevices& loop() override { return sim_.loop(); }
  BlockBackends& block_backends() override { return sim_.block_backends(); }
  MdevBus& mdev() override { return sim_.mdev(); }
  Kernel& kernel() override { return kernel_; }

 private:
  SimWorld& sim_;
  BlindKernel kernel_;
};

ExecutionResult run_variant(const char* scenario, const char* variant, bool blind) {
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  auto strategy = make_strategy(StrategyOptions{"dfs", 1, 3, 2});
  ExecutionResult last;
  for (std::uint64_t i = 0; strategy->has_more() && i < 2000; ++i) {
    strategy->begin_execution(i);
    ExecutionOptions options;
    options.max_steps = 2000;
    Execution ex(*strategy, stacks, options);
    SimWorld& sim = ex.make<SimWorld>(ex);
    World& world = blind ? static_cast<World&>(ex.make<BlindWorld>(sim)) : sim;
    registry.get(scenario).build(ex, world, variant);
    last = ex.run();
    strategy->end_execution(last.steps);
    if (last.failed()) break;
  }
  return last;
}

TEST(KernelObservation, AnInvariantThatCannotSeeTheKernelIsReportedUncheckedNotPassed) {
  // The simulator finds the duplicate UUID through the kernel's state.
  const ExecutionResult seen = run_variant("mdev-create-remove", "old-core-two-parents", false);
  ASSERT_TRUE(seen.failed());
  EXPECT_EQ(seen.check, "one device per UUID");
  EXPECT_TRUE(seen.unchecked.empty());
  // Without the state the same variant cannot fail those checks, and says so.
  const ExecutionResult blind = run_variant("mdev-create-remove", "old-core-two-parents", true);
  EXPECT_FALSE(blind.failed()) << blind.message;
  const auto listed = [&](const std::string& name) {
    return std::count(blind.unchecked.begin(), blind.unchecked.end(), name + ": hidden by the test") == 1;
  };
  EXPECT_TRUE(listed("one device per UUID"));
  EXPECT_TRUE(listed("no duplicate sysfs link"));
  EXPECT_TRUE(listed("EAGAIN only inside the creation gap"));
}

TEST(KernelObservation, LoopBlockScriptListsItsLoopInvariantsWhenBlind) {
  const ExecutionResult blind = run_variant("loop-block-script", "fixed", true);
  EXPECT_EQ(blind.unchecked,
            (std::vector<std::string>{"only a disk's own teardown detaches its loop device: hidden by the test",
                                      "no leaked loop device: hidden by the test"}));
}

TEST(Boot, OnlyTheSimulatorBootsADom0) {
  StackPool stacks;
  auto strategy = make_strategy(StrategyOptions{"random", 1, 3, 2});
  Execution ex(*strategy, stacks, ExecutionOptions{});
  SimWorld& sim = ex.make<SimWorld>(ex);
  BlindWorld blind(sim);
  EXPECT_NO_THROW(sim.boot());
  EXPECT_THROW(blind.boot(), ComponentUnavailable);
}

}  // namespace
}  // namespace xenrace
