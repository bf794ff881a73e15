#include "run/report_wire.hpp"

#include <bit>
#include <stdexcept>

namespace xenrace {
namespace {

void put_schedule(WireWriter& w, const Schedule& s) {
  w.u64(s.decisions.size());
  for (const auto& d : s.decisions) {
    w.u64(d.index);
    w.u64(static_cast<std::uint64_t>(d.kind));
    w.u64(d.value);
  }
  w.u64(s.total);
  w.u64(s.preempted);
}

Schedule get_schedule(WireReader& r) {
  Schedule s;
  s.decisions.resize(r.count(24));  // index, kind, value
  for (auto& d : s.decisions) {
    d.index = static_cast<std::uint32_t>(r.u64());
    d.kind = static_cast<ChoiceKind>(r.u64());
    d.value = static_cast<std::uint32_t>(r.u64());
  }
  s.total = static_cast<std::uint32_t>(r.u64());
  s.preempted = static_cast<std::uint32_t>(r.u64());
  return s;
}

void put_token(WireWriter& w, const std::optional<ReplayToken>& t) {
  w.u64(t.has_value());
  if (!t) return;
  w.str(t->version);
  w.str(t->scenario);
  w.str(t->variant);
  w.str(t->strategy);
  w.u64(t->seed);
  w.u64(t->params.size());
  for (const auto& [k, v] : t->params) {
    w.str(k);
    w.str(v);
  }
  put_schedule(w, t->schedule);
  w.u64(t->recorded.has_value());
  if (t->recorded) {
    w.u64(t->recorded->steps);
    w.u64(t->recorded->trace_hash);
  }
}

std::optional<ReplayToken> get_token(WireReader& r) {
  if (!r.u64()) return std::nullopt;
  ReplayToken t;
  t.version = r.str();
  t.scenario = r.str();
  t.variant = r.str();
  t.strategy = r.str();
  t.seed = r.u64();
  t.params.resize(r.count(16));  // key, value
  for (auto& [k, v] : t.params) {
    k = r.str();
    v = r.str();
  }
  t.schedule = get_schedule(r);
  if (r.u64()) {
    ExecutionFingerprint f;
    f.steps = r.u64();
    f.trace_hash = r.u64();
    t.recorded = f;
  }
  return t;
}

void put_strings(WireWriter& w, const std::vector<std::string>& v) {
  w.u64(v.size());
  for (const auto& s : v) w.str(s);
}

std::vector<std::string> get_strings(WireReader& r) {
  std::vector<std::string> v(r.count(8));  // each string has its 8-byte length
  for (auto& s : v) s = r.str();
  return v;
}

void put_execution(WireWriter& w, const ExecutionResult& e) {
  w.u64(static_cast<std::uint64_t>(e.outcome));
  w.str(e.check);
  w.str(e.message);
  w.u64(e.steps);
  w.u64(e.trace_hash);
  put_schedule(w, e.schedule);
  w.u64(e.events.size());
  for (const auto& ev : e.events) {
    w.u64(ev.step);
    w.u64(ev.actor);
    w.u64(ev.time);
    w.str(ev.op);
    w.str(ev.args);
    w.str(ev.result);
  }
  put_strings(w, e.actors);
  w.str(e.inconclusive);
  put_strings(w, e.unchecked);
  put_strings(w, e.not_modelled);
  w.u64(e.pruned);
}

ExecutionResult get_execution(WireReader& r) {
  ExecutionResult e;
  e.outcome = static_cast<Outcome>(r.u64());
  e.check = r.str();
  e.message = r.str();
  e.steps = r.u64();
  e.trace_hash = r.u64();
  e.schedule = get_schedule(r);
  e.events.resize(r.count(48));  // step, actor, time, op, args, result
  for (auto& ev : e.events) {
    ev.step = r.u64();
    ev.actor = static_cast<ActorId>(r.u64());
    ev.time = r.u64();
    ev.op = r.str();
    ev.args = r.str();
    ev.result = r.str();
  }
  e.actors = get_strings(r);
  e.inconclusive = r.str();
  e.unchecked = get_strings(r);
  e.not_modelled = get_strings(r);
  e.pruned = r.u64() != 0;
  return e;
}

}  // namespace

void WireWriter::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void WireWriter::f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }

void WireWriter::str(std::string_view s) {
  u64(s.size());
  out_.append(s);
}

void WireWriter::report(const VariantReport& r) {
  str(r.scenario);
  str(r.variant);
  u64(static_cast<std::uint64_t>(r.expect));
  str(r.strategy);
  u64(r.seed);
  u64(r.failed);
  u64(r.executions);
  u64(r.pruned);
  u64(r.steps);
  u64(r.trace_hash);
  str(r.message);
  put_token(*this, r.replay);
  put_token(*this, r.busiest_pass);
  u64(r.first_failure_steps);
  u64(r.shrink_runs);
  u64(r.shrink_budget);
  u64(r.shrink_cut_short);
  str(r.fewer);
  str(r.also_fails);
  u64(r.count_runs);
  u64(r.exhausted);
  put_execution(*this, r.failure);
  u64(r.budget);
  u64(r.exhaustive);
  str(r.scope);
  u64(r.shard_index);
  u64(r.shard_count);
  u64(r.first_index);
  u64(r.verifying);
  u64(r.unbounded_unfinished_after);
  str(r.skipped);
  put_strings(*this, r.not_modelled);
}

std::uint64_t WireReader::u64() {
  if (in_.size() - at_ < 8) throw std::runtime_error("a worker's report ended early");
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(in_[at_ + i])} << (8 * i);
  at_ += 8;
  return v;
}

std::uint64_t WireReader::count(std::size_t min_bytes) {
  const std::uint64_t n = u64();
  if (min_bytes != 0 && n > (in_.size() - at_) / min_bytes) throw std::runtime_error("a worker's report ended early");
  return n;
}

double WireReader::f64() { return std::bit_cast<double>(u64()); }

std::string WireReader::str() {
  const std::uint64_t n = u64();
  if (in_.size() - at_ < n) throw std::runtime_error("a worker's report ended early");
  std::string s(in_.substr(at_, n));
  at_ += n;
  return s;
}

VariantReport WireReader::report() {
  VariantReport r;
  r.scenario = str();
  r.variant = str();
  r.expect = static_cast<Expect>(u64());
  r.strategy = str();
  r.seed = u64();
  r.failed = u64() != 0;
  r.executions = u64();
  r.pruned = u64();
  r.steps = u64();
  r.trace_hash = u64();
  r.message = str();
  r.replay = get_token(*this);
  r.busiest_pass = get_token(*this);
  r.first_failure_steps = u64();
  r.shrink_runs = u64();
  r.shrink_budget = u64();
  r.shrink_cut_short = u64() != 0;
  r.fewer = str();
  r.also_fails = str();
  r.count_runs = u64();
  r.exhausted = u64() != 0;
  r.failure = get_execution(*this);
  r.budget = u64();
  r.exhaustive = u64() != 0;
  r.scope = str();
  r.shard_index = static_cast<unsigned>(u64());
  r.shard_count = static_cast<unsigned>(u64());
  r.first_index = u64();
  r.verifying = u64() != 0;
  r.unbounded_unfinished_after = u64();
  r.skipped = str();
  r.not_modelled = get_strings(*this);
  return r;
}

}  // namespace xenrace
