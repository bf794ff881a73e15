// The hotplug scripts' lock (tools/hotplug/Linux/locking.sh). claim_lock opens the lock file and flocks it;
// release_lock removes the file while still holding it. A script already waiting then gets the lock on the
// removed file, while the next script to arrive creates a new file and locks that one. Two scripts hold "the"
// lock, and both bind the loop device they found free. Xen 334f50ccc4 checks, after flock, that the file it
// locked is still the one at the path, and starts over when it is not.
#include <fmt/format.h>

#include <xenrace/scenario.hpp>

using namespace xenrace;

constexpr const char* kLock = "/var/run/xen-hotplug/block";

XENRACE_SCENARIO({
    .name = "hotplug-lock",
    .description = "block scripts race for locking.sh's flock lock while its holder releases it with rm",
    .source = "Xen 334f50ccc4 (hotplug/Linux: after flock, check the lock file's inode)",
    .tags = {"hotplug", "loop"},
    .variants = {{"buggy", Expect::fail, "flock, then release by rm: nothing checks which file was locked"},
                 {"fixed", Expect::pass, "after flock, the fd's inode must be the path's, else start over"}},
    .default_strategy = "random",
    .default_iterations = 500,
    .params = {integer_param("scripts", 3, "how many block scripts run at once (the race needs three)", 3, 8)},
}) {
  FileSystem& fs = race.world.file_system();
  LoopDevices& loop = race.world.loop();
  for (const char* dir : {"/var", "/var/run", "/var/run/xen-hotplug", "/images"}) fs.mkdir(dir);
  int& holders = race.make<int>(0);
  const bool recheck = race.is("fixed");

  for (int i = 1; i <= race.param<int>("scripts"); ++i) {
    const std::string image = fmt::format("/images/guest{}.img", i);
    loop.create_file(image);
    race.spawn(fmt::format("block add vbd/{}/51712", i), [&fs, &loop, &holders, recheck, image] {
      Fd lock;
      for (;;) {  // claim_lock
        lock = fs.open(kLock, kOCreat).value;
        fs.flock(lock, kLockEx);
        if (!recheck) break;
        const Result<FileStat> at_path = fs.stat(kLock);
        if (at_path.ok() && at_path.value.id == fs.fstat(lock).value.id) break;
        fs.close(lock);  // locked a removed file: start over
      }
      ++holders;
      const int index = loop.get_free().value;  // losetup -f --show IMAGE
      const LoopFd dev = loop.open(index).value;
      if (loop.configure(dev, image, 0) != 0) throw std::runtime_error(fmt::format("losetup: loop{} busy", index));
      loop.close(dev);
      --holders;
      fs.unlink(kLock);  // release_lock
      fs.close(lock);
    });
  }
  race.always("one script holds the lock", [&holders] {
    return holders <= 1 ? std::string() : fmt::format("{} block scripts hold the hotplug lock at once", holders);
  });
}
