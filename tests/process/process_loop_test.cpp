// Process actors driving the simulated loop driver: real losetup (util-linux) against /dev/loop-control,
// /dev/loopN and /sys/block of the execution's own, each LOOP_* ioctl a step of the actor. Every test skips,
// saying why, where process actors are unsupported or the host lacks root (mount namespace, mknod).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/sim/loop/process_loop.hpp"
#include "backends/sim/loop/sim_loop.hpp"
#include "process_test_support.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/process/served_proc_files.hpp"
#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {
namespace {

namespace fs = std::filesystem;
using testing::keep_trace;
using testing::trace_text;

#define SKIP_WITHOUT_PROCESS_LOOP()                                                               \
  do {                                                                                            \
    if (const std::string& why = process::process_actors_unsupported(); !why.empty())             \
      GTEST_SKIP() << "process actors are unsupported here: " << why;                             \
    if (geteuid() != 0) GTEST_SKIP() << "needs root: a mount namespace and mknod'd loop nodes";    \
    if (process::find_program("losetup", kLoopEnv).empty()) GTEST_SKIP() << "losetup is not installed"; \
  } while (0)

const std::vector<std::string> kLoopEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};

// A backing file of its own per test, removed with it.
struct Image {
  Image() {
    path = (fs::temp_directory_path() / fmt::format("xenrace-loop-test-{}.img", getpid())).string();
    std::ofstream(path) << std::string(4096, '\0');
  }
  ~Image() { fs::remove(path); }
  std::string path;
};

struct LoopRun {
  ExecutionResult result;
  std::optional<LoopMedium> loop0;
  std::optional<LoopMedium> loop1;
  std::string listed;  // what the script printed
};

// The script the block script's `file` branch runs, in miniature: losetup -f, losetup DEV FILE, losetup -a.
LoopRun run_losetup(Strategy& strategy, const std::string& image, const std::string& out, bool fiber_user) {
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  SimLoop loop(ex);
  ProcessLoop for_processes(loop);
  loop.create_file("/isos/install.iso");
  ProcessOptions o;
  o.env = kLoopEnv;
  o.env.push_back("IMAGE=" + image);
  o.env.push_back("OUT=" + out);
  o.loop = &for_processes;
  spawn_process(ex, "script",
                {"sh", "-c", "dev=$(losetup -f) && losetup \"$dev\" \"$IMAGE\" && losetup -a >\"$OUT\" && "
                             "stat -c %t:%T \"$dev\" >>\"$OUT\""},
                o);
  if (fiber_user)
    ex.spawn("udisksd", [&loop] {
      const int index = loop.get_free().value;
      LoopFd fd = loop.open(index).value;
      loop.configure(fd, "/isos/install.iso", 0);  // no AUTOCLEAR: it stays bound after udisksd exits
      return ActorStatus::ok();
    });
  LoopRun run;
  run.result = ex.run();
  run.loop0 = loop.peek(0);
  run.loop1 = loop.peek(1);
  std::ifstream in(out);
  run.listed.assign(std::istreambuf_iterator<char>(in), {});
  return run;
}

TEST(ProcessLoop, LosetupBindsASimulatedLoopDeviceAndListsIt) {
  SKIP_WITHOUT_PROCESS_LOOP();
  Image image;
  const std::string out = image.path + ".out";
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  const LoopRun run = run_losetup(strategy, image.path, out, false);
  fs::remove(out);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
  ASSERT_TRUE(run.loop0.has_value());
  EXPECT_TRUE(run.loop0->bound);
  EXPECT_EQ(run.loop0->backing_file, image.path);
  const std::string text = trace_text(run.result);
  EXPECT_NE(text.find("proc.ioctl p2 3 LOOP_CTL_GET_FREE -> 0"), std::string::npos) << text;
  EXPECT_NE(text.find("LOOP_CONFIGURE " + image.path + " -> 0"), std::string::npos) << text;
  // losetup -a found it through /sys/block and LOOP_GET_STATUS64, with the file's real identity.
  struct stat st{};
  ASSERT_EQ(stat(image.path.c_str(), &st), 0);
  EXPECT_NE(run.listed.find(fmt::format("/dev/loop0: [{:04}]:{} ({})", st.st_dev, st.st_ino, image.path)), std::string::npos)
      << run.listed;
  EXPECT_NE(run.listed.find("7:0"), std::string::npos) << run.listed;
  // Nothing of the host's loop devices was touched, and the same seed gives the same trace.
  RandomStrategy again(1);
  again.begin_execution(0);
  const LoopRun second = run_losetup(again, image.path, out, false);
  fs::remove(out);
  EXPECT_EQ(trace_text(second.result), text);
}

// The race of xen-devel "libxl: support common cases without block script" (seed 004): between losetup -f
// and losetup DEV FILE another loop user takes the device, and the second losetup fails with EBUSY.
TEST(ProcessLoop, AnotherLoopUserCanTakeTheDeviceBetweenTheTwoLosetups) {
  SKIP_WITHOUT_PROCESS_LOOP();
  Image image;
  const std::string out = image.path + ".out";
  bool failed = false, passed = false;
  for (std::uint64_t seed = 1; seed <= 40 && !(failed && passed); ++seed) {
    RandomStrategy strategy(seed);
    strategy.begin_execution(0);
    const LoopRun run = run_losetup(strategy, image.path, out, true);
    fs::remove(out);
    if (run.result.failed()) {
      failed = true;
      EXPECT_NE(trace_text(run.result).find("LOOP_CONFIGURE " + image.path + " -> EBUSY"), std::string::npos)
          << trace_text(run.result);
      ASSERT_TRUE(run.loop0.has_value());
      EXPECT_EQ(run.loop0->backing_file, "/isos/install.iso");
    } else {
      passed = true;
    }
  }
  EXPECT_TRUE(failed) << "no seed of 40 put udisksd between losetup -f and losetup DEV FILE";
  EXPECT_TRUE(passed) << "no seed of 40 let the script through";
}

// One `sh -c SCRIPT` with the simulated loop driver (or, without `loop_devices`, the host's /dev and the simulated
// mount table only), seed 1, its trace kept. $IMAGE names a backing file of its own, and what the script writes to
// $OUT is read back.
struct ScriptRun {
  ExecutionResult result;
  std::string out;                   // what the script wrote to $OUT
  std::optional<LoopMedium> loop0;   // the driver's loop0 afterwards
};

ScriptRun run_script_with_loop(const std::string& script, bool loop_devices = true) {
  Image image;
  const std::string out = image.path + ".out";
  RandomStrategy strategy(1);
  strategy.begin_execution(0);
  StackPool stacks;
  Execution ex(strategy, stacks, keep_trace());
  SimLoop loop(ex);
  ProcessLoop for_processes(loop);
  ProcessOptions o;
  o.env = kLoopEnv;
  o.env.push_back("IMAGE=" + image.path);
  o.env.push_back("OUT=" + out);
  if (loop_devices) o.loop = &for_processes;
  else o.simulated_proc_files = true;
  spawn_process(ex, "script", {"sh", "-c", script}, o);
  ScriptRun run;
  run.result = ex.run();
  run.loop0 = loop.peek(0);
  std::ifstream in(out);
  run.out.assign(std::istreambuf_iterator<char>(in), {});
  fs::remove(out);
  return run;
}

// The mount table a script with loop devices reads (the block script's check_sharing: `cat /proc/mounts`) is the
// simulated dom0's, through every name it has, never the host's: the host's could name its own mounted loop
// devices, which are simulated devices in the actor's /dev. The file is read-only, like /proc's.
TEST(ProcessLoop, TheMountTableIsTheSimulatedDom0s) {
  SKIP_WITHOUT_PROCESS_LOOP();
  const ScriptRun run = run_script_with_loop(
      "for f in /proc/mounts /etc/mtab /proc/self/mounts \"/proc/$$/mounts\"; do cat \"$f\" >>\"$OUT\" || exit 1; done; "
      "if echo x 2>/dev/null >>/proc/mounts; then exit 2; fi; exit 0");
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
  const std::string table = std::string(*process::served_proc_file("/proc/mounts"));
  EXPECT_NE(table.find("/dev/root / ext4"), std::string::npos) << table;
  EXPECT_EQ(run.out, table + table + table + table);
  // Not a step: the content changes in none.
  EXPECT_EQ(trace_text(run.result).find("mounts"), std::string::npos) << trace_text(run.result);
}

// A program that keeps the host's /dev (a hotplug script given device nodes, ProcessOptions::simulated_proc_files)
// reads the simulated mount table too, and every other open runs on as made.
TEST(ProcessLoop, WithoutLoopDevicesTheMountTableCanStillBeTheSimulatedDom0s) {
  if (const std::string& why = process::process_actors_unsupported(); !why.empty())
    GTEST_SKIP() << "process actors are unsupported here: " << why;
  const ScriptRun run =
      run_script_with_loop("cat /proc/mounts >\"$OUT\" && wc -c <\"$IMAGE\" >>\"$OUT\" && test -c /dev/null", false);
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
  EXPECT_EQ(run.out, std::string(*process::served_proc_file("/proc/mounts")) + "4096\n");
}

// libmount's tools read /proc/self/mountinfo rather than /proc/mounts: served too, for every name, and in the
// format findmnt parses (it finds the root file system on /dev/root).
TEST(ProcessLoop, MountInfoIsTheSimulatedDom0sAndFindmntReadsIt) {
  SKIP_WITHOUT_PROCESS_LOOP();
  if (process::find_program("findmnt", kLoopEnv).empty()) GTEST_SKIP() << "findmnt is not installed";
  const ScriptRun run = run_script_with_loop(
      "for f in /proc/self/mountinfo \"/proc/$$/mountinfo\" /proc/thread-self/mountinfo; do "
      "cat \"$f\" >>\"$OUT\" || exit 1; done; "
      "findmnt -n -o SOURCE,FSTYPE / >>\"$OUT\" && findmnt -n -o TARGET /proc/xen >>\"$OUT\"");
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
  const std::string info = std::string(*process::served_proc_file("/proc/self/mountinfo"));
  EXPECT_NE(info.find(" - ext4 /dev/root "), std::string::npos) << info;
  EXPECT_EQ(run.out, info + info + info + "/dev/root ext4\n/proc/xen\n");
}

// BLKGETDISKSEQ on an emulated /dev/loopN is the simulated driver's diskseq (the step "loop.blkgetdiskseq"), the
// number /sys/block/loopN/diskseq shows; a block ioctl the model does not know is ENOTTY on a loop device, and
// one on another file runs in the kernel as made (ENOTTY for a regular file too).
TEST(ProcessLoop, BlkGetDiskSeqIsTheSimulatedDevicesDiskseq) {
  SKIP_WITHOUT_PROCESS_LOOP();
  if (process::find_program("python3", kLoopEnv).empty()) GTEST_SKIP() << "python3 is not installed";
  constexpr const char* kAsk = R"(
import errno, fcntl, os, struct, sys
def ask(path, request):
    fd = os.open(path, os.O_RDONLY)
    try:
        return str(struct.unpack("Q", fcntl.ioctl(fd, request, bytes(8)))[0])
    except OSError as e:
        return errno.errorcode[e.errno]
    finally:
        os.close(fd)
BLKGETDISKSEQ, BLKGETSIZE64 = 0x80081280, 0x80081272
print(ask(sys.argv[1], BLKGETDISKSEQ), ask(sys.argv[1], BLKGETSIZE64), ask(sys.argv[2], BLKGETDISKSEQ))
)";
  const ScriptRun run = run_script_with_loop(fmt::format(
      "dev=$(losetup -f --show \"$IMAGE\") && python3 -c '{}' \"$dev\" \"$IMAGE\" >\"$OUT\" && "
      "cat /sys/block/loop0/diskseq >>\"$OUT\"",
      kAsk));
  ASSERT_FALSE(run.result.failed()) << run.result.message << "\n" << trace_text(run.result);
  ASSERT_TRUE(run.loop0.has_value());
  ASSERT_TRUE(run.loop0->bound);
  EXPECT_EQ(run.out, fmt::format("{0} ENOTTY ENOTTY\n{0}\n", run.loop0->diskseq));
  const std::string text = trace_text(run.result);
  EXPECT_NE(text.find(fmt::format("BLKGETDISKSEQ {} -> 0", run.loop0->diskseq)), std::string::npos) << text;
  EXPECT_NE(text.find("loop.blkgetdiskseq"), std::string::npos) << text;
  EXPECT_NE(text.find("BLKGETSIZE64 -> ENOTTY"), std::string::npos) << text;
}

}  // namespace
}  // namespace xenrace
