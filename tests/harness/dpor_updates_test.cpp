// Updates and ordered reads in dpor (runtime/footprint.hpp): appends to a list commute with each other but
// not with a read of it, and only an ordered read (the list in order) tells two appends' orders apart. The
// reference is every interleaving (dfs without a bound, or with the same preemption bound): over random
// programs of appends, ordered and unordered reads and clears of a few lists, dpor must reach every outcome
// (what every read answered, and each list's final contents as a set, which is all the end state shows
// without an ordered read), and never run more executions.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/execution.hpp"
#include "runtime/strategies/dfs_strategy.hpp"
#include "runtime/strategies/dpor_strategy.hpp"

namespace xenrace {
namespace {

// global_look declares nothing, so its step is global: it reads both lists in order, as an undeclared step
// (a process actor's) may.
enum class ListOp { append, read_in_order, read_size, clear, global_look };
struct Step {
  ListOp op;
  int list;  // 0..1
};
using ListProgram = std::vector<std::vector<Step>>;

AccessMode list_access_mode(ListOp op) {
  switch (op) {
    case ListOp::append: return AccessMode::update;
    case ListOp::read_in_order: return AccessMode::read_order;
    case ListOp::read_size: return AccessMode::read;
    case ListOp::clear:
    case ListOp::global_look: return AccessMode::write;
  }
  return AccessMode::write;
}

struct ListRun {
  std::set<std::string> outcomes;
  std::uint64_t executions = 0;
};

ListRun run_lists(const ListProgram& program, Strategy& strategy) {
  StackPool stacks;
  ListRun out;
  for (std::uint64_t i = 0; strategy.has_more() && i < 200000; ++i, ++out.executions) {
    strategy.begin_execution(i);
    std::vector<std::vector<std::string>> lists(2);
    std::vector<std::string> said(program.size());
    ExecutionResult r;
    {
      Execution ex(strategy, stacks, ExecutionOptions{});
      for (std::size_t a = 0; a < program.size(); ++a)
        ex.spawn(fmt::format("actor {}", a), [&ex, &lists, &said, &program, a] {
          int k = 0;
          for (const Step& s : program[a]) {
            ex.before_visible();
            if (s.op != ListOp::global_look) {
              ex.sched().declare_footprint();
              ex.sched().access(object_key('l', static_cast<std::uint64_t>(s.list)), list_access_mode(s.op));
            }
            std::vector<std::string>& list = lists[static_cast<std::size_t>(s.list)];
            switch (s.op) {
              case ListOp::append: list.push_back(fmt::format("{}.{}", a, k)); break;
              case ListOp::read_in_order: said[a] += fmt::format("[{}]", fmt::join(list, " ")); break;
              case ListOp::read_size: said[a] += fmt::format("#{}", list.size()); break;
              case ListOp::clear: list.clear(); break;
              case ListOp::global_look: said[a] += fmt::format("<{}|{}>", fmt::join(lists[0], " "), fmt::join(lists[1], " ")); break;
            }
            ++k;
          }
        });
      r = ex.run();
    }
    strategy.end_execution(r.steps);
    if (r.pruned) continue;
    std::string end;
    for (auto list : lists) {  // as a set: the order shows only through an ordered read
      std::sort(list.begin(), list.end());
      end += fmt::format("{{{}}}", fmt::join(list, " "));
    }
    out.outcomes.insert(fmt::format("{} | {}", fmt::join(said, " / "), end));
  }
  EXPECT_FALSE(strategy.has_more()) << "the search did not finish";
  return out;
}

// Three appends to one list that nobody reads: one execution, where writes would need six.
TEST(DporUpdates, AppendsNobodyReadsInOrderAreOneExecution) {
  const ListProgram p = {{{ListOp::append, 0}}, {{ListOp::append, 0}}, {{ListOp::append, 0}}};
  DporStrategy dpor;
  EXPECT_EQ(run_lists(p, dpor).executions, 1u);
}

// What every interleaving reaches (dfs without a bound), and what dpor does.
struct ListComparison {
  ListRun every, dpor;
};
ListComparison compare_lists(const ListProgram& p) {
  DfsStrategy every(1000);
  DporStrategy dpor;
  ListComparison c;
  c.every = run_lists(p, every);
  c.dpor = run_lists(p, dpor);
  return c;
}

// A step that declares nothing may see the order of any updates before it.
TEST(DporUpdates, AGlobalStepSeesBothOrdersOfTwoAppends) {
  const ListComparison c = compare_lists({{{ListOp::append, 0}}, {{ListOp::append, 0}}, {{ListOp::global_look, 0}}});
  EXPECT_EQ(c.dpor.outcomes, c.every.outcomes);
  EXPECT_TRUE(c.dpor.outcomes.count(" /  / <1.0 0.0|> | {0.0 1.0}{}")) << fmt::format("{}", fmt::join(c.dpor.outcomes, "\n"));
}

// An ordered read after two appends sees both orders; an unordered one only how many came before it.
TEST(DporUpdates, AnOrderedReadSeesBothOrdersOfTwoAppends) {
  const ListComparison ordered = compare_lists({{{ListOp::append, 0}}, {{ListOp::append, 0}}, {{ListOp::read_in_order, 0}}});
  EXPECT_EQ(ordered.dpor.outcomes, ordered.every.outcomes);
  const std::string seen = fmt::format("{}", fmt::join(ordered.dpor.outcomes, "\n"));
  EXPECT_TRUE(ordered.dpor.outcomes.count(" /  / [0.0 1.0] | {0.0 1.0}{}")) << seen;
  EXPECT_TRUE(ordered.dpor.outcomes.count(" /  / [1.0 0.0] | {0.0 1.0}{}")) << seen;
  const ListComparison sized = compare_lists({{{ListOp::append, 0}}, {{ListOp::append, 0}}, {{ListOp::read_size, 0}}});
  EXPECT_EQ(sized.dpor.outcomes, sized.every.outcomes);
  EXPECT_LT(sized.dpor.executions, sized.every.executions);
}

std::string describe_lists(const ListProgram& p) {
  static const char* const kNames[] = {"append", "read_in_order", "read_size", "clear", "global_look"};
  std::string out;
  for (std::size_t a = 0; a < p.size(); ++a) {
    out += fmt::format("actor {}:", a);
    for (const Step& s : p[a]) out += fmt::format(" {} l{}", kNames[static_cast<int>(s.op)], s.list);
    out += "\n";
  }
  return out;
}

ListProgram random_list_program() {
  const int actors = *rc::gen::inRange(2, 4);
  ListProgram p(static_cast<std::size_t>(actors));
  for (auto& steps : p) {
    const int n = *rc::gen::inRange(1, actors == 2 ? 5 : 4);
    for (int k = 0; k < n; ++k)
      steps.push_back(Step{static_cast<ListOp>(*rc::gen::inRange(0, 5)), *rc::gen::inRange(0, 2)});
  }
  return p;
}

RC_GTEST_PROP(DporUpdates, RandomProgramsReachEveryOutcome, ()) {
  const ListProgram p = random_list_program();
  RC_LOG() << describe_lists(p);
  const ListComparison c = compare_lists(p);
  for (const std::string& o : c.every.outcomes)
    if (!c.dpor.outcomes.count(o)) RC_LOG() << "missed: " << o << "\n";
  RC_ASSERT(c.dpor.outcomes == c.every.outcomes);
  RC_ASSERT(c.dpor.executions <= c.every.executions);
}

RC_GTEST_PROP(DporUpdates, BoundedRandomProgramsReachWhatBoundedDfsReaches, ()) {
  const ListProgram p = random_list_program();
  const auto bound = static_cast<unsigned>(*rc::gen::inRange(0, 3));
  RC_LOG() << describe_lists(p) << "bound " << bound << "\n";
  DfsStrategy dfs(bound);
  DporStrategy dpor(0, 1, bound);
  const ListRun reference = run_lists(p, dfs);
  const ListRun got = run_lists(p, dpor);
  RC_ASSERT(got.outcomes == reference.outcomes);
  RC_ASSERT(got.executions <= reference.executions);
}

}  // namespace
}  // namespace xenrace
