// Debian's xenstore-utils CLIs (tools/xs-clients/xenstore_client.c) against the server: outputs,
// exit codes and error messages are those they print against a real C xenstored, because they come
// from the same replies (ENOENT, EACCES...) turned into text by the client.
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "server_fixture.hpp"

extern char** environ;

namespace xenrace::xs {
namespace {

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

bool have(const std::string& tool) { return ::access(("/usr/bin/" + tool).c_str(), X_OK) == 0; }

// Runs /usr/bin/<argv[0]> to completion, with XENSTORED_PATH from the fixture's environment.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int out[2], err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    std::vector<char*> argv;
    const std::string path = "/usr/bin/" + args[0];
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, path.c_str(), &fa, nullptr, argv.data(), environ) != 0) throw std::runtime_error("spawn");
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  // One line of stdout (without '\n'); empty at EOF.
  std::string line() {
    std::string s;
    char c;
    while (::read(out_, &c, 1) == 1 && c != '\n') s.push_back(c);
    return s;
  }
  Ran finish() {
    Ran r;
    r.out = drain(out_);
    r.err = drain(err_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
  }

 private:
  static std::string drain(int fd) {
    std::string s;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return s;
  }
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
};

Ran run(std::vector<std::string> args) { return Child(std::move(args)).finish(); }

struct XenstoreCli : ServerFixture {
  void SetUp() override {
    for (const char* t : {"xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-rm", "xenstore-chmod",
                          "xenstore-watch", "xenstore-exists", "xenstore-list"})
      if (!have(t)) GTEST_SKIP() << "/usr/bin/" << t << " is absent (Debian package xenstore-utils)";
    ServerFixture::SetUp();
  }
};

TEST_F(XenstoreCli, WriteThenRead) {
  EXPECT_EQ(run({"xenstore-write", "/vm/name", "guest", "/vm/uuid", "1234"}).exit_code, 0);
  Ran r = run({"xenstore-read", "/vm/name", "/vm/uuid"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "guest\n1234\n");
}

TEST_F(XenstoreCli, ReadOfAMissingPathFailsAsAgainstXenstored) {
  Ran r = run({"xenstore-read", "/missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "xenstore-read: couldn't read path /missing\n");
}

TEST_F(XenstoreCli, ListAndLsShowCreationOrder) {
  ASSERT_EQ(run({"xenstore-write", "/d/zeta", "1"}).exit_code, 0);
  ASSERT_EQ(run({"xenstore-write", "/d/alpha", "2"}).exit_code, 0);
  Ran l = run({"xenstore-list", "/d"});
  EXPECT_EQ(l.out, "zeta\nalpha\n");
  Ran ls = run({"xenstore-ls", "/d"});
  EXPECT_EQ(ls.exit_code, 0);
  EXPECT_EQ(ls.out, "zeta = \"1\"\nalpha = \"2\"\n");
  Ran missing = run({"xenstore-list", "/nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "xenstore-list: could not list path /nope\n");
}

TEST_F(XenstoreCli, ExistsAndRm) {
  ASSERT_EQ(run({"xenstore-write", "/gone/soon", "x"}).exit_code, 0);
  EXPECT_EQ(run({"xenstore-exists", "/gone/soon"}).exit_code, 0);
  EXPECT_EQ(run({"xenstore-rm", "/gone"}).exit_code, 0);
  EXPECT_EQ(run({"xenstore-exists", "/gone/soon"}).exit_code, 1);
  EXPECT_EQ(run({"xenstore-rm", "/gone/soon"}).exit_code, 1);  // the parent is gone too: ENOENT
}

TEST_F(XenstoreCli, ChmodSetsThePermissionList) {
  ASSERT_EQ(run({"xenstore-write", "/p", "x"}).exit_code, 0);
  EXPECT_EQ(run({"xenstore-chmod", "/p", "n0", "r5"}).exit_code, 0);
  Ran ls = run({"xenstore-ls", "-p", "/"});
  // As against xenstored: "p = "x"  . . . .  (n0,r5)", after tool and tool/xenstored.
  const std::size_t at = ls.out.find("\np = \"x\"  . ");
  ASSERT_NE(at, std::string::npos) << ls.out;
  const std::string line = ls.out.substr(at + 1, ls.out.find('\n', at + 1) - at - 1);
  EXPECT_TRUE(line.ends_with("  (n0,r5)")) << line;
  EXPECT_TRUE(ls.out.starts_with("tool = \"\"  ")) << ls.out;
  server->server().with_store([](Store& s) {
    EXPECT_EQ(s.peek("/p")->perms, (XsPerms{{XsPerm::Access::none, 0}, {XsPerm::Access::read, 5}}));
    return 0;
  });
}

TEST_F(XenstoreCli, WatchPrintsTheRegistrationEventThenChanges) {
  Child watch({"xenstore-watch", "-n", "2", "/w"});
  EXPECT_EQ(watch.line(), "/w");  // once the first event is printed, the watch is registered
  ASSERT_EQ(run({"xenstore-write", "/w/x", "1"}).exit_code, 0);
  EXPECT_EQ(watch.line(), "/w/x");
  EXPECT_EQ(watch.finish().exit_code, 0);
}

}  // namespace
}  // namespace xenrace::xs
