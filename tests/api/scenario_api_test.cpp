// The scenario API: what XENRACE_SCENARIO registers, typed parameters as the CLI checks and Race reads them,
// and the per-scenario search defaults.
#include <gtest/gtest.h>

#include <xenrace/scenario.hpp>

#include "harness/test_scenarios.hpp"
#include "runtime/strategy.hpp"

namespace xenrace {
namespace {

// Registered into the catalogue like any built-in, from this test binary.
XENRACE_SCENARIO({
    .name = "api-test-params",
    .description = "reads its typed parameters into the trace",
    .variants = {{"v", Expect::pass, "records what it read"}},
    .default_strategy = "random",
    .default_iterations = 7,
    .params = {integer_param("clients", 3, "how many", 2, 8), flag_param("slow", false, "a flag"),
               choice_param("lock", {"flock", "mkdir"}, "flock", "which lock"), text_param("name", "x", "a name")},
}) {
  note_event(race.ex, "read",
             std::to_string(race.param<int>("clients")) + " " + (race.param<bool>("slow") ? "slow" : "fast") + " " +
                 race.param<std::string>("lock") + " " + race.param<std::string>("name"),
             "OK");
  if (race.is("v")) race.spawn("one", [&race] { (void)race.param<int>("nosuch"); });
}

const Scenario& registered(std::string_view name) {
  const Scenario* s = scenario_catalogue().find(name);
  if (s == nullptr) throw std::runtime_error("not registered: " + std::string(name));
  return *s;
}

ExecutionResult run_once(const Scenario& s, Params params) {
  StackPool stacks;
  auto strategy = make_strategy(StrategyOptions{"random", 1, 3, 2});
  strategy->begin_execution(0);
  ExecutionOptions o = execution_options_for(s.info(), params, true);
  return run_execution(s, "v", testing::empty_world(), *strategy, stacks, o);
}

std::string first_event(const ExecutionResult& r) {
  for (const auto& e : r.events)
    if (e.op == "read") return e.args;
  return "";
}

TEST(ScenarioApi, TheMacroRegistersWithTheDescriptionGiven) {
  const ScenarioInfo& i = registered("api-test-params").info();
  EXPECT_EQ(i.description, "reads its typed parameters into the trace");
  EXPECT_EQ(i.default_strategy, "random");
  EXPECT_EQ(i.default_iterations, 7u);
  EXPECT_EQ(i.default_depth, 3u);  // left out: the default
}

TEST(ScenarioApi, BuiltinsRegisterThemselvesInTheirHistoricalOrder) {
  ScenarioRegistry r;
  register_builtin_scenarios(r);
  std::vector<std::string> names;
  for (const auto& s : r.all()) names.push_back(s->info().name);
  const std::vector<std::string> first{"demo-counter", "blkback-minor-reuse", "loop-block-script", "mdev-create-remove",
                                       "xenstored-boot-order", "pci-attach", "block-script-killed", "generated-workload"};
  ASSERT_GE(names.size(), first.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + first.size()), first);
}

TEST(ScenarioApi, ADuplicateNameIsRecordedNotRegistered) {
  const std::size_t before = scenario_catalogue().all().size();
  const std::size_t errors = scenario_catalogue_errors().size();
  ScenarioInfo info;
  info.name = "demo-counter";
  info.variants = {{"v", Expect::pass, ""}};
  register_scenario(std::make_shared<const DefinedScenario>(info, [](Race&) {}));
  EXPECT_EQ(scenario_catalogue().all().size(), before);
  ASSERT_EQ(scenario_catalogue_errors().size(), errors + 1);
  EXPECT_NE(scenario_catalogue_errors().back().find("'demo-counter' is registered twice"), std::string::npos);
  scenario_catalogue_errors().pop_back();
}

TEST(ScenarioApi, ParametersAreReadTypedWithTheirDefaults) {
  const ExecutionResult r = run_once(registered("api-test-params"), {});
  EXPECT_EQ(first_event(r), "3 fast flock x");
  const ExecutionResult given =
      run_once(registered("api-test-params"), {{"clients", "8"}, {"slow", "true"}, {"lock", "mkdir"}, {"name", "y z"}});
  EXPECT_EQ(first_event(given), "8 slow mkdir y z");
}

TEST(ScenarioApi, ReadingAnUndeclaredParameterFailsTheActor) {
  const ExecutionResult r = run_once(registered("api-test-params"), {});
  ASSERT_TRUE(r.failed());
  EXPECT_NE(r.message.find("reads parameter 'nosuch' without declaring it"), std::string::npos) << r.message;
}

TEST(ScenarioApi, ValuesAreCheckedAgainstTheDeclaration) {
  const ParamInfo n = integer_param("clients", 3, "", 2, 8);
  EXPECT_EQ(n.check("2"), "");
  EXPECT_EQ(n.check("+8"), "");
  EXPECT_EQ(n.check("9"), "9 is out of range [2, 8]");
  EXPECT_EQ(n.check("1"), "1 is out of range [2, 8]");
  EXPECT_EQ(n.check("0x3"), "'0x3' is not a decimal integer");
  EXPECT_EQ(n.check(""), "'' is not a decimal integer");
  EXPECT_EQ(n.check("3 "), "'3 ' is not a decimal integer");
  EXPECT_EQ(n.describe_values(), "integer in [2, 8], default 3");
  const ParamInfo f = flag_param("slow", false, "");
  EXPECT_EQ(f.check("true"), "");
  EXPECT_EQ(f.check("0"), "");
  EXPECT_EQ(f.check("yes"), "'yes' is not a boolean (true, false, 1 or 0)");
  const ParamInfo c = choice_param("lock", {"flock", "mkdir"}, "flock", "");
  EXPECT_EQ(c.check("mkdir"), "");
  EXPECT_EQ(c.check("fcntl"), "'fcntl' is not one of flock, mkdir");
  EXPECT_EQ(text_param("name", "", "").check("anything at all"), "");
  EXPECT_THROW(integer_param("n", 9, "", 2, 8), std::logic_error);
  EXPECT_THROW(choice_param("c", {"a"}, "b", ""), std::logic_error);
}

}  // namespace
}  // namespace xenrace
