// How often does PCT hit a bug of known depth? Burckhardt et al. (ASPLOS 2010) prove that one PCT execution
// finds a bug of depth d with probability at least 1/(n·k^(d-1)), for n actors and k steps in all. This
// program builds synthetic programs whose only bug has a known depth, runs PCT at that depth over many seeds
// and executions, and prints the measured hit rate (failing executions / executions) next to the bound.
//
// The programs: n actors (A, B, then bystanders C, D...), each taking s visible steps that do nothing but
// record their order; k = n·s. With p = s/2, the bug is an ordering of A's and B's steps:
//   d = 1: B's first step comes before every other actor's first step;
//   d = 2: B's first step falls between A's steps p and p+1 (a_p < b_1 < a_{p+1});
//   d = 3: as d = 2, and A's step p+1 comes before B's second step (a_p < b_1 < a_{p+1} < b_2).
// Each needs exactly d ordering constraints (the paper's depth); bystanders add steps and actors, not
// constraints.
//
// Usage: pct_depth_bench [--seeds N] [--executions N]   (defaults 10 and 10000 executions per seed)
// It prints counts only; nothing is timed, so the figures are the same on every machine.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "runtime/execution.hpp"
#include "runtime/strategies/pct_strategy.hpp"

namespace {

using namespace xenrace;

struct Program {
  int actors;  // n
  int steps;   // s, per actor
  int depth;   // d
};

// The position in `order` of actor `actor`'s step `index` (order holds (actor, index) as they ran).
std::size_t position(const std::vector<std::pair<int, int>>& order, int actor, int index) {
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i].first == actor && order[i].second == index) return i;
  return order.size();
}

// Whether the execution that ran in `order` has the bug of program `p`.
bool has_bug(const Program& p, const std::vector<std::pair<int, int>>& order) {
  constexpr int a = 0, b = 1;
  const int mid = p.steps / 2;  // A's step p (1-based) is index mid - 1
  const std::size_t b1 = position(order, b, 0);
  switch (p.depth) {
    case 1:
      for (int x = 0; x < p.actors; ++x)
        if (x != b && position(order, x, 0) < b1) return false;
      return true;
    case 2:
      return position(order, a, mid - 1) < b1 && b1 < position(order, a, mid);
    default:
      return position(order, a, mid - 1) < b1 && b1 < position(order, a, mid) &&
             position(order, a, mid) < position(order, b, 1);
  }
}

// One execution of program `p` under `strategy` (already begun).
ExecutionResult run_once(const Program& p, Strategy& strategy, StackPool& stacks) {
  ExecutionOptions options;
  options.max_steps = 10000;
  Execution ex(strategy, stacks, options);
  auto& order = ex.make<std::vector<std::pair<int, int>>>();
  for (int x = 0; x < p.actors; ++x) {
    ex.spawn(std::string(1, static_cast<char>('A' + x)), [&ex, &order, x, steps = p.steps] {
      for (int i = 0; i < steps; ++i) {
        ex.before_visible();
        order.emplace_back(x, i);
        ex.record("step", std::to_string(i), "OK");
      }
    });
  }
  ex.at_end("no bad ordering", [&order, p] { return has_bug(p, order) ? std::string("the bug's ordering") : ""; });
  return ex.run();
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 10;
  std::uint64_t executions = 10000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) {
      seeds = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--executions") && i + 1 < argc) {
      executions = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: pct_depth_bench [--seeds N] [--executions N]\n");
      return 2;
    }
  }
  StackPool stacks;
  std::printf("PCT at depth d on a bug of depth d: %d seeds x %llu executions per program\n\n", seeds,
              static_cast<unsigned long long>(executions));
  std::printf("| d | n actors | steps each | k | hits / executions | measured rate ± 2σ | bound 1/(n·k^(d-1)) | "
              "measured / bound |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (int depth = 1; depth <= 3; ++depth) {
    for (int actors : {2, 3, 4}) {
      for (int steps : {4, 8}) {
        const Program p{actors, steps, depth};
        std::uint64_t hits = 0, total = 0, k = 0;
        for (int seed = 1; seed <= seeds; ++seed) {
          PctStrategy pct(static_cast<std::uint64_t>(seed), static_cast<unsigned>(depth));
          for (std::uint64_t i = 0; i < executions; ++i) {
            pct.begin_execution(i);
            ExecutionResult r = run_once(p, pct, stacks);
            pct.end_execution(r.steps);
            k = std::max(k, r.steps);
            ++total;
            if (r.failed()) {
              if (r.check != "no bad ordering") {
                std::fprintf(stderr, "unexpected failure: %s: %s\n", r.check.c_str(), r.message.c_str());
                return 1;
              }
              ++hits;
            }
          }
        }
        const double rate = static_cast<double>(hits) / static_cast<double>(total);
        // Two standard errors of a proportion: the sampling noise of the measured rate.
        const double noise = 2 * std::sqrt(rate * (1 - rate) / static_cast<double>(total));
        const double bound = 1.0 / (actors * std::pow(static_cast<double>(k), depth - 1));
        std::printf("| %d | %d | %d | %llu | %llu / %llu | %.5f ± %.5f | %.5f | %.2f |\n", depth, actors, steps,
                    static_cast<unsigned long long>(k), static_cast<unsigned long long>(hits),
                    static_cast<unsigned long long>(total), rate, noise, bound, rate / bound);
      }
    }
  }
  return 0;
}
