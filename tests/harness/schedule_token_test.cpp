#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "runtime/schedule.hpp"
#include "runtime/types.hpp"

namespace xenrace {
namespace {

ReplayToken sample() {
  ReplayToken t;
  t.version = "0.1.0";
  t.scenario = "pci-attach";
  t.variant = "buggy";
  t.strategy = "pct";
  t.seed = 42;
  t.params = {{"faults", "xenstore/write"}, {"max-faults", "1"}};
  t.schedule.total = 40;
  t.schedule.decisions = {{3, ChoiceKind::actor, 1}, {17, ChoiceKind::fault, 1}, {39, ChoiceKind::data, 300}};
  return t;
}

TEST(ReplayToken, RoundTripKeepsEveryField) {
  ReplayToken t = sample();
  ReplayToken back = ReplayToken::decode(t.encode());
  EXPECT_EQ(back.version, t.version);
  EXPECT_EQ(back.scenario, t.scenario);
  EXPECT_EQ(back.variant, t.variant);
  EXPECT_EQ(back.strategy, t.strategy);
  EXPECT_EQ(back.seed, t.seed);
  EXPECT_EQ(back.params, t.params);
  EXPECT_EQ(back.schedule, t.schedule);
  EXPECT_EQ(back.recorded, std::nullopt);
}

TEST(ReplayToken, RoundTripKeepsTheFingerprint) {
  ReplayToken t = sample();
  t.recorded = ExecutionFingerprint{1234, 0xfedcba9876543210ULL};
  ReplayToken back = ReplayToken::decode(t.encode());
  ASSERT_TRUE(back.recorded.has_value());
  EXPECT_EQ(*back.recorded, *t.recorded);
  EXPECT_EQ(back.schedule, t.schedule);
}

// A token printed before the fingerprint (format 1) still decodes, without one: demo-counter/buggy as
// `xenrace explore --all --json` printed it.
constexpr const char* kFormat1Token = "xr1-AQUwLjEuMAxkZW1vLWNvdW50ZXIFYnVnZ3kDcGN0AQADAQEAAX4_n3I";

TEST(ReplayToken, ReadsFormat1WithoutFingerprint) {
  ReplayToken t = ReplayToken::decode(kFormat1Token);
  EXPECT_EQ(t.scenario, "demo-counter");
  EXPECT_EQ(t.variant, "buggy");
  EXPECT_FALSE(t.schedule.decisions.empty());
  EXPECT_EQ(t.recorded, std::nullopt);
}

TEST(ReplayToken, IsOneShortPrintableWord) {
  std::string s = sample().encode();
  EXPECT_EQ(s.rfind("xr1-", 0), 0u);
  for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  EXPECT_LT(s.size(), 120u);
}

TEST(ReplayToken, ToleratesTrailingNewline) { EXPECT_NO_THROW(ReplayToken::decode(sample().encode() + "\n")); }

void expect_rejected(const std::string& text, const std::string& needle) {
  try {
    ReplayToken::decode(text);
    FAIL() << "accepted: " << text;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ReplayToken, RejectsWrongPrefix) { expect_rejected("xr2-AAAA", "must start with"); }
TEST(ReplayToken, RejectsNonBase64) { expect_rejected("xr1-AB*D", "not base64url"); }
TEST(ReplayToken, RejectsTruncation) {
  std::string s = sample().encode();
  for (std::size_t cut = 5; cut < s.size(); cut += 3) EXPECT_THROW(ReplayToken::decode(s.substr(0, cut)), UsageError);
}
TEST(ReplayToken, RejectsAlteredCharacter) {
  std::string s = sample().encode();
  s[10] = s[10] == 'A' ? 'B' : 'A';
  expect_rejected(s, "checksum");
}
TEST(ReplayToken, RejectsEmpty) { expect_rejected("", "must start with"); }

RC_GTEST_PROP(ReplayTokenProperty, AnyScheduleRoundTrips,
              (std::string scenario, std::uint64_t seed, std::vector<std::uint32_t> gaps)) {
  ReplayToken t;
  t.version = "0.1.0";
  t.scenario = scenario;
  t.variant = "v";
  t.strategy = "random";
  t.seed = seed;
  std::uint32_t index = 0;
  for (std::uint32_t g : gaps) {
    index += g % 1000;
    t.schedule.decisions.push_back({index, static_cast<ChoiceKind>(g % 3), g});
    ++index;
  }
  t.schedule.total = index + 1;
  ReplayToken back = ReplayToken::decode(t.encode());
  RC_ASSERT(back.scenario == t.scenario);
  RC_ASSERT(back.seed == t.seed);
  RC_ASSERT(back.schedule == t.schedule);
}

}  // namespace
}  // namespace xenrace
