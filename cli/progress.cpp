#include "cli/progress.hpp"

#include <cmath>

#include <fmt/format.h>

namespace xenrace::cli {

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const auto whole = static_cast<std::uint64_t>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, whole % 3600 / 60);
}

std::string Progress::describe(std::uint64_t done, std::uint64_t budget, double seconds, const std::string& unit) {
  std::string text = fmt::format("{}/{} {}", done, budget, unit);
  if (seconds <= 0 || done == 0) return text;
  const double rate = static_cast<double>(done) / seconds;
  text += fmt::format(", {:.{}f} {}/s", rate, unit == "executions" ? 0 : 2, unit);
  if (budget > done) text += ", ETA at most " + format_duration(static_cast<double>(budget - done) / rate);
  return text;
}

void Progress::start(std::string label, std::string unit) {
  label_ = std::move(label);
  unit_ = std::move(unit);
  started_ = last_ = Clock::now();
  drawn_ = false;
}

void Progress::update(std::uint64_t done, std::uint64_t budget) {
  const auto now = Clock::now();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  // A terminal shows the line at once, then redraws it a few times a second; a log gets a line per interval.
  if (terminal_ ? drawn_ && since_last < 0.2 : since_last < interval_) return;
  last_ = now;
  const std::string text =
      fmt::format("{}: {}", label_, describe(done, budget, std::chrono::duration<double>(now - started_).count(), unit_));
  if (terminal_) {
    out_ << "\r\033[K" << text << std::flush;
    drawn_ = true;
  } else {
    out_ << "progress: " << text << "\n" << std::flush;
  }
}

void Progress::finish() {
  if (terminal_ && drawn_) out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace xenrace::cli
