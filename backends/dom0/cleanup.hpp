// Undoing a ledger: every resource recorded with an intent and not released is removed, newest first,
// and only if it still is what the run created (a loop device is detached only while still bound to the
// run's own backing file; paths must carry the run id). Used at the end of a run, on error, on
// SIGINT/SIGTERM, and by `xenrace cleanup LEDGER` after a crash.
#pragma once
#include <string>
#include <vector>

namespace xenrace::dom0 {

struct CleanupItem {
  std::string what;    // "loop /dev/loop3 (backing /var/tmp/xenrace/r1/disk-a)"
  std::string result;  // "removed", "already gone", "left alone: ...", "failed: ..."
  bool ok = true;      // false: something may still be on the host
};

struct CleanupReport {
  std::string run_id;
  std::vector<CleanupItem> items;
  bool ok() const {
    for (const auto& i : items)
      if (!i.ok) return false;
    return true;
  }
};

// Throws std::runtime_error when the file is not a readable ledger.
CleanupReport clean_up_ledger(const std::string& ledger_path);

std::string format_cleanup(const CleanupReport& r);

}  // namespace xenrace::dom0
