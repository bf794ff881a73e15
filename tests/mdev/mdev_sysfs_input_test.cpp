#include <gtest/gtest.h>

#include "backends/sim/mdev/mdev_sysfs_input.hpp"

namespace xenrace {
namespace {

constexpr const char* kUuid = "6b3f0d4c-8e5a-4c52-9d7e-2f1a0b3c4d5e";

TEST(MdevCreateText, AcceptsTheUuidWithOrWithoutNewline) {
  EXPECT_EQ(parse_mdev_create_text(kUuid).value, kUuid);
  EXPECT_EQ(parse_mdev_create_text(std::string(kUuid) + "\n").value, kUuid);
}

TEST(MdevCreateText, NamesTheDeviceInLowerCase) {
  EXPECT_EQ(parse_mdev_create_text("6B3F0D4C-8E5A-4C52-9D7E-2F1A0B3C4D5E\n").value, kUuid);
}

TEST(MdevCreateText, RejectsOtherLengthsAndShapes) {
  EXPECT_EQ(parse_mdev_create_text("6b3f0d4c8e5a4c529d7e2f1a0b3c4d5e").err, EINVAL);        // 32 bytes
  EXPECT_EQ(parse_mdev_create_text(std::string(kUuid) + "\n\n").err, EINVAL);             // 38 bytes
  EXPECT_EQ(parse_mdev_create_text("6b3f0d4c-8e5a-4c52-9d7e-2f1a0b3c4d5g").err, EINVAL);  // not hex
  EXPECT_EQ(parse_mdev_create_text("6b3f0d4c+8e5a-4c52-9d7e-2f1a0b3c4d5e").err, EINVAL);  // no dash
  EXPECT_EQ(parse_mdev_create_text("").err, EINVAL);
}

TEST(MdevRemoveText, ParsesLikeKstrtoulBaseZero) {
  EXPECT_EQ(parse_mdev_remove_text("1").value, 1u);
  EXPECT_EQ(parse_mdev_remove_text("1\n").value, 1u);
  EXPECT_EQ(parse_mdev_remove_text("0x1").value, 1u);
  EXPECT_EQ(parse_mdev_remove_text("010").value, 8u);
  EXPECT_TRUE(parse_mdev_remove_text("0").ok());
  EXPECT_EQ(parse_mdev_remove_text("0").value, 0u);
}

TEST(MdevRemoveText, RejectsWhatKstrtoulRejects) {
  for (const char* bad : {"", "\n", "yes", "1 ", "-1", "0x", "08", "1\n\n"})
    EXPECT_EQ(parse_mdev_remove_text(bad).err, EINVAL) << '"' << bad << '"';
}

}  // namespace
}  // namespace xenrace
