// dfs(preemption bound): systematic depth-first enumeration of every schedule with at most `bound`
// preemptions (Musuvathi & Qadeer's iterative context bounding). Stateless: each execution replays
// the path prefix chosen so far and extends it with first options; afterwards the deepest frame with an
// untried option is advanced. has_more() turns false when the tree is exhausted, so a fixed variant
// that passes under dfs passes for every schedule within the bound.
#pragma once
#include <string>
#include <vector>

#include "runtime/strategy.hpp"

namespace xenrace {

class DfsStrategy final : public Strategy {
 public:
  explicit DfsStrategy(unsigned preemption_bound) : bound_(preemption_bound) {}
  std::string_view name() const override { return "dfs"; }
  void begin_execution(std::uint64_t index) override;
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override;
  void end_execution(std::uint64_t steps) override;
  bool has_more() const override { return !exhausted_; }
  bool exhaustive() const override { return true; }
  std::string scope() const override { return "bound " + std::to_string(bound_); }

 private:
  struct Frame {
    std::uint32_t chosen;       // option ordinal; 0 is the default (non-preemptive / value 0)
    std::uint32_t options;
    bool preempting;            // options > 0 cost a preemption
    std::uint32_t preemptions;  // preemptions spent before this frame
  };
  std::uint32_t next_ordinal(std::uint32_t options, bool preempting);

  unsigned bound_;
  std::vector<Frame> path_;
  std::size_t pos_ = 0;
  std::uint32_t spent_ = 0;
  bool exhausted_ = false;
};

}  // namespace xenrace
