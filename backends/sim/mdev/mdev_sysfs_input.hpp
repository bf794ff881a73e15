// What the mdev sysfs store methods accept, as drivers/vfio/mdev/mdev_sysfs.c parses it.
//
// create_store: the write must be 36 or 37 bytes (UUID_STRING_LEN, or one more for a newline),
// else EINVAL; the first 36 bytes must be a UUID (guid_parse: 8-4-4-4-12 hex digits, either case),
// else EINVAL. The device is named with "%pUl", so the name is the lower-case form:
//   "6b3f0d4c-8e5a-4c52-9d7e-2f1a0b3c4d5e"    -> the same name
//   "6B3F0D4C-8E5A-4C52-9D7E-2F1A0B3C4D5E\n"  -> "6b3f0d4c-..." (upper case and newline accepted)
//   "6b3f0d4c8e5a4c529d7e2f1a0b3c4d5e"        -> EINVAL (32 bytes)
// remove_store: kstrtoul(buf, 0): decimal, 0x-hex or 0-octal, one trailing newline allowed, else
// EINVAL. Zero is a no-op that still succeeds:
//   "1" "1\n" "0x1" -> 1;  "0" -> 0;  "" "yes" "1 " -> EINVAL
#pragma once
#include <string>
#include <string_view>

#include "world/result.hpp"

namespace xenrace {

Result<std::string> parse_mdev_create_text(std::string_view text);
Result<unsigned long> parse_mdev_remove_text(std::string_view text);

}  // namespace xenrace
