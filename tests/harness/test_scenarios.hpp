// Small scenarios built inside tests, to drive the runtime through exact situations.
#pragma once
#include <functional>
#include <string>

#include "run/explorer.hpp"
#include "runtime/scenario.hpp"
#include "world/world.hpp"

namespace xenrace::testing {

// A World with nothing in it: runtime tests need no Xen component.
class EmptyWorld final : public World {
 public:
  std::string_view backend() const override { return "test"; }
  XenStore& xenstore() override { throw ComponentUnavailable("no XenStore in the runtime tests"); }
};

inline WorldFactory empty_world() {
  return [](Execution& ex) -> World& { return ex.make<EmptyWorld>(); };
}

// A scenario whose build is a lambda: variant "v", expect as given.
class LambdaScenario final : public Scenario {
 public:
  using Build = std::function<void(Execution&, std::string_view variant)>;
  LambdaScenario(std::string name, Build build, Expect expect = Expect::fail) : build_(std::move(build)) {
    info_.name = std::move(name);
    info_.variants = {{"v", expect, "test"}};
    info_.default_iterations = 100;
    info_.max_steps = 1000;
  }
  const ScenarioInfo& info() const override { return info_; }
  void build(Execution& ex, World&, std::string_view variant) const override { build_(ex, variant); }
  ScenarioInfo& mutable_info() { return info_; }

 private:
  ScenarioInfo info_;
  Build build_;
};

// Two actors each taking `steps` visible no-op steps; records the order in which they ran.
void spawn_steppers(Execution& ex, int actors, int steps, std::string* order);

}  // namespace xenrace::testing
