#include "runtime/strategies/dpor_strategy.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/state_key.hpp"

namespace xenrace {

namespace {

// An unconditional store of the maximum, so the compiler vectorises it: joins run several times a step.
void join(std::array<std::uint32_t, kMaxActors>& into, const std::array<std::uint32_t, kMaxActors>& from) {
  for (std::size_t a = 0; a < kMaxActors; ++a) into[a] = std::max(into[a], from[a]);
}

bool conflict(const Access* a, const Access* a_end, const Access* b, const Access* b_end) {
  for (const Access* x = a; x != a_end; ++x)
    for (const Access* y = b; y != b_end; ++y)
      if (x->object == y->object && conflicting(x->mode, y->mode)) return true;
  return false;
}

// Replaces `actor`'s entry, or adds one: only each actor's last access of a kind can race with a later one.
void keep_last(std::vector<std::pair<ActorId, std::uint32_t>>& list, ActorId actor, std::uint32_t index) {
  for (auto& [who, at] : list)
    if (who == actor) {
      at = index;
      return;
    }
  list.emplace_back(actor, index);
}

}  // namespace

void DporStrategy::Footprint::merge(bool g, const Access* begin, const Access* end) {
  global = global || g;
  for (const Access* a = begin; a != end; ++a) {
    bool found = false;
    for (Access& mine : accesses)
      if (mine.object == a->object) {
        mine.mode = merged(mine.mode, a->mode);
        found = true;
        break;
      }
    if (!found) accesses.push_back(*a);
  }
}

void DporStrategy::Node::reset() {
  enabled = 0;
  current = kNoActor;
  spent = 0;
  chosen = kNoActor;
  backtrack = 0;
  done = 0;
  asleep.clear();
  chosen_footprint.global = false;
  chosen_footprint.accesses.clear();
  chosen_continues = false;
  values.clear();
}

DporStrategy::DporStrategy(unsigned shard_index, unsigned shard_count, std::optional<unsigned> preemption_bound,
                           bool state_cache)
    : shard_index_(shard_index), shard_count_(shard_count == 0 ? 1 : shard_count), bound_(preemption_bound),
      state_cache_(state_cache) {}

ActorMask DporStrategy::within_bound(const Node& n, ActorMask m) const {
  if (!bound_) return m;
  ActorMask allowed = 0;
  for (; m; m &= m - 1)
    if (const ActorId x = lowest_actor(m); n.spent + cost(n, x) <= *bound_) allowed |= actor_bit(x);
  return allowed;
}

// Whether an explored actor may sleep for its later siblings at n. Unbounded, always. Bounded, a sleeper
// stands for the executions that run its step later, after steps independent of it; its sibling holds them
// with the step moved back to n, and that schedule must fit the bound as well as the one it stands for.
// Moving it back costs nothing more when it was the running actor at n (the sibling keeps it running, the
// other order preempted it), or when it could not go on right after its step (switching away is free);
// otherwise the moved schedule may need one preemption more, and the actor stays awake.
bool DporStrategy::may_sleep(const Node& n) const {
  return !bound_ || n.chosen == n.current || !n.chosen_continues;
}

DporStrategy::Node& DporStrategy::node(std::size_t i) {
  if (i >= nodes_.size()) nodes_.resize(i + 1);
  nodes_[i].reset();
  return nodes_[i];
}

ActorMask DporStrategy::sleep_mask(const Node& n) const {
  ActorMask m = 0;
  for (const Sleeper& s : n.asleep) m |= actor_bit(s.actor);
  return m;
}

bool DporStrategy::happens_before(std::uint32_t i, const Clock& later) const {
  const Event& e = events_[i];
  return later[e.actor] >= e.local + 1;
}

bool DporStrategy::independent(const Sleeper& s, const Event& e) const {
  if (s.actor == e.actor || s.footprint.global || e.global || e.after_timeout) return false;
  return !conflict(s.footprint.accesses.data(), s.footprint.accesses.data() + s.footprint.accesses.size(),
                   accesses_.data() + e.begin, accesses_.data() + e.end);
}

// Sleep(E.e) = { q in Sleep(E) | q's step independent of e }: what slept before the parent's step, and the
// parent's explored siblings, stay asleep while what runs does not touch what their step touches.
void DporStrategy::inherit_sleepers(std::size_t j) {
  if (j == 0) return;
  const Node& parent = nodes_[j - 1];
  const Event& e = events_[j - 1];
  Node& n = nodes_[j];
  for (const Sleeper& s : parent.asleep)
    if (independent(s, e)) n.asleep.push_back(s);
}

void DporStrategy::begin_execution(std::uint64_t index) {
  (void)index;
  reached_ = 0;
  value_pos_ = 0;
  // The steps before the path's last node repeat the last execution's, whose choice there changed: their events,
  // clocks and accesses are kept, and they are neither collected again nor raced again (what they added to the
  // tree is still there). step_done only redoes what they did to the actors' clocks and the objects' histories.
  replayed_ = std::min(depth_ == 0 ? std::size_t{0} : depth_ - 1, events_.size());
  replay_pos_ = 0;
  events_.resize(replayed_);
  clocks_.resize(replayed_);
  accesses_.resize(replayed_ == 0 ? 0 : events_[replayed_ - 1].end);
  access_histories_.resize(accesses_.size());
  last_event_.fill(-1);
  steps_of_.fill(0);
  for (Clock& c : inbox_) c.fill(0);
  all_.fill(0);
  before_time_moved_.fill(0);
  last_global_ = -1;
  updates_since_global_.clear();
  known_actors_ = 0;
  prune_next_ = false;
  hit_summary_ = kNoSummary;
  hit_future_ = 0;
  // The replayed prefix repeats the last execution's steps up to its last node, whose choice changed.
  unmerged_from_ = std::min(unmerged_from_, depth_ == 0 ? std::size_t{0} : depth_ - 1);
  in_shard_ = !probing_;  // a probe of several values takes several executions
  ++epoch_;
}

std::vector<DporStrategy::ValueChoice>& DporStrategy::values_now() {
  return reached_ == 0 ? prelude_values_ : nodes_[reached_ - 1].values;
}

std::uint32_t DporStrategy::pick_value(std::uint32_t n, ChoiceKind kind) {
  (void)kind;
  std::vector<ValueChoice>& values = values_now();
  if (value_pos_ < values.size()) {
    const ValueChoice& v = values[value_pos_++];
    if (v.options != n)
      throw std::runtime_error(fmt::format(
          "dpor: the scenario did not repeat itself: a choice asked at step {} had {} options, before {} (does it "
          "read state outside its world, such as the clock or an unseeded random number?)",
          reached_, n, v.options));
    return v.chosen;
  }
  ValueChoice v{n, 0, 1};
  if (shard_count_ > 1 && !has_split_ && n >= 2) {
    has_split_ = true;
    split_ = Position{static_cast<std::int64_t>(reached_) - 1, static_cast<std::int64_t>(values.size())};
    v.chosen = shard_index_;
    v.stride = shard_count_;
    if (v.chosen >= n) prune_next_ = true;  // no value of this choice is this shard's
  }
  values.push_back(v);
  ++value_pos_;
  return v.chosen < n ? v.chosen : 0;
}

ActorId DporStrategy::pick_actor(const PickContext& ctx) {
  const std::size_t j = ctx.step;
  step_limit_ = ctx.step_limit;
  if (j > 0 && running_actor(ctx) == nodes_[j - 1].chosen) nodes_[j - 1].chosen_continues = true;
  if (probing_ && j > static_cast<std::size_t>(split_.node)) prune_next_ = true;  // the probed step is done
  if (prune_next_) {
    ++pruned_;
    return kPruneExecution;
  }
  if (j == 0) known_actors_ = ctx.actor_count;
  value_pos_ = 0;
  if (j < depth_) {  // the shared prefix: replay it
    const Node& n = nodes_[j];
    if (n.enabled != ctx.runnable)
      throw std::runtime_error(fmt::format(
          "dpor: the scenario did not repeat itself: at step {} the runnable actors were {:#x}, before {:#x} (does it "
          "read state outside its world, such as the clock or an unseeded random number?)",
          j, ctx.runnable, n.enabled));
    reached_ = j + 1;
    return n.chosen;
  }
  Node& n = node(j);
  n.enabled = ctx.runnable;
  n.current = running_actor(ctx);
  if (j > 0) n.spent = nodes_[j - 1].spent + cost(nodes_[j - 1], nodes_[j - 1].chosen);
  inherit_sleepers(j);
  depth_ = j + 1;
  reached_ = j + 1;
  StateKey key;
  if (cache_allowed(j) && ctx.state_key(key) && revisit(key, j, ctx.step, n.spent, n.current, sleep_mask(n)))
    return kPruneExecution;
  ActorMask candidates = ctx.runnable & ~sleep_mask(n);
  const ActorId preferred = default_pick(ctx);  // keep running: the fewest preemptions first
  bool at_split = false;
  if (shard_count_ > 1 && !has_split_ && std::popcount(ctx.runnable) >= 2) {
    has_split_ = true;
    at_split = true;
    split_ = Position{static_cast<std::int64_t>(j), -1};
    // The order one search explores them in: the preferred actor, then by number.
    std::array<ActorId, kMaxActors> order{};
    std::size_t count = 0;
    order[count++] = preferred;
    for (ActorMask m = ctx.runnable & ~actor_bit(preferred); m; m &= m - 1) order[count++] = lowest_actor(m);
    ActorMask mine = 0;
    for (std::size_t k = 0; k < count; ++k)
      if (k % shard_count_ == shard_index_) mine |= actor_bit(order[k]);
    if (!split_known_) {  // the first time: the prefix before the split is the same in every execution
      split_known_ = true;
      std::size_t last_mine = 0;
      for (std::size_t k = 0; k < count; ++k) {
        split_position_[order[k]] = static_cast<std::uint8_t>(k);
        if (mine & actor_bit(order[k])) last_mine = k;
      }
      for (std::size_t k = 0; k < last_mine; ++k)
        if (!(mine & actor_bit(order[k])) && within_bound(n, actor_bit(order[k])))
          foreign_.push_back(Foreign{order[k], false, {}});
    }
    n.backtrack = ctx.runnable;  // every actor, no reduction at the split
    if (probes_run_ < foreign_.size()) {  // a probe: that actor's step, then abandon the execution
      probing_ = true;
      in_shard_ = false;
      n.chosen = foreign_[probes_run_].actor;
      return n.chosen;
    }
    n.done = ctx.runnable & ~mine;  // the other shards' subtrees
    candidates &= mine;
  }
  const ActorMask awake = candidates;
  candidates = within_bound(n, candidates);  // keeping the current actor is free: only a shard split empties it
  if (candidates == 0) {
    if (awake != 0) mark_bounded(j);
    ++pruned_;
    return kPruneExecution;
  }
  n.chosen = (candidates & actor_bit(preferred)) ? preferred : lowest_actor(candidates);
  n.backtrack |= actor_bit(n.chosen);
  if (at_split) sleep_foreign_before(n, n.chosen);
  return n.chosen;
}

// The object's history in this execution; one left by an earlier execution is reset, not freed.
DporStrategy::ObjectHistory& DporStrategy::history(std::uint64_t object) {
  return current(objects_[object]);
}

DporStrategy::ObjectHistory& DporStrategy::current(ObjectHistory& h) const {
  if (h.epoch != epoch_) {
    h.epoch = epoch_;
    h.last_write = -1;
    h.reads.clear();
    h.updates.clear();
  }
  return h;
}

void DporStrategy::add_candidate(std::uint32_t i, ActorId self, std::vector<std::uint32_t>& out) const {
  if (events_[i].actor == self) return;  // program order: no race
  for (std::uint32_t k : out)
    if (k == i) return;
  out.push_back(i);
}

void DporStrategy::step_done(const StepRecord& step) {
  if (replay_pos_ < replayed_) return replay_step(static_cast<std::uint32_t>(replay_pos_++));
  const auto j = static_cast<std::uint32_t>(events_.size());
  Node& n = nodes_[j];
  const StepFootprint& fp = *step.footprint;
  n.chosen_footprint.merge(fp.global(), fp.begin(), fp.end());  // for its sleep set

  const ActorId a = step.actor;
  Event e{a, steps_of_[a]++, fp.global(), step.after_timeout, static_cast<std::uint32_t>(accesses_.size()), 0,
          step.time_moved, step.woke, step.actor_count};
  accesses_.insert(accesses_.end(), fp.begin(), fp.end());
  e.end = static_cast<std::uint32_t>(accesses_.size());
  access_histories_.resize(accesses_.size());  // a global step's stay null: it touches no history

  // Program order, the spawn and wake-ups: what the step follows whatever it touches.
  Clock c{};
  if (last_event_[a] >= 0) c = clocks_[static_cast<std::size_t>(last_event_[a])];
  join(c, inbox_[a]);
  inbox_[a].fill(0);
  if (step.time_moved) before_time_moved_ = all_;
  // Time moved only because nothing else could run, so a timeout follows every step before that; the
  // steps since (other actors whose timeouts fired at the same instant) may race with it.
  if (e.after_timeout) join(c, before_time_moved_);
  const Clock ordered = c;

  // The earlier steps this one is dependent with and that nothing dependent separates from it: the last
  // write of every object, and since it the reads (for a write or an update) and the updates (for a write or
  // a read); the last global step; every actor's last step for a global one.
  candidates_.clear();
  observed_.clear();
  if (e.global) {
    for (ActorId b = 0; b < kMaxActors; ++b)
      if (last_event_[b] >= 0) add_candidate(static_cast<std::uint32_t>(last_event_[b]), a, candidates_);
  } else {
    for (std::uint32_t k = e.begin; k < e.end; ++k) {
      const Access& acc = accesses_[k];
      ObjectHistory& h = history(acc.object);
      access_histories_[k] = &h;  // for record_accesses, and for replays of this step: one lookup per access
      const std::int64_t last_write = std::max(h.last_write, last_global_);
      if (last_write >= 0) add_candidate(static_cast<std::uint32_t>(last_write), a, candidates_);
      if (writes(acc.mode) || updates(acc.mode))
        for (const auto& [reader, index] : h.reads)
          if (static_cast<std::int64_t>(index) > last_write) add_candidate(index, a, candidates_);
      if (!updates(acc.mode))
        for (const auto& [updater, index] : h.updates)
          if (static_cast<std::int64_t>(index) > last_write) {
            add_candidate(index, a, candidates_);
            if (sees_update_order(acc.mode)) observed_.push_back(index);
          }
    }
    if (last_global_ >= 0) add_candidate(static_cast<std::uint32_t>(last_global_), a, candidates_);
  }
  for (std::uint32_t i : candidates_) join(c, clocks_[i]);
  // A race is a candidate that reaches this step directly: not through program order or wake-ups, and not
  // through a later candidate.
  for (std::uint32_t i : candidates_) {
    if (happens_before(i, ordered)) continue;
    bool through_another = false;
    for (std::uint32_t k : candidates_)
      if (k > i && happens_before(i, clocks_[k])) {
        through_another = true;
        break;
      }
    if (through_another) continue;
    if (bound_) reverse_race_bounded(i, j, a);
    else reverse_race(i, j, c);
  }
  // An ordered read saw the updates in the order they ran: every two of them that nothing orders race with
  // each other as if they were dependent, so the other order is explored too. A global step may have seen the
  // order of any object's updates.
  for (std::size_t x = 0; x < observed_.size(); ++x)
    for (std::size_t y = x + 1; y < observed_.size(); ++y) reverse_unordered(observed_[x], observed_[y]);
  if (e.global) reverse_unobserved_updates();
  c[a] = e.local + 1;

  clocks_.push_back(c);
  events_.push_back(e);
  record_accesses(j);
  after_step(j);
}

// A step of the replayed prefix: only what it did to the objects' histories and the actors' clocks, as step_done
// left them, is done again.
void DporStrategy::replay_step(std::uint32_t j) {
  const Event& e = events_[j];
  steps_of_[e.actor] = e.local + 1;
  inbox_[e.actor].fill(0);
  if (e.time_moved) before_time_moved_ = all_;
  record_accesses(j);
  after_step(j);
}

// Step j's accesses into its objects' histories (a replayed step's may still be an earlier execution's).
void DporStrategy::record_accesses(std::uint32_t j) {
  const Event& e = events_[j];
  if (e.global) {
    last_global_ = j;
    updates_since_global_.clear();
    return;
  }
  for (std::uint32_t k = e.begin; k < e.end; ++k) {
    const Access& acc = accesses_[k];
    ObjectHistory& h = current(*access_histories_[k]);
    if (writes(acc.mode)) {
      h.last_write = j;
      h.reads.clear();
      h.updates.clear();
    } else if (updates(acc.mode)) {
      h.updates.emplace_back(e.actor, j);  // every one: an ordered read sees the order of all of them
      updates_since_global_.emplace_back(acc.object, j);
    } else {
      keep_last(h.reads, e.actor, j);
    }
  }
}

// Step j's clock passed on: to every clock after it, to the actors it woke, and to those it spawned.
void DporStrategy::after_step(std::uint32_t j) {
  const Event& e = events_[j];
  const Clock& c = clocks_[j];
  join(all_, c);
  last_event_[e.actor] = j;
  for (ActorMask m = e.woke; m; m &= m - 1) join(inbox_[lowest_actor(m)], c);
  for (ActorId b = known_actors_; b < e.actor_count; ++b) inbox_[b] = c;  // spawned by this step
  if (e.actor_count > known_actors_) known_actors_ = e.actor_count;
}

// Two updates of one object that a step saw in the order they ran, unless something orders them: reversed as a
// race, so that the other order is explored too.
void DporStrategy::reverse_unordered(std::uint32_t first, std::uint32_t second) {
  if (first > second) std::swap(first, second);
  if (first == second || happens_before(first, clocks_[second])) return;
  if (bound_) reverse_race_bounded(first, second, events_[second].actor);
  else reverse_race(first, second, clocks_[second]);
}

// Source-DPOR's backtrack rule for a race between step i and step j: v is what runs after i that does
// not happen after it, then j. The state before i must be explored starting with one of v's initials
// (actors whose first step in v follows nothing else in v), unless one already is.
void DporStrategy::reverse_race(std::uint32_t i, std::uint32_t j, const Clock& cj) {
  Node& before = nodes_[i];
  ActorMask initials = 0;
  included_.clear();
  auto first_in_v = [&](const Clock& clock) {
    for (std::uint32_t m : included_)
      if (happens_before(m, clock)) return false;
    return true;
  };
  for (std::uint32_t k = i + 1; k < j; ++k) {
    if (happens_before(i, clocks_[k])) continue;
    if (first_in_v(clocks_[k])) initials |= actor_bit(events_[k].actor);
    included_.push_back(k);
  }
  if (first_in_v(cj)) initials |= actor_bit(nodes_[j].chosen);
  if (initials & before.backtrack) return;
  const ActorMask awake = before.enabled & ~sleep_mask(before);
  if (const ActorMask m = initials & awake) {
    before.backtrack |= actor_bit(lowest_actor(m));
  } else if (initials & before.enabled) {
    // Every initial sleeps there. The sleeper covers the traces that start with its step as it ran in a
    // sibling, but a step of v's that runs later in this execution and is independent here (after a failed
    // commit, say) may race with that step as it ran there: every awake actor is tried instead.
    before.backtrack |= awake;
  } else {
    before.backtrack |= before.enabled;  // no initial can run there (it was blocked): try every actor
  }
}

// Where the run of one actor's steps that step i-1 belongs to began, or where its actor went on only because
// virtual time woke it (a free pick too).
std::uint32_t DporStrategy::last_context_switch(std::uint32_t i) const {
  std::uint32_t k = i - 1;
  while (k > 0 && events_[k - 1].actor == events_[k].actor && nodes_[k].current != kNoActor) --k;
  return k;
}

void DporStrategy::try_every_awake(std::uint32_t i) {
  Node& n = nodes_[i];
  n.backtrack |= n.enabled & ~sleep_mask(n);
}

// Bounded (BPOR): u runs at i's state if it could run there, else every actor does; and the same at the
// last context switch before i (where the run of one actor's steps that step i-1 belongs to began, or where
// its actor went on only because virtual time woke it: a free pick too), in case reversing the race at i
// costs more preemptions than are left there.
void DporStrategy::reverse_race_bounded(std::uint32_t i, std::uint32_t j, ActorId u) {
  // u asleep there: its sibling covers u's step as it ran there, not a later step that races with it. The
  // actors that ran between the two racing steps, not after the first, are tried instead where awake (they
  // can start the reversed order), and every awake actor when none is.
  ActorMask between = 0;
  for (std::uint32_t k = i + 1; k < j; ++k)
    if (!happens_before(i, clocks_[k])) between |= actor_bit(events_[k].actor);
  auto try_u = [this, u, between](Node& n) {
    const ActorMask awake = n.enabled & ~sleep_mask(n);
    if (!(n.enabled & actor_bit(u))) n.backtrack |= n.enabled;
    else if (!(awake & actor_bit(u))) n.backtrack |= (between & awake) ? (between & awake) : awake;
    else n.backtrack |= actor_bit(u);
  };
  try_u(nodes_[i]);
  if (i > 0) try_u(nodes_[last_context_switch(i)]);
}

void DporStrategy::sleep_foreign_before(Node& n, ActorId actor) {
  const ActorMask asleep = sleep_mask(n);
  for (const Foreign& f : foreign_)
    if (f.may_sleep && split_position_[f.actor] < split_position_[actor] && !(asleep & actor_bit(f.actor)))
      n.asleep.push_back(Sleeper{f.actor, f.footprint});
}

bool DporStrategy::cache_allowed(std::size_t j) const {
  if (probing_ || prune_next_) return false;
  // Below the split only: what lies above it is every shard's. A split at a choice before the first step (node -1)
  // has every point below it.
  return shard_count_ == 1 || (has_split_ && split_.node < static_cast<std::int64_t>(j));
}

bool DporStrategy::reusable(const CachedState& c, std::uint64_t steps, std::uint32_t spent, ActorId current) const {
  // Every execution of that future ended within the step limit, and still does from here. (From the same step, a
  // future that ran into the limit is that again; from any other, it would be cut elsewhere.)
  if (steps != c.steps && std::max(steps, c.steps) + c.future >= step_limit_) return false;
  if (!bound_ || !c.bounded) return true;
  // A schedule from here costs what it cost there, except its first pick, which costs one preemption more or
  // less when another actor may go on for free. So it fits there too with as many preemptions left here when
  // the same actor or any actor went on for free there, and otherwise with one fewer left here.
  if (current == c.current || c.current == kNoActor) return spent >= c.spent;
  return spent > c.spent;
}

void DporStrategy::mark_bounded(std::size_t node) {
  for (std::size_t k = open_states_.size(); k-- > 0;) {
    OpenState& o = open_states_[k];
    if (o.node > node) continue;
    if (o.bounded) return;  // marked before, and with it every open point above (none opens above a marked one)
    o.bounded = true;
  }
}

void DporStrategy::cut_off_at(const CachedState& c, std::size_t j) {
  reverse_unobserved_updates();
  ++cache_hits_;
  hit_future_ = c.future;  // the open points' futures run on through it (end_execution)
  if (c.bounded) mark_bounded(j);
}

bool DporStrategy::at_quiescence(const StateKey& key, std::uint64_t steps, std::uint64_t step_limit) {
  step_limit_ = step_limit;
  const std::size_t j = reached_;
  if (!cache_allowed(j)) return false;
  const std::uint32_t spent = j == 0 ? 0 : nodes_[j - 1].spent + cost(nodes_[j - 1], nodes_[j - 1].chosen);
  auto [it, fresh] = states_.try_emplace(key, CachedState{steps, spent, true});
  if (!fresh) {
    CachedState& c = it->second;
    if (c.open) return false;  // a state this path passed before: its future is what is being explored
    if (reusable(c, steps, spent, kNoActor)) {  // every actor blocked: whichever goes first preempts nobody
      cut_off_at(c, j);
      return true;
    }
    c = CachedState{steps, spent, true};  // explored from a worse start: explore again from this one
  }
  open_states_.push_back(OpenState{.key = key, .node = j, .summary = kNoSummary, .steps = steps});
  return false;
}

bool DporStrategy::revisit(const StateKey& key, std::size_t j, std::uint64_t steps, std::uint32_t spent,
                           ActorId current, ActorMask asleep) {
  auto [it, fresh] = states_.try_emplace(key, CachedState{steps, spent, true, asleep, kNoSummary, current});
  CachedState& c = it->second;
  if (!fresh) {
    if (c.open) return false;
    // With no actor awake here that slept there: what is explored from here is what was there, or less.
    if (reusable(c, steps, spent, current) && (c.asleep & ~asleep) == 0 && c.summary != kNoSummary) {
      race_with_summary(summaries_[c.summary]);
      // Bounded, a race inside the future also tries the last context switch before its first step, which
      // lies above this state when the actor running into it had run since then: that point, on this path.
      if (bound_ && j > 0) try_every_awake(last_context_switch(static_cast<std::uint32_t>(j)));
      hit_summary_ = c.summary;
      cut_off_at(c, j);
      return true;
    }
    // Explored from a worse start: again, from here. What its future touched so far stays in the summary,
    // in a copy of its own (a closed point's summary may be shared, close_states).
    const std::uint32_t summary = c.summary == kNoSummary ? kNoSummary : new_summary(summaries_[c.summary]);
    c = CachedState{steps, spent, true, asleep, summary, current};
  }
  const bool seeded = c.summary != kNoSummary;
  if (!seeded) c.summary = new_summary(Summary{});
  open_states_.push_back(OpenState{.key = key, .node = j, .summary = c.summary, .steps = steps, .seeded = seeded});
  return false;
}

// The steps of the cut-off future race with the steps of this path as they would have had they run: each
// access of the summary with the last conflicting accesses of its object here, unless the path's step
// happens before what its actor had done by now. Where it would, every awake actor is tried (the actor of
// the future step may not be the initial that reverses it), which is more than the race itself asks.
void DporStrategy::race_with_summary(const Summary& summary) {
  auto clock_of = [this](ActorId a) {
    Clock c{};
    if (last_event_[a] >= 0) c = clocks_[static_cast<std::size_t>(last_event_[a])];
    join(c, inbox_[a]);
    return c;
  };
  auto race = [this](std::int64_t i, ActorId a, const Clock& ca) {
    if (i < 0) return;
    const auto e = static_cast<std::uint32_t>(i);
    if (events_[e].actor == a || happens_before(e, ca)) return;
    try_every_awake(e);
    // Bounded, as reverse_race_bounded does: also at the last context switch before the step, in case
    // reversing the race there costs more preemptions than are left.
    if (bound_ && e > 0) try_every_awake(last_context_switch(e));
  };
  for (ActorMask m = summary.global; m; m &= m - 1) {
    const ActorId a = lowest_actor(m);
    const Clock ca = clock_of(a);
    for (ActorId b = 0; b < kMaxActors; ++b) race(last_event_[b], a, ca);
  }
  ActorId clock_actor = kNoActor;
  Clock ca{};
  for (const SummaryAccess& acc : summary.accesses) {
    if (acc.actor != clock_actor) {
      clock_actor = acc.actor;
      ca = clock_of(acc.actor);
    }
    race(last_global_, acc.actor, ca);
    const std::uint64_t object = acc.object;  // a copy: the packed field is no aligned reference (SummaryAccess)
    auto found = objects_.find(object);
    if (found == objects_.end() || found->second.epoch != epoch_) continue;
    const ObjectHistory& h = found->second;
    race(h.last_write, acc.actor, ca);
    if (writes(acc.mode) || updates(acc.mode))
      for (const auto& [reader, index] : h.reads)
        if (static_cast<std::int64_t>(index) > h.last_write) race(index, acc.actor, ca);
    if (!updates(acc.mode))
      for (const auto& [updater, index] : h.updates)
        if (static_cast<std::int64_t>(index) > h.last_write) race(index, acc.actor, ca);
  }
}

// Every two updates of one object since the last global step that nothing orders are reversed: a global step
// saw their order, and so would an ordered read in a future the state cache cut off.
void DporStrategy::reverse_unobserved_updates() {
  for (std::size_t x = 0; x < updates_since_global_.size(); ++x)
    for (std::size_t y = x + 1; y < updates_since_global_.size(); ++y)
      if (updates_since_global_[x].first == updates_since_global_[y].first)
        reverse_unordered(updates_since_global_[x].second, updates_since_global_[y].second);
}

// Whether every access of `small` is in `big` with a mode that covers it. Both are sorted; a lookup per access
// of `small`, since it is usually the few accesses one execution added.
bool DporStrategy::contains(const Summary& big, const Summary& small) {
  if ((small.global & ~big.global) != 0) return false;
  auto i = big.accesses.cbegin();
  for (const SummaryAccess& a : small.accesses) {
    i = std::lower_bound(i, big.accesses.cend(), a, summary_order);
    if (i == big.accesses.cend() || summary_order(a, *i) || merged(i->mode, a.mode) != i->mode) return false;
  }
  return true;
}

// Most executions through an open point touch nothing its summary lacks: that case is checked first and
// allocates nothing. Otherwise the union is built in a buffer kept across merges, and swapped in.
void DporStrategy::merge(Summary& into, const Summary& from) {
  if (contains(into, from)) return;
  into.global |= from.global;
  const auto less = summary_order;
  std::vector<SummaryAccess>& out = merge_buffer_;
  out.clear();
  auto i = into.accesses.cbegin();
  auto j = from.accesses.cbegin();
  while (i != into.accesses.cend() || j != from.accesses.cend()) {
    if (j == from.accesses.cend() || (i != into.accesses.cend() && less(*i, *j))) {
      out.push_back(*i++);
    } else if (i == into.accesses.cend() || less(*j, *i)) {
      out.push_back(*j++);
    } else {
      out.push_back(SummaryAccess{i->object, i->actor, merged(i->mode, j->mode)});
      ++i;
      ++j;
    }
  }
  into.accesses.swap(out);
}

// Adds what this execution's steps touched to each open general point's summary, at the point's place: walking
// the new steps from the last one back, gathering their accesses (an execution cut off at a point seen before
// starts from that point's summary); a step after which virtual time moved starts the gathering afresh.
//
// The steps before unmerged_from_ repeat an earlier execution's, and are in the summaries of the points above
// them already: those points only take what the new steps gathered, up to a time move. Going up, the walk stops at
// the first point that started empty and has it all: every access merged into such a point since it opened went
// into every open point above it too (up to a time move), here or where an earlier walk stopped at another one.
void DporStrategy::collect_summaries() {
  const std::size_t from = std::min(unmerged_from_, events_.size());
  unmerged_from_ = SIZE_MAX;
  bool any = false;
  for (const OpenState& o : open_states_) any = any || o.summary != kNoSummary;
  if (!any) return;
  Summary& u = scratch_summary_;  // kept sorted; one step adds a few accesses, each in its place
  u.global = 0;
  u.accesses.clear();
  if (hit_summary_ != kNoSummary) {
    u.global = summaries_[hit_summary_].global;
    u.accesses = summaries_[hit_summary_].accesses;
  }
  const auto less = summary_order;
  std::size_t next_open = open_states_.size();
  for (std::size_t k = events_.size() + 1; k-- > from;) {
    if (k < events_.size()) {
      const Event& e = events_[k];
      if (e.global) u.global |= actor_bit(e.actor);
      for (std::uint32_t x = e.begin; x < e.end && !e.global; ++x) {
        const SummaryAccess acc{accesses_[x].object, e.actor, accesses_[x].mode};
        auto at = std::lower_bound(u.accesses.begin(), u.accesses.end(), acc, less);
        if (at != u.accesses.end() && !less(acc, *at)) at->mode = merged(at->mode, acc.mode);
        else u.accesses.insert(at, acc);
      }
      if (e.time_moved) {
        u.global = 0;
        u.accesses.clear();
      }
    }
    while (next_open > 0 && open_states_[next_open - 1].node >= k) {
      const OpenState& o = open_states_[--next_open];
      if (o.summary != kNoSummary && o.node == k) merge(summaries_[o.summary], u);
    }
  }
  if (u.global == 0 && u.accesses.empty()) return;
  for (std::size_t k = from; k-- > 0;) {
    if (events_[k].time_moved) return;  // the points above gather nothing past it
    while (next_open > 0 && open_states_[next_open - 1].node >= k) {
      const OpenState& o = open_states_[--next_open];
      if (o.summary == kNoSummary || o.node != k) continue;
      Summary& s = summaries_[o.summary];
      if (!o.seeded && contains(s, u)) return;
      merge(s, u);
    }
  }
}

std::uint32_t DporStrategy::new_summary(const Summary& from) {
  if (free_summaries_.empty()) {
    summaries_.push_back(from);
    return static_cast<std::uint32_t>(summaries_.size() - 1);
  }
  const std::uint32_t at = free_summaries_.back();
  free_summaries_.pop_back();
  summaries_[at] = from;
  return at;
}

// Many points' futures touch the same things (near the end of a scenario, most of them): a closed point's
// summary, which no execution adds to any more, is shared with an equal one closed before, and its own freed.
void DporStrategy::share_summary(CachedState& c) {
  const Summary& mine = summaries_[c.summary];
  StateHasher h;
  h.add(mine.global);
  for (const SummaryAccess& a : mine.accesses) {
    h.add(a.object);
    h.add(a.actor);
    h.add(a.mode);
  }
  std::vector<std::uint32_t>& same_hash = shared_summaries_[h.key().a];
  for (const std::uint32_t other : same_hash) {
    if (other == c.summary) return;
    if (summaries_[other] != mine) continue;
    summaries_[c.summary] = Summary{};  // frees its accesses
    free_summaries_.push_back(c.summary);
    c.summary = other;
    return;
  }
  same_hash.push_back(c.summary);
  // Kept for good, at its size: merges swap their buffer in, so its capacity may be an earlier, larger union's.
  summaries_[c.summary].accesses.shrink_to_fit();
}

void DporStrategy::close_states() {
  while (!open_states_.empty() && open_states_.back().node >= depth_) {
    CachedState& c = states_[open_states_.back().key];
    c.open = false;
    c.future = open_states_.back().future;
    c.bounded = open_states_.back().bounded;
    if (c.summary != kNoSummary) share_summary(c);
    open_states_.pop_back();
  }
}

void DporStrategy::end_execution(std::uint64_t steps) {
  if (!probing_) {
    collect_summaries();
    const std::uint64_t end = steps + hit_future_;  // where it ended, or where the future it was cut off at ends
    for (OpenState& o : open_states_) o.future = std::max(o.future, end - o.steps);
  }
  advance();
  close_states();
}

void DporStrategy::advance() {
  if (probing_) {
    const auto at = static_cast<std::size_t>(split_.node);
    Node& n = nodes_[at];
    // A choice the probed step asked: probe it again with the next value, as one search explores every
    // value of a step before the next sibling, so that the footprint covers them all.
    for (std::size_t k = n.values.size(); k-- > 0;)
      if (n.values[k].chosen + 1 < n.values[k].options) {
        ++n.values[k].chosen;
        n.values.resize(k + 1);
        depth_ = at + 1;
        return;
      }
    // What the probed step touched, and whether it may sleep, as end_execution decides for an explored
    // sibling; then the same prefix again, up to the split.
    probing_ = false;
    Foreign& f = foreign_[probes_run_++];
    f.may_sleep = may_sleep(n);
    f.footprint = std::move(n.chosen_footprint);
    n.chosen_footprint = {};
    has_split_ = false;
    depth_ = at;
    return;
  }
  depth_ = reached_;
  for (std::size_t i = depth_; i-- > 0;) {
    Node& n = nodes_[i];
    for (std::size_t k = n.values.size(); k-- > 0;)
      if (n.values[k].chosen + n.values[k].stride < n.values[k].options) {
        n.values[k].chosen += n.values[k].stride;
        n.values.resize(k + 1);
        depth_ = i + 1;
        forget_split_after(Position{static_cast<std::int64_t>(i), static_cast<std::int64_t>(k)});
        return;
      }
    if (n.chosen != kNoActor) {
      const ActorMask wanted = n.backtrack & ~n.done & ~actor_bit(n.chosen) & ~sleep_mask(n);
      const ActorMask alternatives = within_bound(n, wanted);
      if (alternatives != wanted) mark_bounded(i);
      if (alternatives) {
        n.done |= actor_bit(n.chosen);
        if (may_sleep(n)) n.asleep.push_back(Sleeper{n.chosen, std::move(n.chosen_footprint)});
        n.chosen_footprint = {};
        n.chosen_continues = false;
        n.chosen = lowest_actor(alternatives);
        n.values.clear();
        depth_ = i + 1;
        if (has_split_ && split_.node == static_cast<std::int64_t>(i) && split_.choice == -1)
          sleep_foreign_before(n, n.chosen);
        forget_split_after(Position{static_cast<std::int64_t>(i), -1});
        return;
      }
    }
  }
  depth_ = 0;
  for (std::size_t k = prelude_values_.size(); k-- > 0;)
    if (prelude_values_[k].chosen + prelude_values_[k].stride < prelude_values_[k].options) {
      prelude_values_[k].chosen += prelude_values_[k].stride;
      prelude_values_.resize(k + 1);
      forget_split_after(Position{-1, static_cast<std::int64_t>(k)});
      return;
    }
  exhausted_ = true;
}

}  // namespace xenrace
