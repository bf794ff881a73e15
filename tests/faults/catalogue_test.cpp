// The catalogue is a consistent constant table, and the params that switch points on parse as documented.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "faults/fault_catalogue.hpp"
#include "faults/fault_plan.hpp"

namespace xenrace {
namespace {

TEST(FaultCatalogue, RowsAreInEnumOrderWithUniqueNamesAndKnownErrors) {
  std::set<std::string_view> names;
  std::size_t i = 0;
  for (const auto& row : fault_catalogue()) {
    EXPECT_EQ(static_cast<std::size_t>(row.point), i++) << row.name;
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate " << row.name;
    EXPECT_NE(row.name.find('/'), std::string_view::npos) << "names read component/operation: " << row.name;
    EXPECT_FALSE(row.sim_site.empty()) << row.name;
    EXPECT_FALSE(row.real_source.empty()) << row.name;
    if (row.effect == FaultEffect::returns_error) {
      EXPECT_FALSE(row.errors.empty()) << row.name;
      for (Errno e : row.errors) EXPECT_STRNE(errno_name(e), "EUNKNOWN") << row.name << " errno " << e;
    } else {
      EXPECT_TRUE(row.errors.empty()) << row.name;
    }
    EXPECT_EQ(find_fault_point(row.name), row.point);
    EXPECT_EQ(&fault_info(row.point), &row);
  }
  EXPECT_FALSE(find_fault_point("xenstore/nonsense").has_value());
}

TEST(FaultCatalogue, ErrorSetsFollowTheRealComponents) {
  auto errors = [](FaultPoint p) {
    auto e = fault_info(p).errors;
    return std::vector<Errno>(e.begin(), e.end());
  };
  EXPECT_EQ(errors(FaultPoint::xenstore_transaction_end).front(), EAGAIN);  // the conflict comes first
  EXPECT_EQ(errors(FaultPoint::loop_configure).front(), EBUSY);             // someone else bound it
  EXPECT_EQ(fault_info(FaultPoint::actor_kill).effect, FaultEffect::kills_actor);
}

TEST(FaultPlan, ReadsTheFaultsListAndTheBound) {
  FaultPlan none = FaultPlan::from_params({});
  EXPECT_FALSE(none.any());
  EXPECT_FALSE(none.listed);
  EXPECT_EQ(none.max_faults, kDefaultMaxFaults);

  FaultPlan p = FaultPlan::from_params({{"faults", "loop/configure, xenstore/write,bogus"}, {"max-faults", "3"}});
  EXPECT_TRUE(p.listed);
  EXPECT_TRUE(p.enables(FaultPoint::loop_configure));
  EXPECT_TRUE(p.enables(FaultPoint::xenstore_write));
  EXPECT_FALSE(p.enables(FaultPoint::xenstore_transaction_end));
  EXPECT_EQ(p.max_faults, 3u);

  FaultPlan all = FaultPlan::from_params({{"faults", "all"}});
  for (const auto& row : fault_catalogue()) EXPECT_TRUE(all.enables(row.point)) << row.name;

  FaultPlan off = FaultPlan::from_params({{"faults", "none"}});
  EXPECT_TRUE(off.listed);
  EXPECT_FALSE(off.any());
}

TEST(FaultPlan, CommandLineListIsStrictAndBecomesParams) {
  EXPECT_THROW(parse_fault_list("loop/configure,loop/nonsense"), UsageError);
  EXPECT_THROW(parse_fault_list(""), UsageError);
  EXPECT_EQ(parse_fault_list("loop/configure,actor/kill"),
            (std::vector<FaultPoint>{FaultPoint::loop_configure, FaultPoint::actor_kill}));
  EXPECT_TRUE(parse_fault_list("none").empty());

  Params params{{"other", "x"}};
  add_fault_params(params, "xenstore/transaction_end", 4u);
  EXPECT_EQ(params, (Params{{"other", "x"}, {"faults", "xenstore/transaction_end"}, {"max-faults", "4"}}));
  Params untouched;
  add_fault_params(untouched, "", std::nullopt);
  EXPECT_TRUE(untouched.empty());
  EXPECT_THROW(add_fault_params(untouched, "xenstore/typo", std::nullopt), UsageError);
}

}  // namespace
}  // namespace xenrace
