// One budget of executions that the forked workers of a split search spend together (explore --jobs N on one
// variant: run/explorer.cpp), in memory shared across fork.
//
// It is handed out in rounds, so that what each worker runs does not depend on timing: each round gives every
// worker still searching an equal share of what is left; a worker that has used its share waits for the round
// to end; a worker whose part of the search ends gives back what it did not use. What a worker is given
// depends only on what the workers used in earlier rounds, and that only on what they were given, so a split
// search runs the same executions on every run. It finishes exactly when every execution it needs fits in
// the budget, as one process's search does.
#pragma once
#include <cstddef>
#include <cstdint>

namespace xenrace {

class SharedBudget {
 public:
  // Throws std::runtime_error when the shared memory cannot be mapped.
  SharedBudget(std::uint64_t total, unsigned parts);
  ~SharedBudget();
  SharedBudget(const SharedBudget&) = delete;
  SharedBudget& operator=(const SharedBudget&) = delete;

  // Called by the worker of `part` before each execution: true when it may run one; false when the budget
  // is spent or the search was stopped. May wait for the other workers to end their round.
  bool take(unsigned part);
  // The execution the worker of `part` last took turned out to lie in another part (it only found where the
  // search splits): it does not count, as it would not in one process's search.
  void give_back(unsigned part);
  // The worker of `part` is done searching (its part ended, or take said no): it takes no further share.
  void finished(unsigned part);
  // A worker found a failure: every worker stops at its next execution, since the one-process search is
  // run again for its witness.
  void stop();

  std::uint64_t total() const { return total_; }
  // Executions given out so far and not given back: for a progress line only (read without the lock).
  std::uint64_t given() const;

 private:
  struct Shared;
  struct Part;
  void end_round_locked();
  Shared* shared_;
  Part* parts_;
  std::size_t bytes_;
  std::uint64_t total_;
  unsigned count_;
};

}  // namespace xenrace
