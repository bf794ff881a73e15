#include "run/shard_merge.hpp"

#include <stdexcept>

namespace xenrace {

VariantReport merge_shards(const std::vector<VariantReport>& parts) {
  if (parts.empty()) throw std::logic_error("merge_shards: no parts");
  const VariantReport& head = parts.front();
  VariantReport r;
  r.scenario = head.scenario;
  r.variant = head.variant;
  r.expect = head.expect;
  r.strategy = head.strategy;
  r.seed = head.seed;
  r.exhaustive = head.exhaustive;
  r.scope = head.scope;
  r.shard_index = head.shard_index;
  r.shard_count = head.shard_count;
  r.first_index = head.first_index;
  r.verifying = head.verifying;
  r.not_modelled = head.not_modelled;
  r.exhausted = true;
  const VariantReport* witness = nullptr;
  for (const VariantReport& p : parts) {
    r.executions += p.executions;
    r.pruned += p.pruned;
    r.steps += p.steps;
    r.budget += p.budget;
    r.unbounded_unfinished_after += p.unbounded_unfinished_after;
    r.exhausted = r.exhausted && p.exhausted;
    r.trace_hash += p.trace_hash;
    if (!p.skipped.empty() && r.skipped.empty()) r.skipped = p.skipped;
    if (p.failed && !witness) witness = &p;
    if (p.busiest_pass && (!r.busiest_pass || busier_pass(*p.busiest_pass, *r.busiest_pass))) r.busiest_pass = p.busiest_pass;
  }
  if (!witness || !r.skipped.empty()) return r;
  r.failed = true;
  r.busiest_pass.reset();
  r.first_failure_steps = witness->first_failure_steps;
  r.shrink_runs = witness->shrink_runs;
  r.shrink_budget = witness->shrink_budget;
  r.shrink_cut_short = witness->shrink_cut_short;
  r.fewer = witness->fewer;
  r.also_fails = witness->also_fails;
  r.count_runs = witness->count_runs;
  r.replay = witness->replay;
  r.message = witness->message;
  r.failure = witness->failure;
  r.trace_hash = witness->trace_hash;
  return r;
}

}  // namespace xenrace
