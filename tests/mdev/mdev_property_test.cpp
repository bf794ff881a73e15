// Properties over generated concurrent create/remove programs, each run under a seeded random schedule.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/sim/mdev/sim_mdev_bus.hpp"
#include "sim_run.hpp"

namespace xenrace {
namespace {

const char* const kUuids[] = {"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"};
const char* const kParents[] = {"0000:00:02.0", "0000:00:03.0"};
constexpr const char* kMttyType = "mtty-2";

struct Op {
  bool create;
  int parent;
  int uuid;
};

// Runs the programs concurrently; fails the execution when a UUID has devices under two parents or the
// kernel warned about a duplicate sysfs name.
ExecutionResult run_programs(MdevCore core, const std::vector<std::vector<Op>>& programs, std::uint64_t seed) {
  StrategyOptions so;
  so.name = "random";
  so.seed = seed;
  auto strategy = make_strategy(so);
  strategy->begin_execution(0);
  return testing::run_sim(
      [&](Execution& ex, SimWorld& w) {
        SimMdevBus& bus = w.sim_mdev();
        bus.set_core(core);
        for (const char* p : kParents) bus.add_parent(p, {kMttyType});
        for (std::size_t a = 0; a < programs.size(); ++a) {
          ex.spawn(fmt::format("writer {}", a), [&bus, &program = programs[a]] {
            for (const Op& op : program) {
              if (op.create) bus.write_create(kParents[op.parent], kMttyType, kUuids[op.uuid]);
              else bus.write_remove(kUuids[op.uuid], "1");
            }
          });
        }
        ex.always("one device per UUID", [&bus] {
          for (const char* u : kUuids)
            if (bus.parents_with(u).size() > 1) return fmt::format("{} lives under two parents", u);
          if (!bus.kernel_warnings().empty()) return bus.kernel_warnings().front();
          return std::string();
        });
      },
      *strategy, false);
}

rc::Gen<Op> gen_op() {
  return rc::gen::map(rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 2), rc::gen::inRange(0, 2)),
                      [](const std::tuple<bool, int, int>& t) { return Op{std::get<0>(t), std::get<1>(t), std::get<2>(t)}; });
}

RC_GTEST_PROP(MdevProperty, GlobalCoreNeverHasAUuidLiveTwice, ()) {
  const int writers = *rc::gen::inRange(2, 4);
  std::vector<std::vector<Op>> programs;
  for (int i = 0; i < writers; ++i)
    programs.push_back(*rc::gen::container<std::vector<Op>>(*rc::gen::inRange(1, 5), gen_op()));
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  ExecutionResult r = run_programs(MdevCore::global_list, programs, seed);
  RC_ASSERT(!r.failed());
}

TEST(MdevProperty, PerParentCoreBreaksItUnderSomeSchedule) {
  // Two writers create the same UUID on different parents: the per-parent check cannot see it.
  const std::vector<std::vector<Op>> programs = {{{true, 0, 0}}, {{true, 1, 0}}};
  int failures = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed)
    if (run_programs(MdevCore::per_parent_lock, programs, seed).failed()) ++failures;
  EXPECT_GT(failures, 0);
  // And the same programs never fail on the global core.
  for (std::uint64_t seed = 1; seed <= 200; ++seed)
    EXPECT_FALSE(run_programs(MdevCore::global_list, programs, seed).failed()) << "seed " << seed;
}

}  // namespace
}  // namespace xenrace
