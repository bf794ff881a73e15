#include "runtime/scheduler.hpp"

#include "runtime/scheduler_threads.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

namespace xenrace {

Scheduler::Scheduler(StackPool& stacks, Strategy& strategy, std::uint32_t max_decisions_hint)
    : stacks_(stacks), strategy_(strategy), observe_(strategy.observes_steps()),
      caches_states_(strategy.caches_states()), keys_at_picks_(strategy.caches_states_at_picks()) {
  actors_.reserve(8);
  schedule_.decisions.reserve(std::min<std::uint32_t>(max_decisions_hint, 1u << 16));
}

Scheduler::~Scheduler() {
  unwind_all();
  for (auto& a : actors_)
    if (a->fiber) stacks_.release(a->fiber->take_stack());
}

ActorId Scheduler::spawn(std::string name, std::function<void()> body, ActorKind kind) {
  if (actors_.size() >= kMaxActors) throw std::length_error("too many actors (at most 64 per execution)");
  auto a = std::make_unique<Actor>();
  a->sched = this;
  a->id = static_cast<ActorId>(actors_.size());
  a->name = std::move(name);
  a->body = std::move(body);
  a->kind = kind;
  if (threads_) return spawn_thread(std::move(a));
  a->fiber.emplace(stacks_.acquire(), &Scheduler::actor_main, a.get());
  runnable_ |= actor_bit(a->id);
  if (kind == ActorKind::process) ++live_processes_;
  actors_.push_back(std::move(a));
  Actor& child = *actors_.back();
  // Run the actor's local code up to its first visible operation now: it touches nothing shared, so
  // it needs no scheduling decision, and steps then count visible operations only.
  const ActorId parent = current_;
  const bool was_running = running_;
  current_ = child.id;
  running_ = true;
  child.fiber->resume();
  current_ = parent;
  running_ = was_running;
  return child.id;
}

void Scheduler::actor_main(void* arg) {
  auto& a = *static_cast<Actor*>(arg);
  Scheduler& s = *a.sched;
  if (!a.unwinding && !a.kill_requested) {
    try {
      a.body();
    } catch (const ActorUnwind&) {
    } catch (const ActorKilled&) {
      a.killed = true;
    } catch (const std::exception& e) {
      if (s.actor_error_.empty()) {
        s.actor_error_ = e.what();
        s.failed_actor_ = a.id;
      }
      s.stop_ = true;
    } catch (...) {
      if (s.actor_error_.empty()) {
        s.actor_error_ = "unknown exception";
        s.failed_actor_ = a.id;
      }
      s.stop_ = true;
    }
  } else if (a.kill_requested) {
    a.killed = true;
  }
  s.finish(a);
}

void Scheduler::finish(Actor& a) {
  // Exit handlers model what the kernel releases when a process ends; they are not scheduling points.
  if (!a.unwinding) {
    a.exiting = true;
    for (auto it = a.exit_handlers.rbegin(); it != a.exit_handlers.rend(); ++it) (*it)();
  }
  a.exit_handlers.clear();
  a.state = State::finished;
  runnable_ &= ~actor_bit(a.id);
  if (a.kind == ActorKind::process) --live_processes_;
}

void Scheduler::switch_out(Actor& a) {
  a.fiber->suspend();
  if (a.unwinding) throw ActorUnwind{};
  if (a.kill_requested && !a.exiting) throw ActorKilled{};
}

void Scheduler::yield() {
  if (threads_) return yield_thread();
  if (!in_actor()) return;  // invariant checks and setup code read the world without scheduling
  Actor& a = *actors_[current_];
  if (a.exiting) return;
  // One more operation begun inside the innermost Rest scope. Counted here, not at every switch: an operation
  // that blocks inside switches out again for each wait, and a count of switches would place the actor one
  // operation further on after a wait than after none.
  ++a.rest_count;
  switch_out(a);
}

bool Scheduler::wait(WaitQueue& q, std::string_view what, VirtualTime timeout) {
  const bool woken = block(q, what, timeout);
  // Whoever waited re-reads what it waits on: the step that resumes here is dependent with every step until
  // the caller names what it reads (declare_footprint), so a re-check nobody declared costs reduction only.
  operation_began();
  return woken;
}

bool Scheduler::block(WaitQueue& q, std::string_view what, VirtualTime timeout) {
  if (!in_actor()) std::abort();  // only an actor can block
  if (threads_) return wait_thread(q, what, timeout);
  Actor& a = *actors_[current_];
  if (a.exiting) return false;
  const std::size_t n = std::min(what.size(), a.what.size() - 1);
  std::memcpy(a.what.data(), what.data(), n);
  a.what[n] = '\0';
  a.state = State::blocked;
  a.timed_out = false;
  a.waiting_on = &q;
  a.deadline = timeout == kForever ? kForever : now_ + timeout;
  runnable_ &= ~actor_bit(a.id);
  q.waiters |= actor_bit(a.id);
  a.in_wait = true;
  switch_out(a);
  a.in_wait = false;
  return !a.timed_out;
}

void Scheduler::sleep(VirtualTime duration) {
  WaitQueue never;
  block(never, "sleep", duration);  // nothing to re-read: the step after a sleep touches only what it declares
}

void Scheduler::notify_all(WaitQueue& q) {
  if (collect_ && running_) woke_ |= q.waiters;
  for (ActorMask m = q.waiters; m; m &= m - 1) {
    Actor& a = *actors_[lowest_actor(m)];
    a.state = State::runnable;
    a.waiting_on = nullptr;
    a.deadline = kForever;
    runnable_ |= actor_bit(a.id);
  }
  q.waiters = 0;
  if (threads_) threads_->wake.notify_all();
}

void Scheduler::kill(ActorId id) {
  Actor& a = *actors_[id];
  if (a.state == State::finished) return;
  a.kill_requested = true;
  if (collect_ && running_) {
    // A kill reaches into another actor's state: dependent with everything, and the victim runs after it.
    footprint_.make_global();
    woke_ |= actor_bit(id);
  }
  if (a.state == State::blocked) {
    if (a.waiting_on) a.waiting_on->waiters &= ~actor_bit(id);
    a.waiting_on = nullptr;
    a.state = State::runnable;
    runnable_ |= actor_bit(id);
  }
  if (threads_) threads_->wake.notify_all();
}

void Scheduler::at_exit(std::function<void()> fn) {
  if (!in_actor()) return;
  actors_[current_]->exit_handlers.push_back(std::move(fn));
}

void Scheduler::record(ChoiceKind kind, std::uint32_t value, bool is_default) {
  const std::uint32_t index = schedule_.total++;
  if (!is_default) schedule_.decisions.push_back(Decision{index, kind, value});
}

std::uint32_t Scheduler::choose(std::uint32_t n, ChoiceKind kind) {
  if (n < 2) return 0;
  std::uint32_t v = strategy_.pick_value(n, kind);
  if (v >= n) v = 0;
  record(kind, v, v == 0);
  if (kind == ChoiceKind::fault && v != 0) ++faults_chosen_;
  return v;
}

ActorId Scheduler::pick() {
  const bool forced = std::has_single_bit(runnable_);
  if (forced && !observe_) return lowest_actor(runnable_);
  PickContext ctx{runnable_, current_, steps_, static_cast<ActorId>(actors_.size()), time_moved_, max_steps_};
  if (keys_at_picks_ && state_source_) [[unlikely]] {
    ctx.key_source = [](const void* self, StateKey& key) {
      return static_cast<const Scheduler*>(self)->state_key(key);
    };
    ctx.key_context = this;
  }
  ActorId chosen = strategy_.pick_actor(ctx);
  if (chosen == kPruneExecution) [[unlikely]] return chosen;
  if (forced) return lowest_actor(runnable_);  // a forced step asks nothing and records nothing
  if (chosen >= actors_.size() || !(runnable_ & actor_bit(chosen))) chosen = default_pick(ctx);
  record(ChoiceKind::actor, chosen, chosen == default_pick(ctx));
  if (preempts(ctx, chosen)) ++schedule_.preempted;
  return chosen;
}

bool Scheduler::fire_earliest_timer() {
  VirtualTime earliest = kForever;
  for (const auto& a : actors_)
    if (a->state == State::blocked) earliest = std::min(earliest, a->deadline);
  if (earliest == kForever) return false;
  now_ = earliest;
  for (auto& a : actors_) {
    if (a->state != State::blocked || a->deadline != earliest) continue;
    if (a->waiting_on) a->waiting_on->waiters &= ~actor_bit(a->id);
    a->waiting_on = nullptr;
    a->deadline = kForever;
    a->timed_out = true;
    timed_out_ |= actor_bit(a->id);
    a->state = State::runnable;
    runnable_ |= actor_bit(a->id);
  }
  return true;
}

Scheduler::Rest::Rest(Scheduler& s, std::uint64_t state, Frames frames) {
  // Nothing reads an actor's declared state unless the strategy keeps a state cache.
  if (!s.caches_states_ || !s.in_actor() || s.threads_) return;
  Actor& a = *s.actors_[s.current_];
  if (frames == callee && a.rest_depth == 0) return;  // the caller did not describe its frame
  sched_ = &s;
  actor_ = s.current_;
  saved_state_ = a.rest;
  saved_depth_ = a.rest_depth;
  saved_count_ = a.rest_count;
  a.rest = word_hash::absorb(a.rest_depth ? a.rest : word_hash::kSeed, state);
  ++a.rest_depth;
  a.rest_count = 0;
}

void Scheduler::Rest::keep_word(std::uint64_t word) {
  Actor& a = *sched_->actors_[actor_];
  a.rest = word_hash::absorb(a.rest, word);
}

Scheduler::Rest::~Rest() {
  if (!sched_) return;
  Actor& a = *sched_->actors_[actor_];
  a.rest = saved_state_;
  a.rest_depth = saved_depth_;
  a.rest_count = saved_count_;
}

// Each actor in spawn order: finished (and how), or inside a Rest scope: its state there, how many
// scheduling points it passed inside the scope, whether it waits (or was woken from a wait and has not run
// since) and why it woke, what it waits for, its deadline, and what it releases at exit. Absolute virtual
// time goes in too: an actor may read the clock.
bool Scheduler::hash_actors(StateHasher& h) const {
  if (!actor_error_.empty() || stop_) return false;
  h.add(now_);
  h.add(faults_chosen_);  // the faults still allowed (max-faults) depend on it
  h.add(actors_.size());
  for (const auto& a : actors_) {
    h.add(static_cast<unsigned>(a->state));
    h.add(a->killed);
    h.add(a->kill_requested);
    h.add(a->exit_handlers.size());
    if (a->state == State::finished) continue;
    if (a->rest_depth == 0) return false;
    h.add(a->rest);
    h.add(a->rest_count);
    h.add(a->in_wait);
    h.add((timed_out_ & actor_bit(a->id)) != 0);
    if (!a->in_wait) continue;  // at a yield: what it last waited for is history
    h.add(a->timed_out);
    h.add(std::string_view(a->what.data()));
    h.add(a->deadline);
  }
  return true;
}

bool Scheduler::state_key(StateKey& key) const {
  StateHasher h;
  if (!hash_actors(h) || !state_source_(h)) return false;
  key = h.key();
  return true;
}

bool Scheduler::explored_before() {
  StateKey key;
  return state_key(key) && strategy_.at_quiescence(key, steps_, max_steps_);
}

RunEnd Scheduler::run(std::uint64_t max_steps, const std::function<void()>& after_step) {
  max_steps_ = max_steps;
  if (threads_) return run_threads(max_steps, after_step);
  for (;;) {
    if (stop_) return RunEnd::stopped;
    if (runnable_ == 0) {
      if (live_processes_ == 0) return RunEnd::completed;
      if (state_source_ && explored_before()) [[unlikely]] return RunEnd::pruned;
      if (!fire_earliest_timer()) return RunEnd::deadlock;
      time_moved_ = true;
      continue;
    }
    if (steps_ >= max_steps) return RunEnd::step_limit;
    const ActorId next = pick();
    if (next == kPruneExecution) [[unlikely]] return RunEnd::pruned;
    const ActorMask enabled = runnable_;
    if (observe_) [[unlikely]] {
      collect_ = strategy_.needs_footprint(steps_);
      footprint_.clear();
      woke_ = 0;
    }
    current_ = next;
    running_ = true;
    actors_[next]->fiber->resume();
    running_ = false;
    ++steps_;
    if (observe_) [[unlikely]] {
      const bool after_timeout = (timed_out_ & actor_bit(next)) != 0;
      timed_out_ &= ~actor_bit(next);
      strategy_.step_done(StepRecord{next, enabled, &footprint_, woke_, after_timeout,
                                     static_cast<ActorId>(actors_.size()), time_moved_});
    }
    time_moved_ = false;
    if (after_step) after_step();
  }
}

void Scheduler::unwind_all() {
  if (threads_) return join_threads();
  for (auto& a : actors_) {
    if (a->state == State::finished || !a->fiber) continue;
    a->unwinding = true;
    current_ = a->id;
    running_ = true;
    a->fiber->resume();
    running_ = false;
  }
  current_ = kNoActor;
}

std::vector<std::string> Scheduler::blocked_processes() const {
  if (threads_ && !threads_->blocked_at_end.empty()) return threads_->blocked_at_end;
  std::vector<std::string> out;
  for (const auto& a : actors_)
    if (a->kind == ActorKind::process && a->state == State::blocked)
      out.push_back(a->name + " (waiting for " + a->what.data() + ")");
  return out;
}

}  // namespace xenrace
