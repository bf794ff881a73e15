// real-block-script: Xen's real, unmodified `block add` hotplug script, three at once, as process actors
// against the simulated xenstored (docs/process-actors.md). Three guests each get a vbd in write mode: guest 1
// a device of its own, guests 2 and 3 one device between them. The script's sharing check (`check_sharing`:
// is the device some other guest's `physical-device` already?) runs under its "block" lock, so exactly one of
// guests 2 and 3 may be `connected`; the other must be refused (`hotplug-status busy`).
//
// Guest 3's script starts once guest 1's backend has its `physical-device` (its hot-plug event came later).
// That puts a newcomer at the lock while it changes hands: guest 1's script releases it by `rm` of the lock
// file while guest 2's waits on the old file. locking.sh's inode re-check (334f50ccc4) is what makes the
// waiter notice that its file is gone; without it the waiter and the newcomer hold the lock together.
//
// The scripts are Debian's xen-utils-common (Xen 4.17), from --hotplug-scripts DIR (the `scripts` parameter),
// XENRACE_XEN_SCRIPTS, the host's /etc/xen/scripts, or ci/install-deps' cache, in that order.
//
// Variants:
//   xen-4.17               the scripts as given.
//   without-inode-recheck  the same with locking.sh's re-check taken out: flock, then straight on.
//   mkdir-lock             locking.sh as it was before 827fbaa64b (2012): a directory made with mkdir is the
//                          lock, and a waiter that has seen one owner for 100 tries calls it stale and takes
//                          it by force (rm -rf, then mkdir). Guest 1's script may be killed at any one of its
//                          first 300 operations (udev kills a hotplug script that overruns its event timeout);
//                          killed inside the lock, it leaves the directory behind, guests 2 and 3 both wait it
//                          out, and both take it: the second's rm removes the first's fresh lock. Guests 2
//                          and 3 start once guest 1's script has connected its device or was killed.
//
// Needs process actors, root (the scripts' fixed /var/run and /var/log are bind mounts in the actors' own
// mount namespace, and the devices are nodes made with mknod) and xenstore-utils; without them the variants
// are skipped, saying why.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faults/sim_faults.hpp"
#include "runtime/process/process_actor.hpp"
#include <xenrace/scenario.hpp>
#include "toolstack/hotplug_script_fixture.hpp"
#include "toolstack/xen_configure.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_real_block_script {  // names of its own (CI builds in unity batches)
namespace {

namespace fs = std::filesystem;

constexpr int kGuests = 3;
constexpr const char* kSeenDir = HotplugScriptFixture::kSeenDir;

// The scripts of one execution, with the variant's lock, and the two device nodes the guests are given.
class ScriptFixture {
 public:
  enum class Lock { as_given, without_inode_recheck, mkdir };
  ScriptFixture(std::string scripts, Lock lock) : scripts_(std::move(scripts), "real-block-script") {
    const fs::path seen = scripts_.seen_dir();
    if (lock == Lock::without_inode_recheck) remove_inode_recheck(scripts_.scripts_dir() / "locking.sh");
    if (lock == Lock::mkdir) std::ofstream(scripts_.scripts_dir() / "locking.sh") << kMkdirLock;
    // Unused major:minor numbers, so that nothing mounted on the host matches them.
    if (mknod((seen / "disk").c_str(), S_IFBLK | 0600, makedev(7, 253)) != 0 ||
        mknod((seen / "other-disk").c_str(), S_IFBLK | 0600, makedev(7, 252)) != 0)
      throw ComponentUnavailable(fmt::format("cannot make a block device node: {}", std::strerror(errno)));
  }
  const HotplugScriptFixture& scripts() const { return scripts_; }

 private:
  // The lock before 827fbaa64b, restated from its description (fidelity.md, "Locking"): claim_lock and
  // release_lock keep their names and arguments, so block and xen-hotplug-common.sh source it unchanged.
  static constexpr const char* kMkdirLock = R"(# locking.sh before 827fbaa64b, restated for xenrace's mkdir-lock variant
LOCK_SLEEPTIME=1
LOCK_SPINNING_RETRIES=5
LOCK_RETRIES=100
LOCK_BASEDIR=/var/run/xen-hotplug

claim_lock() {
  mkdir -p "$LOCK_BASEDIR"
  _claim_lock_dir "$LOCK_BASEDIR/$1"
}

release_lock() {
  rm -rf "$LOCK_BASEDIR/$1" 2>/dev/null || true
}

# The directory is the lock; its owner file names the holder. A waiter spins, then sleeps, and starts
# counting again whenever the owner changes; after LOCK_RETRIES tries with one owner it calls the lock stale.
_claim_lock_dir() {
  local dir="$1" tries=0 seen now
  seen=$(cat "$dir/owner" 2>/dev/null || echo unknown)
  while [ $tries -lt $LOCK_RETRIES ]; do
    if mkdir "$dir" 2>/dev/null; then
      echo "$$: $0" >"$dir/owner"
      return 0
    fi
    now=$(cat "$dir/owner" 2>/dev/null || echo unknown)
    if [ "$now" != "$seen" ]; then
      seen="$now"
      tries=0
    fi
    if [ $tries -gt $LOCK_SPINNING_RETRIES ]; then sleep $LOCK_SLEEPTIME; else sleep 0; fi
    tries=$((tries + 1))
  done
  log err "Forced to steal lock on $dir from $seen!"
  rm -rf "$dir" 2>/dev/null || true
  _claim_lock_dir "$dir"
}
)";

  // The lock as it was before 334f50ccc4: flock, then straight on, even when the holder's release unlinked
  // the file and a newcomer locked a new file of that name meanwhile.
  static void remove_inode_recheck(const fs::path& file) {
    std::string s = xen_file_text(file).value_or("");
    const std::string take = "flock -x $_lockfd || return $?";
    const std::size_t at = s.find(take);
    if (at == std::string::npos) throw std::runtime_error("real-block-script: locking.sh has no flock line to change");
    s.insert(at + take.size(), "\n        break");
    std::ofstream(file) << s;
  }

  HotplugScriptFixture scripts_;
};

std::string backend(int guest) { return vbd_backend(guest); }

XENRACE_SCENARIO({
    .name = "real-block-script",
    .description = "Xen's real block hotplug script, three at once: one device for writing must go to one guest",
    .source = "tools/hotplug/Linux/block, locking.sh (334f50ccc4: the lock's inode re-check; 827fbaa64b: flock)",
    .tags = {"xenstore", "block-script", "process"},
    .variants = {{"xen-4.17", Expect::pass, "the scripts as given (Debian's Xen 4.17)"},
                 {"without-inode-recheck", Expect::fail,
                  "locking.sh without its inode re-check: a waiter on the removed lock file and a newcomer on the "
                  "new one hold the lock together"},
                 {"mkdir-lock", Expect::fail,
                  "locking.sh before 827fbaa64b: an mkdir lock left behind by a killed script, which two waiters "
                  "steal together after 100 tries"}},
    .default_strategy = "random",
    .default_iterations = 40,
    .max_steps = 100000,
    .params = {text_param("scripts", "", "the directory of Xen's hotplug scripts (tools/hotplug/Linux, or an "
                                         "installed /etc/xen/scripts); empty: Debian's, as found")},
    // Reported as found: ten replays took the failing variants' random witnesses from 320 to 319 and from 1,346
    // to 1,345 preemptions, for a minute; a hundred take without-inode-recheck's to 3 (bench/README.md).
    .shrink_budget = 0,
    .verify_budget = 120,  // about 0.5 s an execution: a minute
    .verify_by_bounds = true,  // the unbounded search does not finish in the budget
}) {
  auto& fixture = race.make<ScriptFixture>(race.param<std::string>("scripts"),
                                           race.is("without-inode-recheck") ? ScriptFixture::Lock::without_inode_recheck
                                           : race.is("mkdir-lock")          ? ScriptFixture::Lock::mkdir
                                                                            : ScriptFixture::Lock::as_given);
  process::XenStoreService& store = race.world.xenstore_for_processes();
  auto& setup = race.make<std::unique_ptr<XsConnection>>(race.world.xenstore().connect(0));
  for (int g = 1; g <= kGuests; ++g) {
    setup->write(kNoTx, backend(g) + "/params", fmt::format("{}/{}", kSeenDir, g == 1 ? "other-disk" : "disk"));
    setup->write(kNoTx, backend(g) + "/type", "phy");
    setup->write(kNoTx, backend(g) + "/mode", "w");
    setup->write(kNoTx, backend(g) + "/frontend-id", std::to_string(g));
    setup->write(kNoTx, fmt::format("/local/domain/{}/vm", g), fmt::format("/vm/guest-{}", g));
  }
  auto start_script = [&race, &fixture, &store](int g) {
    const HotplugScriptFixture& scripts = fixture.scripts();
    return scripts.spawn_block(race.ex, "add", g, scripts.options(HotplugScriptFixture::kPath, store));
  };
  const bool mkdir_lock = race.is("mkdir-lock");
  const ActorId first = start_script(1);
  if (mkdir_lock) {
    kill_at_one_of(race.ex, first, 300);
    // Guests 2 and 3's hot-plug events come once guest 1's script has connected its device or was killed.
    race.spawn("hot-plug events (dom2, dom3)", [&race, &setup, start_script, first] {
      race.ex.wait_until([&] { return race.ex.sched().kill_requested(first) ||
                                      setup->read(kNoTx, backend(1) + "/hotplug-status").ok(); },
                         "guest 1's script to connect its device or be killed");
      start_script(2);
      start_script(3);
    });
  } else {
    start_script(2);
    // Guest 3's hot-plug event: once guest 1's backend has its physical-device. A watch, not a polling loop,
    // so waiting costs no steps (and a schedule that never preempts cannot spin here for ever).
    race.spawn("hot-plug event (dom3)", [&race, start_script] {
      auto xs = race.world.xenstore().connect(0);
      const std::string ready = backend(1) + "/physical-device";
      xs->watch(ready, "ready");
      while (!xs->read(kNoTx, ready).ok()) xs->read_watch();
      start_script(3);
    });
  }
  race.at_end("one writer per device", [&setup] {
    int connected = 0;
    for (int g = 2; g <= kGuests; ++g) {
      auto status = setup->read(kNoTx, backend(g) + "/hotplug-status");
      connected += status.ok() && status.value == "connected";
    }
    return connected <= 1 ? std::string() : fmt::format("{} guests were given one device for writing", connected);
  });
}

}  // namespace
}  // namespace xenrace::scenario_real_block_script
