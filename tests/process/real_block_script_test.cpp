// Xen 4.17's real `block add` hotplug script (Debian's xen-utils-common, unmodified) as process actors
// against the simulated xenstored. Two guests are given one physical device in write mode: the script's
// sharing check, under its "block" lock, must let exactly one of them have it. Xen 4.17's scripts do (20
// seeds); the same scripts with the lock's inode re-check taken out (what 334f50ccc4 added: flock released by
// rm) let two scripts hold the lock at once and hand the device to two guests (seed 45 finds it), and the
// failing schedule replays to the same trace.
//
// Skips, saying why, without process actors, without the scripts (ci/install-deps extracts them into
// ~/.cache/xenrace/xen-utils-common), or without the right to make a block device node (the script insists on
// `test -b`) and to give the scripts private /var/run and /var/log (bind mounts: root).
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/random_strategy.hpp"
#include "runtime/strategies/replay_strategy.hpp"

namespace xenrace {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};

// Where Debian's scripts are: XENRACE_XEN_SCRIPTS, the host's /etc/xen/scripts, or ci/install-deps' cache.
std::string xen_scripts() {
  if (const char* d = std::getenv("XENRACE_XEN_SCRIPTS"); d != nullptr && *d != '\0') return d;
  if (fs::exists("/etc/xen/scripts/block")) return "/etc/xen/scripts";
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = cache != nullptr && *cache != '\0' ? cache : std::string(home != nullptr ? home : "") + "/.cache";
  const std::string dir = base + "/xenrace/xen-utils-common/etc/xen/scripts";
  return fs::exists(dir + "/block") ? dir : "";
}

std::string trace_text(const ExecutionResult& r) {
  std::string out;
  for (const auto& e : r.events)
    out += fmt::format("{} {} {} {} -> {}\n", e.step, e.actor < r.actors.size() ? r.actors[e.actor] : "harness", e.op,
                       e.args, e.result);
  return out;
}

// A private copy of the scripts, and the block device node they are given.
struct Fixture {
  fs::path dir;
  std::string scripts;
  std::string device;        // wanted for writing by guests 2 and 3
  std::string other_device;  // guest 1's: its script takes the lock first, and its release lets the others in
  std::string skip;  // why the test cannot run here

  explicit Fixture(bool without_inode_recheck = false) {
    if (const std::string& why = process::process_actors_unsupported(); !why.empty()) {
      skip = "process actors are unsupported here: " + why;
      return;
    }
    const std::string source = xen_scripts();
    if (source.empty()) {
      skip = "Xen's hotplug scripts are not here (ci/install-deps extracts Debian's xen-utils-common)";
      return;
    }
    if (process::find_program("xenstore-read", kEnv).empty()) {
      skip = "xenstore-read is not installed (Debian package xenstore-utils)";
      return;
    }
    if (geteuid() != 0) {
      skip = "not root: the scripts' fixed /var/run and /var/log are redirected with bind mounts, and the device "
             "node needs mknod";
      return;
    }
    std::string tmpl = (fs::temp_directory_path() / "xenrace-block-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    scripts = (dir / "scripts").string();
    fs::copy(source, scripts, fs::copy_options::recursive);
    if (without_inode_recheck) remove_inode_recheck(scripts + "/locking.sh");
    device = (dir / "disk").string();
    other_device = (dir / "other-disk").string();
    // Unused major:minor numbers, so that nothing mounted on the host matches them.
    if (mknod(device.c_str(), S_IFBLK | 0600, makedev(7, 253)) != 0 ||
        mknod(other_device.c_str(), S_IFBLK | 0600, makedev(7, 252)) != 0) {
      skip = fmt::format("cannot make a block device node ({}): the script insists on test -b", std::strerror(errno));
      return;
    }
    // The script's fixed paths, /var/run/xen-hotplug (its lock) and /var/log/xen (its log), are the fixture's
    // directories in the actors' own mount namespace (shared by the actors, so the lock contends).
    fs::create_directories(dir / "run");
    fs::create_directories(dir / "log" / "xen");
  }
  // The lock as it was before the re-check (334f50ccc4): flock, then straight on, even when the file was
  // unlinked by the holder's release and a newcomer locked a new file of that name meanwhile.
  static void remove_inode_recheck(const std::string& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const std::string take = "flock -x $_lockfd || return $?";
    const std::size_t at = s.find(take);
    if (at == std::string::npos) throw std::runtime_error("locking.sh: no flock line to change");
    s.insert(at + take.size(), "\n        break");
    std::ofstream(file) << s;
  }

  ~Fixture() {
    if (!dir.empty() && std::getenv("XENRACE_KEEP") == nullptr) fs::remove_all(dir);
  }
};

ProcessOptions script_options(std::vector<std::string> env, SimXenStore& xs, const Fixture& f) {
  ProcessOptions o;
  o.env = std::move(env);
  o.xenstore = &xs.for_processes();
  o.binds = {{(f.dir / "run").string(), "/var/run"}, {(f.dir / "log").string(), "/var/log"}};
  return o;
}

struct Outcome {
  ExecutionResult result;
  int connected = 0;
  int refused = 0;
};

// Three block scripts, one per guest, each adding vbd 51712 in write mode: guest 1 with a device of its own,
// guests 2 and 3 with one device between them. Guest 3's is started late, once guest 1's backend has its
// physical-device (as when its hot-plug event comes later): guest 1's script matters as a lock holder, since
// the lock bug needs a release (rm) while one script waits on the old file and another comes in on a new one.
Outcome run_scripts(Strategy& strategy, const Fixture& f, int guests) {
  StackPool stacks;
  ExecutionOptions options;
  options.keep_trace = true;
  Execution ex(strategy, stacks, options);
  SimXenStore xs(ex);
  auto setup = xs.connect();
  for (int g = 1; g <= guests; ++g) {
    const std::string be = fmt::format("/local/domain/0/backend/vbd/{}/51712", g);
    setup->write(kNoTx, be + "/params", g == 1 ? f.other_device : f.device);
    setup->write(kNoTx, be + "/type", "phy");
    setup->write(kNoTx, be + "/mode", "w");
    setup->write(kNoTx, be + "/frontend-id", std::to_string(g));
    setup->write(kNoTx, fmt::format("/local/domain/{}/vm", g), fmt::format("/vm/guest-{}", g));
  }
  for (int g = 1; g <= guests; ++g) {
    std::vector<std::string> env = kEnv;
    env.push_back(fmt::format("XENBUS_PATH=backend/vbd/{}/51712", g));
    env.push_back("XENBUS_TYPE=vbd");
    env.push_back("XENBUS_BASE_PATH=backend");
    // A refusal exits 1 after writing hotplug-status error: that is an outcome here, judged below, not a crash.
    const char* wait = g == 3 ? "until xenstore-read backend/vbd/1/51712/physical-device >/dev/null 2>&1; do :; done; " : "";
    spawn_process(ex, fmt::format("block add (dom{})", g),
                  {"bash", "-c", fmt::format("{}\"$0\" add >/dev/null 2>>\"$1\"; exit 0", wait), f.scripts + "/block",
                   (f.dir / fmt::format("dom{}.log", g)).string()},
                  script_options(std::move(env), xs, f));
  }
  auto status = [&xs](int g) {
    const xs::Node* n = xs.model().peek(fmt::format("/local/domain/0/backend/vbd/{}/51712/hotplug-status", g));
    return n == nullptr ? std::string() : n->value;
  };
  ex.at_end("one writer per device", [&] {
    int connected = 0;
    for (int g = 2; g <= guests; ++g) connected += status(g) == "connected";
    return connected <= 1 ? std::string() : fmt::format("{} guests were given one device for writing", connected);
  });
  Outcome o;  // guests 2 and 3
  o.result = ex.run();
  for (int g = 2; g <= guests; ++g) {
    o.connected += status(g) == "connected";
    o.refused += status(g) == "busy";  // ebusy: "... mounted read-write in a guest domain"
  }
  return o;
}

TEST(RealBlockScript, Xen417GivesADeviceToOneWriterOnly) {
  Fixture f;
  if (!f.skip.empty()) GTEST_SKIP() << f.skip;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const Outcome o = run_scripts(strategy, f, 3);
    ASSERT_FALSE(o.result.failed()) << "seed " << seed << ": " << o.result.message << "\n" << trace_text(o.result);
    EXPECT_EQ(o.connected, 1);  // of guests 2 and 3
    EXPECT_EQ(o.refused, 1);
  }
}

TEST(RealBlockScript, WithoutTheInodeRecheckTwoWritersGetTheDeviceAndTheReplayShowsIt) {
  Fixture f(true);
  if (!f.skip.empty()) GTEST_SKIP() << f.skip;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const Outcome o = run_scripts(strategy, f, 3);
    if (!o.result.failed()) continue;
    EXPECT_EQ(o.connected, 2) << o.result.message;
    EXPECT_NE(o.result.message.find("2 guests were given one device for writing"), std::string::npos) << o.result.message;
    RecordProperty("first_failing_seed", static_cast<int>(seed));
    ReplayStrategy replay(o.result.schedule);
    replay.begin_execution(0);
    const Outcome again = run_scripts(replay, f, 3);
    EXPECT_EQ(replay.divergence(), "");
    EXPECT_EQ(trace_text(again.result), trace_text(o.result));
    EXPECT_EQ(again.connected, 2);
    return;
  }
  FAIL() << "60 seeds never gave the device to two writers";
}

}  // namespace
}  // namespace xenrace
