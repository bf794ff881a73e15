// The ledger is written before each creation and undoes exactly what it lists, nothing else.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/ledger.hpp"
#include "temp_dir.hpp"

namespace xenrace::dom0 {
namespace {

bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }
void touch(const std::string& p) { std::ofstream(p) << "x"; }

TEST(Ledger, IntentIsOnDiskBeforeTheCallReturns) {
  TempDir dir;
  Ledger ledger(dir.path() + "/l", "run-1");
  const auto id = ledger.intend("file", {dir.path() + "/run-1/a"});
  auto entries = read_ledger(dir.path() + "/l");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, id);
  EXPECT_EQ(entries[0].kind, "file");
  EXPECT_FALSE(entries[0].released);
  ledger.released(id);
  EXPECT_TRUE(read_ledger(dir.path() + "/l")[0].released);
}

TEST(Ledger, NeverOverwritesAnExistingLedger) {
  TempDir dir;
  Ledger first(dir.path() + "/l", "run-1");
  EXPECT_THROW(Ledger(dir.path() + "/l", "run-2"), std::runtime_error);
}

TEST(Ledger, RefusesFieldsThatWouldBreakTheFormat) {
  TempDir dir;
  Ledger ledger(dir.path() + "/l", "run-1");
  EXPECT_THROW(ledger.intend("file", {"a\tb"}), std::runtime_error);
  EXPECT_THROW(ledger.intend("file", {"a\nb"}), std::runtime_error);
}

TEST(Ledger, ATornLastLineIsIgnored) {
  TempDir dir;
  const std::string p = dir.path() + "/l";
  {
    Ledger ledger(p, "run-1");
    ledger.intend("file", {dir.path() + "/run-1/a"});
  }
  std::ofstream(p, std::ios::app) << "intent\t2\tfile\t" << dir.path() << "/run-1/b-cut-of";  // no newline
  auto entries = read_ledger(p);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, 1u);
}

TEST(Ledger, ClosedLedgerAcceptsNoNewCreations) {
  TempDir dir;
  Ledger ledger(dir.path() + "/l", "run-1");
  ledger.close_and_drain(0);
  EXPECT_THROW(Ledger::Creation(ledger, "file", {"x"}), std::runtime_error);
}

TEST(Ledger, ReadingSomethingElseIsAnError) {
  TempDir dir;
  std::ofstream(dir.path() + "/not") << "hello\n";
  EXPECT_THROW(read_ledger(dir.path() + "/not"), std::runtime_error);
  EXPECT_THROW(read_ledger(dir.path() + "/missing"), std::runtime_error);
}

TEST(Cleanup, UndoesUnreleasedFilesNewestFirstAndOnlyOnce) {
  TempDir dir;
  const std::string run = dir.path() + "/run-7";
  const std::string l = dir.path() + "/l";
  {
    Ledger ledger(l, "run-7");
    ledger.intend("dir", {run});
    ASSERT_EQ(::mkdir(run.c_str(), 0700), 0);
    ledger.intend("file", {run + "/a"});
    touch(run + "/a");
    const auto b = ledger.intend("file", {run + "/b"});
    touch(run + "/b");
    ledger.released(b);  // the run removed b itself... but pretend it did not: b must stay
    ledger.intend("file", {run + "/never-created"});
  }
  CleanupReport r = clean_up_ledger(l);
  EXPECT_FALSE(r.ok()) << "the directory still holds b: " << format_cleanup(r);
  EXPECT_EQ(r.run_id, "run-7");
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].result, "already gone");  // never-created
  EXPECT_EQ(r.items[1].result, "removed");       // a
  EXPECT_FALSE(exists(run + "/a"));
  EXPECT_TRUE(exists(run + "/b"));  // released entries are not the ledger's to undo
  EXPECT_EQ(r.items[2].what, "dir " + run);
  EXPECT_NE(r.items[2].result, "removed");  // b is still inside: rmdir fails, and says so
  EXPECT_FALSE(r.items[2].ok);
  ::unlink((run + "/b").c_str());
  CleanupReport again = clean_up_ledger(l);
  ASSERT_EQ(again.items.size(), 1u);  // only the directory was left
  EXPECT_EQ(again.items[0].result, "removed");
  EXPECT_TRUE(clean_up_ledger(l).items.empty());
}

TEST(Cleanup, LeavesAlonePathsThatDoNotCarryTheRunId) {
  TempDir dir;
  const std::string l = dir.path() + "/l";
  touch(dir.path() + "/precious");
  {
    Ledger ledger(l, "run-8");
    ledger.intend("file", {dir.path() + "/precious"});
    ledger.intend("xs-tree", {"/local/domain/0", "-"});
    ledger.intend("loop", {"/dev/loop0", "/etc/passwd"});
    ledger.intend("teleporter", {"x"});
  }
  CleanupReport r = clean_up_ledger(l);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.items.size(), 4u);
  for (const auto& i : r.items) EXPECT_EQ(i.result.rfind("left alone", 0), 0u) << i.what << ": " << i.result;
  EXPECT_TRUE(exists(dir.path() + "/precious"));
}

}  // namespace
}  // namespace xenrace::dom0

namespace xenrace::dom0 {

// Sixty executions' subtrees, each removed when its execution ended, make sixty "already gone" items at
// cleanup: one tally line, not sixty identical ones; what needs a reader's eye stays listed.
TEST(CleanupReport, AlreadyGoneItemsAreTalliedNotListed) {
  CleanupReport r;
  r.run_id = "r1";
  for (int i = 0; i < 60; ++i) r.items.push_back({fmt::format("xenstore /x/r1/e{}", i), "already gone", true});
  r.items.push_back({"loop /dev/loop3 (backing /tmp/r1/a)", "removed", true});
  r.items.push_back({"file /tmp/r1/b", "failed: Permission denied", false});
  const std::string out = format_cleanup(r);
  EXPECT_EQ(out,
            "cleanup of run r1: 62 item(s)\n"
            "  loop /dev/loop3 (backing /tmp/r1/a): removed\n"
            "  file /tmp/r1/b: failed: Permission denied\n"
            "  60 items already gone (xenstore /x/r1/e0 ... xenstore /x/r1/e59)\n");
}

}  // namespace xenrace::dom0
