// The report directory: checked before any work starts, written at the end as a complete set.
// Each file is written to a hidden temporary name in the directory and renamed into place only after
// every file was written, results.json (the index, "complete": true) last; a failure removes the
// temporaries, so a reader never mistakes a partial set for a finished report.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/types.hpp"
#include "reports/report_entry.hpp"
#include "reports/results_json.hpp"

namespace xenrace::reports {

// Bad report directory: the CLI prints it and exits 2, like other bad input.
struct ReportDirError : UsageError {
  using UsageError::UsageError;
};

class ReportDir {
 public:
  // Creates the directory when missing and proves it writable; throws ReportDirError naming it.
  explicit ReportDir(std::filesystem::path dir);

  // Writes junit.xml, results.json, timeline.html and one trace-<scenario>-<variant>.json per failure.
  // Returns the paths written; throws ReportDirError (and leaves no temporary behind) on failure.
  std::vector<std::filesystem::path> write(const std::vector<ReportEntry>& entries, const ReportOrigin& origin) const;

  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace xenrace::reports
