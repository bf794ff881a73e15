// The progress of a long exploration on stderr: executions done out of the budget, the rate and how long
// is left at most (exploration stops at the first failure). On a terminal it is one line, rewritten in
// place; in a log (CI) it is a plain line at most every `interval` seconds per variant, so a 10-minute job
// still says that it is alive and how far it got. It reads the wall clock and only writes to stderr: it
// never feeds back into exploration, so traces and JSON are the same with and without it.
#pragma once
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace xenrace::cli {

class Progress {
 public:
  // interval: seconds between lines in a log (0: at every update). On a terminal the line is redrawn at
  // most a few times a second.
  Progress(std::ostream& out, bool terminal, double interval) : out_(out), terminal_(terminal), interval_(interval) {}

  // `unit`: what is counted ("executions", or "variants" when workers run whole variants).
  void start(std::string label, std::string unit = "executions");
  void update(std::uint64_t done, std::uint64_t budget);
  void finish();  // clears the terminal line

  // "1200/50000 executions, 4100 executions/s, ETA at most 12s"
  static std::string describe(std::uint64_t done, std::uint64_t budget, double seconds,
                              const std::string& unit = "executions");

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool terminal_;
  double interval_;
  std::string label_;
  std::string unit_ = "executions";
  Clock::time_point started_{};
  Clock::time_point last_{};
  bool drawn_ = false;
};

// "8.3 s", "2 min 05 s"
std::string format_duration(double seconds);

}  // namespace xenrace::cli
