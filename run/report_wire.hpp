// A VariantReport as bytes and back, exactly: how a worker process of `explore --jobs N` hands its result
// to the parent (run/workers.hpp). Every field round-trips bit for bit, trace text included (no UTF-8
// clean-up, unlike JSON), so what the parent prints and writes is what one process would have. The format
// is private to one build: both ends are the same binary.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "run/explorer.hpp"

namespace xenrace {

class WireWriter {
 public:
  void u64(std::uint64_t v);
  void f64(double v);
  void str(std::string_view s);
  void report(const VariantReport& r);
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

// Throws std::runtime_error on bytes that end early.
class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  std::uint64_t u64();
  double f64();
  std::string str();
  // A count of items that take at least `min_bytes` each: checked against what is left before anyone
  // allocates for it, so a corrupt count is "ended early", not a huge allocation.
  std::uint64_t count(std::size_t min_bytes);
  VariantReport report();
  bool done() const { return at_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace xenrace
