// The strict diskseq parser of the review (seed 002) and the physical-device syntaxes, as examples and
// rapidcheck properties.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "backends/sim/blkback/physical_device.hpp"

namespace xenrace {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

rc::Gen<char> hex_digit(bool allow_zero) {
  return rc::gen::element('1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'F',
                          allow_zero ? '0' : '9');
}

TEST(Diskseq, WorkedExamples) {
  DiskseqError why;
  EXPECT_EQ(parse_diskseq("", &why).err, EFAULT);
  EXPECT_STREQ(why.message, "diskseq must not be empty");
  EXPECT_EQ(parse_diskseq("12345678901234567").err, ERANGE);
  EXPECT_EQ(parse_diskseq("0").err, ERANGE);
  EXPECT_EQ(parse_diskseq("0a").err, ERANGE);
  EXPECT_EQ(parse_diskseq("1f").value, 0x1fu);
  EXPECT_EQ(parse_diskseq("FFFFFFFFFFFFFFFF").value, UINT64_MAX);
  for (const char* junk : {"1g", "1 ", "+1", "1\n", "0x1"}) EXPECT_NE(parse_diskseq(junk).err, 0) << junk;
  EXPECT_EQ(parse_diskseq("1g", &why).err, EINVAL);
  EXPECT_STREQ(why.message, "invalid diskseq");
}

RC_GTEST_PROP(DiskseqProperties, EveryNonZeroValueRoundTrips, (std::uint64_t v)) {
  RC_PRE(v != 0);
  auto r = parse_diskseq(format_diskseq(v));
  RC_ASSERT(r.ok());
  RC_ASSERT(r.value == v);
  std::string upper = fmt::format("{:X}", v);
  RC_ASSERT(parse_diskseq(upper).value == v);
}

RC_GTEST_PROP(DiskseqProperties, EmptyIsRefused, ()) { RC_ASSERT(parse_diskseq("").err == EFAULT); }

RC_GTEST_PROP(DiskseqProperties, SeventeenOrMoreCharactersAreTooLong, (std::string tail)) {
  const std::string text = *rc::gen::container<std::string>(17, hex_digit(true)) + tail;
  RC_ASSERT(parse_diskseq(text).err == ERANGE);
}

RC_GTEST_PROP(DiskseqProperties, ALeadingZeroIsRefused, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(0, 16);
  const std::string text = "0" + *rc::gen::container<std::string>(n, hex_digit(true));
  RC_ASSERT(parse_diskseq(text).err == ERANGE);
}

RC_GTEST_PROP(DiskseqProperties, TrailingJunkIsRefused, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(0, 15);
  const std::string digits = std::string(1, *hex_digit(false)) + *rc::gen::container<std::string>(n, hex_digit(true));
  const char junk = *rc::gen::suchThat<char>([](char c) { return !is_hex(c); });
  const auto cut = *rc::gen::inRange<std::size_t>(1, digits.size() + 1);
  std::string text = digits.substr(0, cut) + junk + digits.substr(cut);
  if (text.size() > 16) text.resize(16);
  RC_PRE(text.find(junk) != std::string::npos);
  RC_ASSERT(parse_diskseq(text).err == EINVAL);
}

RC_GTEST_PROP(DiskseqProperties, AcceptsExactlyTheStrictLanguage, (std::string text)) {
  const bool strict = !text.empty() && text.size() <= 16 && text[0] != '0' &&
                      std::all_of(text.begin(), text.end(), is_hex);
  RC_ASSERT(parse_diskseq(text).ok() == strict);
}

TEST(PhysicalDevice, MajorMinorAsXenbusScanfReadsIt) {
  EXPECT_EQ(parse_major_minor("7:a").value, (PhysicalDevice{7, 10, 0}));
  EXPECT_EQ(parse_major_minor(" 7:0x1f").value, (PhysicalDevice{7, 31, 0}));
  EXPECT_EQ(parse_major_minor("7:1junk").value, (PhysicalDevice{7, 1, 0}));
  EXPECT_EQ(parse_major_minor("fd:3").value, (PhysicalDevice{0xfd, 3, 0}));
  EXPECT_EQ(parse_major_minor("7").err, EINVAL);
  EXPECT_EQ(parse_major_minor(":1").err, EINVAL);
  EXPECT_EQ(parse_major_minor("").err, EINVAL);
  EXPECT_EQ(format_major_minor(7, 10), "7:a");
}

TEST(PhysicalDevice, DiskseqInsidePhysicalDevice) {
  EXPECT_EQ(parse_physical_device_with_diskseq("1f@7:a").value, (PhysicalDevice{7, 10, 0x1f}));
  EXPECT_EQ(parse_physical_device_with_diskseq("7:a").value, (PhysicalDevice{7, 10, 0}));
  EXPECT_EQ(parse_physical_device_with_diskseq("0@7:a").err, ERANGE);
  EXPECT_EQ(parse_physical_device_with_diskseq("@7:a").err, EFAULT);
  EXPECT_EQ(parse_physical_device_with_diskseq("1f@7:a ").err, EINVAL);
  EXPECT_EQ(parse_physical_device_with_diskseq("1f@7:123456789").err, EINVAL);
  EXPECT_EQ(parse_physical_device_with_diskseq("1f@7").err, EINVAL);
}

RC_GTEST_PROP(PhysicalDeviceProperties, FormattedValuesRoundTrip, (std::uint64_t seq, std::uint32_t major, std::uint32_t minor)) {
  RC_PRE(seq != 0);
  const std::string text = format_diskseq(seq) + "@" + format_major_minor(major, minor);
  auto r = parse_physical_device_with_diskseq(text);
  RC_ASSERT(r.ok());
  RC_ASSERT(r.value == (PhysicalDevice{major, minor, seq}));
  RC_ASSERT(parse_major_minor(format_major_minor(major, minor)).value == (PhysicalDevice{major, minor, 0}));
}

}  // namespace
}  // namespace xenrace
