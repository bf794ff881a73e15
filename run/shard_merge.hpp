// The shards of one search as one report: `xenrace merge` over the results.json of `explore --shard K/N`,
// and `explore --jobs N` splitting one variant's search over its workers, put shards together by one rule.
#pragma once
#include <vector>

#include "run/explorer.hpp"

namespace xenrace {

// `parts` in shard order, all of one variant searched with the same strategy and scope. Executions, pruned
// repeats, steps and budgets add up; an exhaustive search is exhausted only when every part is; the first
// part that could not run makes the whole skipped; a failure takes the lowest failing part's witness (its
// token, message and, when the part kept it, its failing execution); a pass takes the busiest pass of all
// (busier_pass). The trace hash of a pass is the sum of the parts' (see VariantReport::trace_hash), so
// shards that ran the unsharded search's executions merge to its hash. Shard fields are the first part's.
VariantReport merge_shards(const std::vector<VariantReport>& parts);

}  // namespace xenrace
