// The real libxenstore (xs_open with XENSTORED_PATH) against `serve-xenstore`'s server.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <xenstore.h>
}

#include "server_fixture.hpp"

namespace xenrace::xs {
namespace {

struct Handle {
  xs_handle* h = xs_open(0);
  ~Handle() {
    if (h) xs_close(h);
  }
};

std::string read_str(xs_handle* h, xs_transaction_t t, const char* path, int* err = nullptr) {
  unsigned len = 0;
  errno = 0;
  char* v = static_cast<char*>(xs_read(h, t, path, &len));
  if (err) *err = v ? 0 : errno;
  std::string out = v ? std::string(v, len) : "<null>";
  std::free(v);
  return out;
}

std::vector<std::string> list(xs_handle* h, const char* path) {
  unsigned n = 0;
  char** v = xs_directory(h, XBT_NULL, path, &n);
  std::vector<std::string> out;
  for (unsigned i = 0; v && i < n; ++i) out.emplace_back(v[i]);
  std::free(v);
  return out;
}

using LibXenstore = ServerFixture;

TEST_F(LibXenstore, ReadWriteDirectoryRm) {
  Handle x;
  ASSERT_NE(x.h, nullptr) << "xs_open failed: " << std::strerror(errno);
  ASSERT_TRUE(xs_write(x.h, XBT_NULL, "/vm/b", "2", 1));
  ASSERT_TRUE(xs_write(x.h, XBT_NULL, "/vm/a", "1", 1));
  EXPECT_EQ(read_str(x.h, XBT_NULL, "/vm/a"), "1");
  EXPECT_EQ(list(x.h, "/vm"), (std::vector<std::string>{"b", "a"}));
  ASSERT_TRUE(xs_mkdir(x.h, XBT_NULL, "/vm/c"));
  EXPECT_EQ(read_str(x.h, XBT_NULL, "/vm/c"), "");
  ASSERT_TRUE(xs_rm(x.h, XBT_NULL, "/vm"));
  int err = 0;
  EXPECT_EQ(read_str(x.h, XBT_NULL, "/vm/a", &err), "<null>");
  EXPECT_EQ(err, ENOENT);
  EXPECT_FALSE(xs_write(x.h, XBT_NULL, "/bad//path", "1", 1));
  EXPECT_EQ(errno, EINVAL);
  // Relative paths of socket clients hang from /local/domain/0, as the block script relies on.
  ASSERT_TRUE(xs_write(x.h, XBT_NULL, "backend/vbd/1/state", "2", 1));
  EXPECT_EQ(read_str(x.h, XBT_NULL, "/local/domain/0/backend/vbd/1/state"), "2");
}

TEST_F(LibXenstore, LongDirectoriesFallBackToDirectoryPart) {
  Handle x;
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    names.push_back("child-with-a-rather-long-name-" + std::to_string(i));
    ASSERT_TRUE(xs_write(x.h, XBT_NULL, ("/big/" + names.back()).c_str(), "", 0));
  }
  EXPECT_EQ(list(x.h, "/big"), names);  // > 4096 bytes: DIRECTORY gives E2BIG, libxenstore pages
}

TEST_F(LibXenstore, Permissions) {
  Handle x;
  // Entries count only for domains that exist: as a toolstack does, introduce them first.
  ASSERT_TRUE(xs_introduce_domain(x.h, 5, 1, 1));
  ASSERT_TRUE(xs_introduce_domain(x.h, 6, 1, 1));
  ASSERT_TRUE(xs_write(x.h, XBT_NULL, "/p", "v", 1));
  xs_permissions perms[2] = {{0, XS_PERM_NONE}, {5, XS_PERM_READ}};
  ASSERT_TRUE(xs_set_permissions(x.h, XBT_NULL, "/p", perms, 2));
  unsigned n = 0;
  xs_permissions* got = xs_get_permissions(x.h, XBT_NULL, "/p", &n);
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(got[1].id, 5u);
  EXPECT_EQ(got[1].perms, XS_PERM_READ);
  std::free(got);
  server->server().with_store([](Store& s) {
    ConnId d5 = s.open_connection(5), d6 = s.open_connection(6);
    EXPECT_EQ(s.read(d5, kNoTx, "/p").value, "v");
    EXPECT_EQ(s.read(d6, kNoTx, "/p").err, EACCES);
    return 0;
  });
}

TEST_F(LibXenstore, WatchFiresOnceAtRegistrationThenOnChanges) {
  Handle watcher, writer;
  ASSERT_TRUE(xs_watch(watcher.h, "/w", "tok"));
  unsigned n = 0;
  char** ev = xs_read_watch(watcher.h, &n);
  ASSERT_NE(ev, nullptr);
  EXPECT_STREQ(ev[XS_WATCH_PATH], "/w");
  EXPECT_STREQ(ev[XS_WATCH_TOKEN], "tok");
  std::free(ev);
  ASSERT_TRUE(xs_write(writer.h, XBT_NULL, "/w/x", "1", 1));
  ev = xs_read_watch(watcher.h, &n);
  ASSERT_NE(ev, nullptr);
  EXPECT_STREQ(ev[XS_WATCH_PATH], "/w/x");
  std::free(ev);
  EXPECT_TRUE(xs_unwatch(watcher.h, "/w", "tok"));
  EXPECT_FALSE(xs_unwatch(watcher.h, "/w", "tok"));
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(LibXenstore, ConflictingTransactionGetsEagain) {
  Handle a, b;
  ASSERT_TRUE(xs_write(a.h, XBT_NULL, "/num_devs", "0", 1));
  xs_transaction_t t = xs_transaction_start(a.h);
  ASSERT_NE(t, XBT_NULL);
  EXPECT_EQ(read_str(a.h, t, "/num_devs"), "0");
  ASSERT_TRUE(xs_write(a.h, t, "/dev-0", "A", 1));
  ASSERT_TRUE(xs_write(b.h, XBT_NULL, "/num_devs", "1", 1));
  EXPECT_EQ(read_str(a.h, t, "/num_devs"), "0");  // repeatable inside the transaction
  errno = 0;
  EXPECT_FALSE(xs_transaction_end(a.h, t, false));
  EXPECT_EQ(errno, EAGAIN);
  int err = 0;
  read_str(b.h, XBT_NULL, "/dev-0", &err);
  EXPECT_EQ(err, ENOENT);
  // Retried on fresh data, it commits.
  t = xs_transaction_start(a.h);
  EXPECT_EQ(read_str(a.h, t, "/num_devs"), "1");
  ASSERT_TRUE(xs_write(a.h, t, "/dev-1", "A", 1));
  EXPECT_TRUE(xs_transaction_end(a.h, t, false));
  EXPECT_EQ(read_str(b.h, XBT_NULL, "/dev-1"), "A");
}

TEST_F(LibXenstore, DomainsAndSpecialWatches) {
  Handle x, w;
  ASSERT_TRUE(xs_watch(w.h, "@introduceDomain", "i"));
  ASSERT_TRUE(xs_watch(w.h, "@releaseDomain", "r"));
  unsigned n = 0;
  for (int i = 0; i < 2; ++i) std::free(xs_read_watch(w.h, &n));
  ASSERT_TRUE(xs_introduce_domain(x.h, 7, 0x1234, 5));
  EXPECT_TRUE(xs_is_domain_introduced(x.h, 7));
  char* path = xs_get_domain_path(x.h, 7);
  EXPECT_STREQ(path, "/local/domain/7");
  std::free(path);
  char** ev = xs_read_watch(w.h, &n);
  EXPECT_STREQ(ev[XS_WATCH_PATH], "@introduceDomain");
  std::free(ev);
  ASSERT_TRUE(xs_release_domain(x.h, 7));
  EXPECT_FALSE(xs_is_domain_introduced(x.h, 7));
  ev = xs_read_watch(w.h, &n);
  EXPECT_STREQ(ev[XS_WATCH_PATH], "@releaseDomain");
  std::free(ev);
}

TEST_F(LibXenstore, ClientDyingMidTransactionLeavesNothing) {
  {
    Handle a;
    xs_transaction_t t = xs_transaction_start(a.h);
    ASSERT_TRUE(xs_write(a.h, t, "/half-done", "1", 1));
  }  // closed without ending the transaction
  Handle b;
  int err = 0;
  read_str(b.h, XBT_NULL, "/half-done", &err);
  EXPECT_EQ(err, ENOENT);
}

}  // namespace
}  // namespace xenrace::xs
