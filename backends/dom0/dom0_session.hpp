// One `xenrace run --backend dom0` invocation: its run id, its ledger, its scratch directory and the
// XenStore subtree its executions live under. Every execution of the run builds a Dom0World on it.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "backends/dom0/cleanup.hpp"
#include "backends/dom0/dom0_config.hpp"
#include "backends/dom0/ledger.hpp"

namespace xenrace::dom0 {

class Dom0Session {
 public:
  // Checks the test-host consent, creates WORK_DIR and the ledger WORK_DIR/RUN-ID.ledger.
  // `ledger_dir` (e.g. --report-dir) overrides where the ledger goes.
  explicit Dom0Session(Dom0Config config, const std::string& ledger_dir = "");
  ~Dom0Session();  // cleans up whatever is still in the ledger
  Dom0Session(const Dom0Session&) = delete;
  Dom0Session& operator=(const Dom0Session&) = delete;

  const Dom0Config& config() const { return config_; }
  Ledger& ledger() { return *ledger_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& ledger_path() const { return ledger_->path(); }

  // The run's scratch directory (created and ledgered on first use).
  const std::string& scratch_dir();
  // The scratch directory's path whether or not it exists yet (names only, creates nothing).
  std::string scratch_dir_if_any() const { return config_.work_dir + "/" + run_id_; }
  // The XenStore subtree of the next execution: ROOT/RUN-ID/eN (the run's node ledgered on first use).
  std::string next_xenstore_prefix();
  std::uint64_t executions() const { return executions_; }

  // The verdicts so far, counted as each execution ends, so an interrupted command can still say what it saw:
  // "3 runs finished: 2 passed, 1 failed". Atomic: the interrupt guard reads it from its own thread.
  void count_finished_run(bool failed);
  std::string tally() const;

  // Undoes everything the ledger still lists; idempotent. Called by the destructor, by a signal, and by
  // the CLI before it prints the report.
  CleanupReport clean_up();

 private:
  Dom0Config config_;
  std::string run_id_;
  std::unique_ptr<Ledger> ledger_;
  std::string scratch_;
  bool xs_run_node_ = false;
  std::uint64_t executions_ = 0;
  bool cleaned_ = false;
  std::atomic<std::uint64_t> finished_runs_{0};
  std::atomic<std::uint64_t> failed_runs_{0};
};

// A fresh run id: time and pid, e.g. "r20250101T120000-4242". Carries only [A-Za-z0-9-] (safe in
// xenstore paths and file names).
std::string make_run_id();

}  // namespace xenrace::dom0
