// The Ledger of a dom0 run: every host resource the run creates (its XenStore subtree, backing files,
// loop devices, mdevs, pciback slots) is written to a file and fsync()ed BEFORE the creation, so a run
// that dies at any point — error, SIGINT/SIGTERM, SIGKILL, power loss after the write — leaves a list
// from which `xenrace cleanup LEDGER` can undo exactly what it made, and nothing else.
//
// Format: text, one record per line, tab-separated, append-only:
//   xenrace-ledger 1
//   run <TAB> RUN-ID <TAB> PID
//   intent <TAB> N <TAB> KIND <TAB> FIELD...      written before creating resource N
//   released <TAB> N                              N was undone (by the run itself or by cleanup)
// An intent without a creation (crash in between) is harmless: its undo finds nothing and says so.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace xenrace::dom0 {

// What a ledger entry names. Each kind's fields are fixed:
//   xs-tree  PATH XENSTORED_PATH("-": libxenstore's default)   rm -r of the node
//   file     PATH                                             unlink
//   loop     /dev/loopN BACKING_FILE                          LOOP_CLR_FD, only if still bound to BACKING_FILE
//   loop-in  DIR                                              LOOP_CLR_FD of every device bound to a file in DIR
//                                                             (bound by another program: the host's block script)
//   mdev     UUID                                             echo 1 > /sys/bus/mdev/devices/UUID/remove
//   pci-slot BDF                                              echo BDF > pciback/remove_slot
//   pci-dev  SYSFS_ROOT BDF DRIVER("-": none) SLOT_ENTRIES     a real PCI function given to pciback
//                                                             (real_pci_device.hpp): put back as it was
//   xs-vbd   BACKEND BACKEND_TOP ERROR ERROR_TOP SOCKET        a real vbd backend for xen-blkback (real_vbd.hpp):
//                                                             removed only while its xenrace-run marker is the run's
struct LedgerEntry {
  std::uint64_t id = 0;
  std::string kind;
  std::vector<std::string> fields;
  bool released = false;
};

class Ledger {
 public:
  // Creates a new ledger file (never overwrites one). Throws std::runtime_error naming the path.
  Ledger(std::string path, std::string run_id);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Records the intent to create a resource, durably; returns its id. Throws once the ledger is closed
  // (an interrupted run creates nothing more) or when the write fails (then nothing may be created).
  std::uint64_t intend(const std::string& kind, const std::vector<std::string>& fields);
  // The resource was undone: cleanup need not touch it.
  void released(std::uint64_t id);

  // A creation in progress: between intend() and the resource existing. close_and_drain() waits for
  // these, so an interrupt never undoes a resource that appears a moment later.
  class Creation {
   public:
    Creation(Ledger& ledger, const std::string& kind, const std::vector<std::string>& fields);
    ~Creation();
    Creation(const Creation&) = delete;
    Creation& operator=(const Creation&) = delete;
    std::uint64_t id() const { return id_; }

   private:
    Ledger& ledger_;
    std::uint64_t id_;
  };

  // A change to a resource already in the ledger (a sysfs write to a device recorded with its original
  // state): counted in flight like a creation, so an interrupt restores the device only after the write.
  // Throws once the ledger is closed: an interrupted run changes nothing more.
  class Change {
   public:
    explicit Change(Ledger& ledger);
    ~Change();
    Change(const Change&) = delete;
    Change& operator=(const Change&) = delete;

   private:
    Ledger& ledger_;
  };

  // No new intents from now on; waits (up to `max_wait_ms`) for creations in progress.
  void close_and_drain(int max_wait_ms);
  const std::string& path() const { return path_; }
  const std::string& run_id() const { return run_id_; }

 private:
  void append(const std::string& line);  // write + fsync; caller holds mutex_

  std::string path_;
  std::string run_id_;
  int fd_ = -1;
  std::uint64_t next_id_ = 1;
  bool closed_ = false;
  int in_flight_ = 0;
  std::mutex mutex_;
  std::condition_variable drained_;
};

// Reads a ledger; throws std::runtime_error when the file is missing or not a ledger.
std::vector<LedgerEntry> read_ledger(const std::string& path);

}  // namespace xenrace::dom0
