#include "backends/dom0/dom0_session.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>

#include "backends/dom0/xs_handle.hpp"

namespace xenrace::dom0 {
namespace {

void make_dirs(const std::string& path) {
  for (std::size_t pos = 1; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    const std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      throw std::runtime_error(fmt::format("cannot create {}: {}", part, std::strerror(errno)));
  }
}

}  // namespace

std::string make_run_id() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  static unsigned sequence = 0;  // several sessions in one process (tests) still get distinct ids
  return fmt::format("r{}-{}-{}", stamp, ::getpid(), sequence++);
}

Dom0Session::Dom0Session(Dom0Config config, const std::string& ledger_dir)
    : config_(std::move(config)), run_id_(make_run_id()) {
  require_test_host(config_);
  const std::string dir = ledger_dir.empty() ? config_.work_dir : ledger_dir;
  make_dirs(dir);
  ledger_ = std::make_unique<Ledger>(dir + "/" + run_id_ + ".ledger", run_id_);
}

Dom0Session::~Dom0Session() {
  try {
    clean_up();
  } catch (...) {
    // The ledger file stays: `xenrace cleanup` can finish the job.
  }
}

const std::string& Dom0Session::scratch_dir() {
  if (scratch_.empty()) {
    make_dirs(config_.work_dir);
    const std::string dir = config_.work_dir + "/" + run_id_;
    Ledger::Creation c(*ledger_, "dir", {dir});
    if (::mkdir(dir.c_str(), 0700) != 0)
      throw std::runtime_error(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
    scratch_ = dir;
  }
  return scratch_;
}

std::string Dom0Session::next_xenstore_prefix() {
  const std::string run_node = config_.xenstore_root + "/" + run_id_;
  if (!xs_run_node_) {
    const std::string socket = config_.xenstored_path.empty() ? "-" : config_.xenstored_path;
    // xenstored creates the missing parents of the first node written below them. A root this run brings
    // into being is the run's to remove once empty (undone after the run node: the ledger unwinds backwards);
    // one that was there before is left as found.
    XsHandle h(config_.xenstored_path);
    if (h && h.read(kNoTx, config_.xenstore_root).err == ENOENT)
      ledger_->intend("xs-parent", {config_.xenstore_root, socket});
    // Ledgered before anything is written below it; removing it removes every execution's subtree.
    ledger_->intend("xs-tree", {run_node, socket});
    xs_run_node_ = true;
  }
  return fmt::format("{}/e{}", run_node, executions_++);
}

void Dom0Session::count_finished_run(bool failed) {
  finished_runs_.fetch_add(1, std::memory_order_relaxed);
  if (failed) failed_runs_.fetch_add(1, std::memory_order_relaxed);
}

std::string Dom0Session::tally() const {
  const std::uint64_t n = finished_runs_.load(std::memory_order_relaxed);
  const std::uint64_t f = failed_runs_.load(std::memory_order_relaxed);
  return fmt::format("{} run{} finished: {} passed, {} failed", n, n == 1 ? "" : "s", n - f, f);
}

CleanupReport Dom0Session::clean_up() {
  if (cleaned_) return {run_id_, {}};
  cleaned_ = true;
  return clean_up_ledger(ledger_->path());
}

}  // namespace xenrace::dom0
