// Object keys: the streamed key of a prefix is the prefix's key (watches_read hashes every ancestor of a path
// in one pass and relies on it), whatever the prefix's length against the eight-byte words.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>

#include "runtime/footprint.hpp"

namespace xenrace {
namespace {

void expect_every_prefix_agrees(char kind, const std::string& name) {
  ObjectKeyStream stream(kind);
  EXPECT_EQ(stream.key(), object_key(kind, std::string_view())) << "the empty name";
  for (std::size_t n = 0; n < name.size(); ++n) {
    stream.feed(name[n]);
    ASSERT_EQ(stream.key(), object_key(kind, std::string_view(name).substr(0, n + 1)))
        << "kind " << kind << ", prefix of " << n + 1 << " bytes of " << name;
  }
}

TEST(ObjectKey, AStreamedPrefixHasThePrefixsKey) {
  for (char kind : {'n', 'w', 'd', '\0', '\xff'})
    expect_every_prefix_agrees(kind, "/local/domain/0/backend/pci/1/0/state-of-a-rather-long-node-name/x");
}

RC_GTEST_PROP(ObjectKey, AnyNameStreamsToItsKey, (char kind, const std::string& name)) {
  ObjectKeyStream stream(kind);
  for (char c : name) stream.feed(c);
  RC_ASSERT(stream.key() == object_key(kind, name));
}

// Not a proof of quality, but a key that ignored a byte, the kind or the length would fail it.
TEST(ObjectKey, NearbyNamesKindsAndNumbersGetDistinctKeys) {
  std::set<std::uint64_t> keys;
  std::size_t made = 0;
  const std::string base = "/local/domain/1/device/vbd/51712/state";
  for (char kind : {'n', 'd', 'w'}) {
    for (std::size_t n = 0; n <= base.size(); ++n, ++made) keys.insert(object_key(kind, base.substr(0, n)));
    for (std::size_t at = 0; at < base.size(); ++at, ++made) {
      std::string changed = base;
      changed[at] = static_cast<char>(changed[at] ^ 1);
      keys.insert(object_key(kind, changed));
    }
    for (std::uint64_t number = 0; number < 64; ++number, ++made) keys.insert(object_key(kind, number));
  }
  keys.insert(object_key('n', std::string_view("ab\0", 3)));
  keys.insert(object_key('n', std::string_view("ab", 2)));
  made += 2;
  EXPECT_EQ(keys.size(), made);
}

}  // namespace
}  // namespace xenrace
