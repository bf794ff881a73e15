#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {

namespace {
const char* kind_name(ChoiceKind k) {
  switch (k) {
    case ChoiceKind::actor: return "actor";
    case ChoiceKind::data: return "data";
    case ChoiceKind::fault: return "fault";
  }
  return "?";
}
}  // namespace

const Decision* ReplayStrategy::take() {
  const std::uint32_t index = index_++;
  if (next_ < schedule_.decisions.size() && schedule_.decisions[next_].index == index)
    return &schedule_.decisions[next_++];
  return nullptr;
}

void ReplayStrategy::diverge(const Decision& d, const std::string& what) {
  if (!diverged_)
    why_ = "recorded decision " + std::to_string(d.index) + " (" + kind_name(d.kind) + " " + std::to_string(d.value) +
           ") " + what;
  diverged_ = true;
}

ActorId ReplayStrategy::pick_actor(const PickContext& ctx) {
  const Decision* d = take();
  if (!d) return default_pick(ctx);
  if (d->kind != ChoiceKind::actor) {
    diverge(*d, "met an actor pick");
    return default_pick(ctx);
  }
  if (d->value >= kMaxActors || !(ctx.runnable & actor_bit(d->value))) {
    diverge(*d, "picks an actor that was not runnable");
    return default_pick(ctx);
  }
  return static_cast<ActorId>(d->value);
}

std::uint32_t ReplayStrategy::pick_value(std::uint32_t n, ChoiceKind kind) {
  const Decision* d = take();
  if (!d) return 0;
  if (d->kind != kind) {
    diverge(*d, std::string("met a ") + kind_name(kind) + " choice");
    return 0;
  }
  if (d->value >= n) {
    diverge(*d, "is out of range: the choice had " + std::to_string(n) + " values");
    return 0;
  }
  return d->value;
}

std::string ReplayStrategy::divergence() const {
  if (diverged_) return why_;
  if (next_ < schedule_.decisions.size())
    return "the execution ended after " + std::to_string(index_) + " decisions; " +
           std::to_string(schedule_.decisions.size() - next_) + " recorded decision(s) from decision " +
           std::to_string(schedule_.decisions[next_].index) + " on were never reached";
  if (index_ != schedule_.total)
    return "the execution asked " + std::to_string(index_) + " decisions, the recorded one " +
           std::to_string(schedule_.total);
  return "";
}

}  // namespace xenrace
