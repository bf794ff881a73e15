// How fast does exploration find each buggy variant's race? For every variant expected to fail, and for
// the random and pct strategies, explore with seeds 1..20 (no shrinking) and report the median number of
// executions and of wall-clock milliseconds to the first failure. Prints a Markdown table.
//
// Usage: first_failure_bench [--seeds N] [--budget N] [scenario...]
// Without names, the simulator's scenarios: those tagged "process" run real programs, a fraction of a second
// an execution, and a budget that random does not find within would take hours. Name one to include it.
// Wall-clock time is measured here, outside the simulation; it never feeds into a decision.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "backends/sim/sim_world.hpp"
#include "run/explorer.hpp"

namespace {

template <class T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? T{} : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace xenrace;
  int seeds = 20;
  std::uint64_t budget = 100000;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) seeds = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--budget") && i + 1 < argc) budget = std::strtoull(argv[++i], nullptr, 10);
    else only.emplace_back(argv[i]);
  }
  ScenarioRegistry registry;
  register_builtin_scenarios(registry);
  StackPool stacks;
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };

  std::printf("| scenario/variant | strategy | found (of %d seeds) | median executions | median ms |\n", seeds);
  std::printf("| --- | --- | --- | --- | --- |\n");
  for (const auto& s : registry.all()) {
    const auto& tags = s->info().tags;
    if (only.empty() ? std::find(tags.begin(), tags.end(), "process") != tags.end()
                     : std::find(only.begin(), only.end(), s->info().name) == only.end())
      continue;
    for (const auto& v : s->info().variants) {
      if (v.expect != Expect::fail) continue;
      for (const char* strategy : {"random", "pct"}) {
        std::vector<std::uint64_t> executions;
        std::vector<double> millis;
        int found = 0;
        for (int seed = 1; seed <= seeds; ++seed) {
          ExploreOptions o;
          o.strategy.name = strategy;
          o.strategy.seed = static_cast<std::uint64_t>(seed);
          o.iterations = budget;
          o.shrink = false;
          const auto start = std::chrono::steady_clock::now();
          VariantReport r = explore_variant(*s, v, world, o, stacks);
          const auto end = std::chrono::steady_clock::now();
          if (!r.failed) continue;
          ++found;
          executions.push_back(r.executions);
          millis.push_back(std::chrono::duration<double, std::milli>(end - start).count());
        }
        std::printf("| %s/%s | %s | %d | %llu | %.2f |\n", s->info().name.c_str(), v.name.c_str(), strategy, found,
                    static_cast<unsigned long long>(median(executions)), median(millis));
      }
    }
  }
  return 0;
}
