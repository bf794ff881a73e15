// Scheduled mode of the socket server: when several real clients have a request waiting, a Strategy
// (the same random/pct/dfs policies the simulator uses, seeded) decides whose request is applied next.
// Every decision is recorded as the chosen client's number (clients are numbered 1, 2, ... in the
// order they connect), so a run can be written out and replayed: replaying waits for the recorded
// client's request before applying anything.
//
//   clients #1 and #2 both have a WRITE waiting; strategy random seed 7 picks #2: decision "2";
//   #2's reply goes out, #1's WRITE still waits and competes with #2's next request.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/strategy.hpp"

namespace xenrace::xs {

class RequestChooser {
 public:
  explicit RequestChooser(const StrategyOptions& options);
  explicit RequestChooser(std::vector<std::uint32_t> recorded);  // replay

  // `waiting`: numbers of the clients with a request ready, ascending (never empty). Returns the client
  // to serve, or nullopt while replaying and the recorded client has not sent its request yet.
  std::optional<std::uint32_t> choose(const std::vector<std::uint32_t>& waiting);
  // Replay only: the recorded client never came; serve the default choice and note the divergence.
  std::uint32_t give_up(const std::vector<std::uint32_t>& waiting);

  bool replaying() const { return replaying_; }
  bool diverged() const { return diverged_; }
  const std::vector<std::uint32_t>& decisions() const { return decisions_; }
  std::string describe() const;  // "pct seed 3" or "replay of 12 decisions"
  // "# comment\n2\n1\n..." and back.
  std::string serialise() const;
  static std::vector<std::uint32_t> parse(const std::string& text);

 private:
  std::unique_ptr<Strategy> strategy_;
  std::string name_;
  std::uint64_t seed_ = 0;
  bool replaying_ = false;
  bool diverged_ = false;
  std::vector<std::uint32_t> recorded_;
  std::vector<std::uint32_t> decisions_;
  std::uint32_t last_ = 0;
};

}  // namespace xenrace::xs
