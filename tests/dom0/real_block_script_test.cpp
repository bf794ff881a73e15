// --block-script real: the host's /etc/xen/scripts/block plays the block script's add. This machine has no
// Xen, so the script is a small stand-in (block_script_path) that records what it was given and writes the
// backend's nodes with the xenstore CLIs against the project's server, as Xen's script does; the real
// script runs in ci/xen-vm (nightly step 45). Each test skips with the reason when what it needs is absent.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/dom0_config.hpp"
#include "backends/dom0/dom0_loop.hpp"
#include "backends/dom0/dom0_world.hpp"
#include "backends/dom0/dom0_xenstore.hpp"
#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/real_blkback.hpp"
#include "backends/dom0/real_block_script.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "runtime/strategies/replay_strategy.hpp"
#include "served_xenstore.hpp"
#include "temp_dir.hpp"
#include "test_host_config.hpp"
#include "world/world.hpp"
#include "tests/dom0/host_loop.hpp"

namespace xenrace::dom0 {
namespace {

constexpr const char* kBackend = "/local/domain/0/backend/vbd/1/51712";
constexpr const char* kImage = "/images/guest.img";

std::string why_no_cli() {
  for (const char* tool : {"/usr/bin/xenstore-write", "/usr/bin/xenstore-read", "/bin/bash"})
    if (::access(tool, X_OK) != 0) return fmt::format("needs {} (xenstore-utils, bash)", tool);
  return {};
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Dom0Config script_config(const TempDir& dir, const std::string& socket, const std::string& script) {
  Dom0Config c = test_host_config(dir, socket);
  c.blkback = Dom0Config::Blkback::real;
  c.block_script = Dom0Config::BlockScript::real;
  c.block_script_path = script;
  return c;
}

TEST(BlockScriptConfig, ParsedFromTheFileAndRefusedWithoutTheRealBlkback) {
  Dom0Config c = parse_config("blkback = real\nblock_script = real\nblock_script_path = /opt/block\n", "t");
  EXPECT_EQ(c.block_script, Dom0Config::BlockScript::real);
  EXPECT_EQ(c.block_script_path, "/opt/block");
  EXPECT_NO_THROW(check_config(c));
  EXPECT_EQ(Dom0Config{}.block_script, Dom0Config::BlockScript::modelled);
  EXPECT_EQ(Dom0Config{}.block_script_path, "/etc/xen/scripts/block");
  EXPECT_EQ(parse_block_script("modelled", "x"), Dom0Config::BlockScript::modelled);
  try {
    parse_config("block_script = bash\n", "t");
    FAIL() << "a bad value was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("t:1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'bash'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_config("block_script_path = scripts/block\n", "t"), UsageError);
  c.blkback = Dom0Config::Blkback::simulated;
  try {
    check_config(c);
    FAIL() << "block_script = real was accepted with the simulated blkback";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("needs blkback = real"), std::string::npos) << e.what();
  }
}

TEST(BlockScriptRun, WithoutTheScriptTheRunIsSkippedWithTheReason) {
  TempDir dir;
  const std::string absent = dir.path() + "/no-such-block-script";
  Dom0Session session(script_config(dir, dir.path() + "/no-xenstored.sock", absent));
  StackPool stacks;
  ReplayStrategy order{Schedule{}};
  ExecutionOptions eo;
  eo.os_threads = true;
  Execution ex(order, stacks, eo);
  Dom0World world(ex, session);
  try {
    world.host_block_script();
    FAIL() << "an absent script was run";
  } catch (const ComponentUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("no block hotplug script " + absent), std::string::npos) << e.what();
  }
  EXPECT_NE(world.unavailable().find(absent), std::string::npos) << world.unavailable();
}

TEST(BlockScriptRun, ThisHostsDefaultScriptIsAbsentSoTheRunIsSkipped) {
  if (::access("/etc/xen/scripts/block", F_OK) == 0) GTEST_SKIP() << "this host has /etc/xen/scripts/block";
  TempDir dir;
  Dom0Config c = script_config(dir, dir.path() + "/no-xenstored.sock", "/etc/xen/scripts/block");
  Dom0Session session(c);
  StackPool stacks;
  ReplayStrategy order{Schedule{}};
  ExecutionOptions eo;
  eo.os_threads = true;
  Execution ex(order, stacks, eo);
  Dom0World world(ex, session);
  EXPECT_THROW(world.host_block_script(), ComponentUnavailable);
  EXPECT_NE(world.unavailable().find("/etc/xen/scripts/block"), std::string::npos) << world.unavailable();
}

// The scenario's vbd backend at a real path, a run file bound nowhere yet, and the stand-in script: what a
// run with --blkback real --block-script real has when the add actor starts. No blkback here: the test
// writes state=2 (InitWait) itself, as xen-blkback's probe would.
class BlockScriptServed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = why_no_host_loop(); !why.empty()) GTEST_SKIP() << why;  // Dom0Loop needs /dev/loop-control
    if (auto why = why_no_cli(); !why.empty()) GTEST_SKIP() << why;
    server_ = std::make_unique<ServedXenstore>(dir_.path());
    if (!server_->unavailable().empty()) GTEST_SKIP() << server_->unavailable();
    script_ = dir_.path() + "/block";
    record_ = dir_.path() + "/record.txt";
    session_ = std::make_unique<Dom0Session>(script_config(dir_, server_->socket(), script_));
  }
  void write_script(const std::string& body) {
    std::ofstream(script_) << "#!/bin/bash\n" << body;
    ASSERT_EQ(::chmod(script_.c_str(), 0755), 0);
  }
  // Builds the world's pieces for one execution and writes the scenario's backend; returns the real path.
  std::string set_up_backend(Execution& ex) {
    Dom0XenStoreOptions xo;
    xo.socket = server_->socket();
    xo.prefix = session_->next_xenstore_prefix();
    store_ = &ex.make<Dom0XenStore>(ex, session_->ledger(), xo);
    loop_ = &ex.make<Dom0Loop>(ex, *session_);
    backends_ = &ex.make<RealBlockBackends>(ex, *session_, *store_, *loop_, observed_);
    script_runner_ = &ex.make<RealBlockScript>(ex, *session_, *backends_, *loop_);
    EXPECT_EQ(loop_->create_file(kImage), 0);
    conn_ = store_->connect(0);
    EXPECT_EQ(conn_->write(kNoTx, std::string(kBackend) + "/params", kImage), 0);
    EXPECT_EQ(conn_->write(kNoTx, std::string(kBackend) + "/mode", "w"), 0);
    const std::string real = backends_->real_backend(kBackend);
    XsHandle raw(server_->socket());
    EXPECT_EQ(raw.write(kNoTx, real + "/state", "2"), 0);
    return real;
  }
  ExecutionOptions options() const {
    ExecutionOptions eo;
    eo.params = {{"real-blkback-wait-ms", "0"}};  // no blkback here: do not wait for it at the end
    eo.keep_trace = true;
    return eo;
  }

  TempDir dir_;
  std::unique_ptr<ServedXenstore> server_;
  std::unique_ptr<Dom0Session> session_;
  std::string script_, record_;
  StackPool stacks_;
  ReplayStrategy order_{Schedule{}};
  std::vector<std::string> observed_;
  Dom0XenStore* store_ = nullptr;
  Dom0Loop* loop_ = nullptr;
  RealBlockBackends* backends_ = nullptr;
  RealBlockScript* script_runner_ = nullptr;
  std::unique_ptr<XsConnection> conn_;
};

TEST_F(BlockScriptServed, TheScriptGetsLibxlsArgumentsAndEnvironmentAndTheRunsFileInParams) {
  write_script(fmt::format(
      "if [ -e /proc/$$/fd/77 ]; then fd77=inherited; else fd77=closed; fi\n"
      "{{ echo \"args=$*\"; env | grep -E '^(script|XENBUS_[A-Z_]+|XENSTORED_PATH)=' | sort\n"
      "  echo \"params=$(xenstore-read \"$XENBUS_PATH/params\")\"\n"
      "  echo \"stdin=$(readlink /proc/$$/fd/0)\"\n"
      "  echo \"fd77=$fd77\"; }} > {}\n"
      "xenstore-write \"$XENBUS_PATH/hotplug-status\" connected\n",
      record_));
  // A descriptor of ours without close-on-exec (as a library may leave one): libxl closes such before exec.
  const int zero = ::open("/dev/zero", O_RDONLY);
  ASSERT_GE(zero, 0);
  ASSERT_EQ(::dup2(zero, 77), 77);
  ::close(zero);
  Execution ex(order_, stacks_, options());
  const std::string real = set_up_backend(ex);
  EXPECT_EQ(script_runner_->add(kBackend), "");
  ::close(77);
  const std::string rec = slurp(record_);
  const std::string xenbus_path = real.substr(std::string("/local/domain/0/").size());
  EXPECT_NE(rec.find("args=add\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("XENBUS_PATH=" + xenbus_path + "\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("XENBUS_TYPE=vbd\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("XENBUS_BASE_PATH=backend\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("script=" + script_ + "\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("XENSTORED_PATH=" + server_->socket() + "\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("params=" + loop_->host_file(kImage) + "\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("stdin=/dev/null\n"), std::string::npos) << rec;
  EXPECT_NE(rec.find("fd77=closed\n"), std::string::npos) << rec;
  // The scenario reads its own path back, and sees what the script wrote at the real backend.
  EXPECT_EQ(conn_->read(kNoTx, std::string(kBackend) + "/params").value, kImage);
  EXPECT_EQ(conn_->read(kNoTx, std::string(kBackend) + "/hotplug-status").value, "connected");
  bool traced = false;
  for (const auto& e : ex.trace().events())
    traced |= e.op == "block.script" && e.args == std::string("add ") + kBackend && e.result == "exit 0";
  EXPECT_TRUE(traced) << "no 'block.script add ... -> exit 0' event";
}

TEST_F(BlockScriptServed, AFailingScriptFailsTheActorWithItsErrorAndOutput) {
  write_script(
      "echo 'losetup: /dev/loop7: failed to set up loop device: Device or resource busy' >&2\n"
      "xenstore-write \"$XENBUS_PATH/hotplug-error\" 'losetup /dev/loop7 failed' \"$XENBUS_PATH/hotplug-status\" error\n"
      "exit 1\n");
  Execution ex(order_, stacks_, options());
  set_up_backend(ex);
  ex.spawn("block add vbd/1/51712", [this]() -> ActorStatus {
    const std::string error = script_runner_->add(kBackend);
    return error.empty() ? ActorStatus::ok() : ActorStatus::fail(error);
  });
  const ExecutionResult r = ex.run();
  ASSERT_EQ(r.outcome, Outcome::actor_failed) << r.message;
  EXPECT_NE(r.message.find("exit 1"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("hotplug-status=error"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("hotplug-error: losetup /dev/loop7 failed"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("Device or resource busy"), std::string::npos) << r.message;
}

// The script binds a loop device itself, as Xen's does (`losetup -f`, then `losetup DEV FILE`).
constexpr const char* kBindingScript =
    "file=$(xenstore-read \"$XENBUS_PATH/params\")\n"
    "dev=$(losetup -f)\n"
    "losetup \"$dev\" \"$file\" || exit 1\n"
    "xenstore-write \"$XENBUS_PATH/node\" \"$dev\"\n"
    "xenstore-write \"$XENBUS_PATH/physical-device\" \"$(stat -L -c %t:%T \"$dev\")\"\n";

// The stand-in binding script, run once in an execution: it must bind exactly one device to a run file.
class BindingScriptServed : public BlockScriptServed {
 protected:
  void SetUp() override {
    BlockScriptServed::SetUp();
    if (IsSkipped()) return;
    if (::access("/usr/sbin/losetup", X_OK) != 0 && ::access("/sbin/losetup", X_OK) != 0)
      GTEST_SKIP() << "needs util-linux losetup";
    write_script(kBindingScript);
    scratch_ = session_->scratch_dir_if_any();
  }
  // The loop devices bound to run files after the script's add (one, when it did its job).
  std::vector<std::pair<int, std::string>> run_the_script(Execution& ex) {
    set_up_backend(ex);
    EXPECT_EQ(script_runner_->add(kBackend), "");
    return loops_bound_in(scratch_);
  }
  std::string scratch_;
};

TEST_F(BindingScriptServed, TheLoopDeviceTheScriptBoundIsTheRunsAndIsClearedAtTheEnd) {
  const std::string& scratch = scratch_;
  {
    Execution ex(order_, stacks_, options());
    const auto bound = run_the_script(ex);
    ASSERT_EQ(bound.size(), 1u);
    // Under the run's numbering: the script's device is the run's loop0.
    EXPECT_EQ(loop_->scenario_index_of(bound[0].first), 0);
    EXPECT_EQ(conn_->read(kNoTx, std::string(kBackend) + "/physical-device").value, "7:0");
    EXPECT_EQ(conn_->read(kNoTx, std::string(kBackend) + "/node").value, "/dev/loop0");
    auto backing = loop_->backing_file(0);
    ASSERT_TRUE(backing.ok());
    EXPECT_EQ(backing.value, kImage);
  }
  EXPECT_TRUE(loops_bound_in(scratch).empty()) << "the end of the execution left the script's device bound";
  const CleanupReport rep = session_->clean_up();
  EXPECT_TRUE(rep.ok()) << format_cleanup(rep);
}

TEST_F(BindingScriptServed, XenraceCleanupDetachesTheScriptsDeviceAfterACrash) {
  const std::string& scratch = scratch_;
  Execution ex(order_, stacks_, options());
  ASSERT_EQ(run_the_script(ex).size(), 1u);
  // As `xenrace cleanup LEDGER` after a SIGKILL: the run's objects never got to undo anything.
  const CleanupReport rep = clean_up_ledger(session_->ledger_path());
  EXPECT_TRUE(rep.ok()) << format_cleanup(rep);
  EXPECT_NE(format_cleanup(rep).find("loop devices bound to files in " + scratch + ": removed /dev/loop"),
            std::string::npos)
      << format_cleanup(rep);
  EXPECT_TRUE(loops_bound_in(scratch).empty()) << "cleanup left the script's device bound";
}

}  // namespace
}  // namespace xenrace::dom0
