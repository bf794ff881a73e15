// The public scenario API: one include, one macro, and a race is written.
//
//   #include <xenrace/scenario.hpp>
//
//   XENRACE_SCENARIO({
//       .name = "my-race",
//       .description = "what races, in one line",
//       .source = "the commit or thread it comes from",
//       .tags = {"xenstore"},
//       .variants = {{"buggy", xenrace::Expect::fail, "..."}, {"fixed", xenrace::Expect::pass, "..."}},
//       .params = {xenrace::integer_param("clients", 2, "how many clients race", 2, 8)},
//   }) {
//     // `race` (xenrace::Race&) is this execution: its world, its variant, its typed parameters.
//     auto& xs = race.world.xenstore();
//     for (int i = 0; i < race.param<int>("clients"); ++i)
//       race.spawn(fmt::format("client {}", i), [&race, &xs] { ... });
//     race.at_end("what must hold", [&] { return std::string(); /* "" holds, else what is wrong */ });
//   }
//
// Registration is the macro itself: no list to edit. Built into xenrace, a scenario is in every command; built
// into a shared library, `xenrace --load libmyraces.so explore my-race` finds it, and its replay tokens replay
// the same way. docs/writing-a-scenario.md builds one race step by step.
#pragma once
#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "runtime/execution.hpp"
#include "runtime/scenario.hpp"
#include "world/block_backend.hpp"
#include "world/boot.hpp"
#include "world/file_system.hpp"
#include "world/hypervisor.hpp"
#include "world/kernel.hpp"
#include "world/loop.hpp"
#include "world/mdev.hpp"
#include "world/pci.hpp"
#include "world/result.hpp"
#include "world/services.hpp"
#include "world/visible_op.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

// One execution of a scenario, as its build function sees it. It lives as long as the execution, so actors
// may capture it by reference.
class Race {
 public:
  Race(Execution& execution, World& w, std::string_view v, const ScenarioInfo& i)
      : ex(execution), world(w), variant(v), info(i) {}
  Race(const Race&) = delete;
  Race& operator=(const Race&) = delete;

  Execution& ex;
  World& world;
  const std::string_view variant;
  const ScenarioInfo& info;

  bool is(std::string_view v) const { return variant == v; }

  // The value of a declared parameter (ScenarioInfo::params): the one given with --param, else its default.
  // T is bool, std::string, or an integer type; the CLI has already checked the value against the declaration.
  template <class T>
  T param(std::string_view name) const {
    const ParamInfo* declared = info.param(name);
    if (declared == nullptr)
      throw std::logic_error("scenario " + info.name + " reads parameter '" + std::string(name) +
                             "' without declaring it in its params");
    const std::string* given = ex.param(name);
    const std::string& text = given ? *given : declared->default_value;
    if constexpr (std::is_same_v<T, bool>) {
      return text == "true" || text == "1";
    } else if constexpr (std::is_integral_v<T>) {
      T value{};
      auto [end, ec] = std::from_chars(text.data() + (text.starts_with('+') ? 1 : 0), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size())
        throw std::logic_error("parameter '" + std::string(name) + "' = '" + text + "' does not fit the type read");
      return value;
    } else {
      static_assert(std::is_constructible_v<T, const std::string&>, "param<T>: T is bool, an integer or a string");
      return T(text);
    }
  }

  // An actor: a process of the race (the run ends when every one has finished) or a daemon (runs as long as
  // there is work). A body returns void (throw to fail) or ActorStatus.
  template <class F>
  ActorId spawn(std::string name, F body) {
    return ex.spawn(std::move(name), std::move(body));
  }
  template <class F>
  ActorId daemon(std::string name, F body) {
    return ex.spawn_daemon(std::move(name), std::move(body));
  }

  // Invariants: a check returns "" when it holds, else what is wrong. `always` is checked after every step,
  // `at_end` once every process has finished.
  void always(std::string name, Execution::Check check) { ex.always(std::move(name), std::move(check)); }
  void at_end(std::string name, Execution::Check check) { ex.at_end(std::move(name), std::move(check)); }

  // An invariant this backend cannot observe (kernel-internal state on a real host): reported as not checked,
  // never as held.
  void unchecked(std::string name, std::string why) { ex.unchecked(std::move(name), std::move(why)); }

  // State shared by the actors, living as long as the execution.
  template <class T, class... A>
  T& make(A&&... args) {
    return ex.make<T>(std::forward<A>(args)...);
  }

  // From an actor: blocks until `condition()` holds (Execution::wait_until).
  bool wait_until(const std::function<bool()>& condition, std::string_view what, VirtualTime timeout = kForever) {
    return ex.wait_until(condition, what, timeout);
  }
};

using RaceBuild = std::function<void(Race&)>;

// A Scenario made of its description and a build function.
class DefinedScenario final : public Scenario {
 public:
  DefinedScenario(ScenarioInfo info, RaceBuild build) : info_(std::move(info)), build_(std::move(build)) {}
  const ScenarioInfo& info() const override { return info_; }
  void build(Execution& ex, World& world, std::string_view variant) const override {
    build_(ex.make<Race>(ex, world, variant, info_));
  }

 private:
  ScenarioInfo info_;
  RaceBuild build_;
};

// Registers a scenario when constructed (as a static object: XENRACE_SCENARIO, or by hand with a lambda:
// `static const xenrace::Registrar my_race{{.name = ...}, [](xenrace::Race& race) { ... }};`).
struct Registrar {
  Registrar(ScenarioInfo info, RaceBuild build) {
    register_scenario(std::make_shared<const DefinedScenario>(std::move(info), std::move(build)));
  }
};

// Registers a scenario written as a class (a Scenario subclass with a default constructor) when constructed:
// `static const xenrace::RegisterScenario<MyRace> registered;`. XENRACE_SCENARIO is shorter for most races.
template <class S>
struct RegisterScenario {
  RegisterScenario() { register_scenario(std::make_shared<const S>()); }
};

}  // namespace xenrace

#define XENRACE_SCENARIO_JOIN2(a, b) a##b
#define XENRACE_SCENARIO_JOIN(a, b) XENRACE_SCENARIO_JOIN2(a, b)
// XENRACE_SCENARIO({ .name = ..., .variants = ... }) { body using `race` }
// The fields left out of the designated initializer keep their defaults on purpose, so GCC's
// -Wmissing-field-initializers (in -Wextra) is quiet for the description alone.
#define XENRACE_SCENARIO(...)                                                                            \
  static void XENRACE_SCENARIO_JOIN(xenrace_build_, __LINE__)(::xenrace::Race & race);                  \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")    \
  static const ::xenrace::Registrar XENRACE_SCENARIO_JOIN(xenrace_registrar_, __LINE__){                \
      ::xenrace::ScenarioInfo __VA_ARGS__, &XENRACE_SCENARIO_JOIN(xenrace_build_, __LINE__)};            \
  _Pragma("GCC diagnostic pop")                                                                          \
  static void XENRACE_SCENARIO_JOIN(xenrace_build_, __LINE__)(::xenrace::Race & race)
