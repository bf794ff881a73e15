// Shared by the worked-example tests of the simulated XenStore.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

using Events = std::vector<std::pair<std::string, std::string>>;

inline Events drain(Store& s, ConnId c) {
  Events out;
  while (auto e = s.pop_event(c)) out.emplace_back(e->path, e->token);
  return out;
}

inline XsPerms perms(std::initializer_list<const char*> texts) {
  XsPerms out;
  for (const char* t : texts) {
    XsPerm p;
    EXPECT_TRUE(parse_perm(t, p)) << t;
    out.push_back(p);
  }
  return out;
}

inline StoreOptions guest_domains_exist() {
  StoreOptions o;
  o.every_domain_exists = true;
  return o;
}

struct StoreTest : ::testing::Test {
  // The worked examples name guest domains without creating them, as scenarios do.
  Store s{guest_domains_exist()};
  ConnId dom0 = s.open_connection(0);
  ConnId other = s.open_connection(0);
};

}  // namespace xenrace::xs
