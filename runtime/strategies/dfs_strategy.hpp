// dfs(preemption bound): systematic depth-first enumeration of every schedule with at most `bound`
// preemptions (Musuvathi & Qadeer's context bounding, at one bound; the iterative form, bounds 0, 1, 2, ...
// in turn, is explore --verify's, over bounded dpor: run/explorer.hpp). Stateless: each execution replays
// the path prefix chosen so far and extends it with first options; afterwards the deepest frame with an
// untried option is advanced. has_more() turns false when the tree is exhausted, so a fixed variant
// that passes under dfs passes for every schedule within the bound.
//
// Sharding (--shard K/N, shard_index = K-1): the tree splits at its first node with more than one option
// (every execution reaches that node by the same forced prefix). Shard K explores only the options at that
// node whose ordinal o (0 = the default pick, then the other runnable actors in id order, or the value)
// has o ≡ K-1 (mod N) and that the bound allows; below the split nothing changes. The subtrees under
// distinct options are disjoint and the unsharded search explores exactly the union of them, so the N
// shards' executions are exactly the unsharded tree's, each in one shard. A tree with no such node (one
// execution) belongs to shard 1. A shard whose part is empty still runs the one execution that finds the
// split, answers execution_in_shard() false for it, and is then exhausted.
#pragma once
#include <string>
#include <vector>

#include "runtime/strategy.hpp"

namespace xenrace {

class DfsStrategy final : public Strategy {
 public:
  explicit DfsStrategy(unsigned preemption_bound, unsigned shard_index = 0, unsigned shard_count = 1)
      : bound_(preemption_bound), shard_index_(shard_index), shard_count_(shard_count ? shard_count : 1) {}
  std::string_view name() const override { return "dfs"; }
  void begin_execution(std::uint64_t index) override;
  ActorId pick_actor(const PickContext& ctx) override;
  std::uint32_t pick_value(std::uint32_t n, ChoiceKind kind) override;
  void end_execution(std::uint64_t steps) override;
  bool has_more() const override { return !exhausted_; }
  bool exhaustive() const override { return true; }
  std::string scope() const override { return "bound " + std::to_string(bound_); }
  bool execution_in_shard() const override { return in_shard_; }

 private:
  struct Frame {
    std::uint32_t chosen;       // option ordinal; 0 is the default (non-preemptive / value 0)
    std::uint32_t options;
    bool preempting;            // options > 0 cost a preemption
    std::uint32_t preemptions;  // preemptions spent before this frame
    bool split;                 // the shard split: advances by shard_count_
  };
  std::uint32_t next_ordinal(std::uint32_t options, bool preempting);
  bool allowed(const Frame& f, std::uint32_t ordinal) const {
    return ordinal < f.options && (ordinal == 0 || !f.preempting || f.preemptions + 1 <= bound_);
  }

  unsigned bound_;
  unsigned shard_index_;
  unsigned shard_count_;
  std::vector<Frame> path_;
  std::size_t pos_ = 0;
  std::uint32_t spent_ = 0;
  bool exhausted_ = false;
  bool split_seen_ = false;  // some frame of the path is (or was) the split
  bool in_shard_ = true;     // the execution under way (or just ended) is part of this shard
};

}  // namespace xenrace
