#include "backends/sim/xenstore/xs_request_chooser.hpp"

#include <algorithm>
#include <sstream>

namespace xenrace::xs {

RequestChooser::RequestChooser(const StrategyOptions& options)
    : strategy_(make_strategy(options)), name_(options.name), seed_(options.seed) {
  strategy_->begin_execution(0);
}

RequestChooser::RequestChooser(std::vector<std::uint32_t> recorded) : replaying_(true), recorded_(std::move(recorded)) {}

std::optional<std::uint32_t> RequestChooser::choose(const std::vector<std::uint32_t>& waiting) {
  std::uint32_t pick = waiting.front();
  if (replaying_) {
    if (decisions_.size() < recorded_.size()) {
      const std::uint32_t want = recorded_[decisions_.size()];
      if (std::find(waiting.begin(), waiting.end(), want) == waiting.end()) return std::nullopt;
      pick = want;
    }
  } else {
    // Positions in `waiting` are the strategy's actors (at most 64 compete at once).
    const std::size_t n = std::min<std::size_t>(waiting.size(), kMaxActors);
    ActorMask mask = 0;
    ActorId current = kNoActor;
    for (std::size_t i = 0; i < n; ++i) {
      mask |= actor_bit(static_cast<ActorId>(i));
      if (waiting[i] == last_) current = static_cast<ActorId>(i);
    }
    const ActorId chosen =
        strategy_->pick_actor(PickContext{mask, current, decisions_.size(), static_cast<ActorId>(n)});
    pick = waiting[chosen < n ? chosen : 0];
  }
  decisions_.push_back(pick);
  last_ = pick;
  return pick;
}

std::uint32_t RequestChooser::give_up(const std::vector<std::uint32_t>& waiting) {
  diverged_ = true;
  decisions_.push_back(waiting.front());
  last_ = waiting.front();
  return waiting.front();
}

std::string RequestChooser::describe() const {
  if (replaying_) return "replay of " + std::to_string(recorded_.size()) + " decisions";
  return name_ + " seed " + std::to_string(seed_);
}

std::string RequestChooser::serialise() const {
  std::ostringstream out;
  out << "# xenrace serve-xenstore --scheduled: the client (numbered by connection order) served at each step, "
      << describe() << "\n";
  for (auto d : decisions_) out << d << "\n";
  return out.str();
}

std::vector<std::uint32_t> RequestChooser::parse(const std::string& text) {
  std::vector<std::uint32_t> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(static_cast<std::uint32_t>(std::stoul(line)));
  }
  return out;
}

}  // namespace xenrace::xs
