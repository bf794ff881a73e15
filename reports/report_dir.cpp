#include "reports/report_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "reports/chrome_trace.hpp"
#include "reports/html_timeline.hpp"
#include "reports/junit_report.hpp"

namespace xenrace::reports {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const fs::path& dir, const std::string& what, int err) {
  throw ReportDirError(fmt::format("cannot write the report directory '{}': {}: {}", dir.string(), what,
                                   std::strerror(err)));
}

fs::path temporary_for(const fs::path& dir, const std::string& name) {
  return dir / fmt::format(".{}.tmp-{}", name, getpid());
}

// Writes the whole content and flushes it to disk; returns errno or 0.
int write_file(const fs::path& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 && errno != EINVAL) {
    int err = errno;
    ::close(fd);
    return err;
  }
  return ::close(fd) == 0 ? 0 : errno;
}

}  // namespace

ReportDir::ReportDir(std::filesystem::path dir) : dir_(std::move(dir)) {
  if (dir_.empty()) throw ReportDirError("--report-dir needs a directory name");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) fail(dir_, "cannot create it", ec.value());
  if (!fs::is_directory(dir_, ec)) fail(dir_, "not a directory", ENOTDIR);
  const fs::path probe = temporary_for(dir_, "probe");
  if (int err = write_file(probe, ""); err != 0) fail(dir_, "cannot create a file in it", err);
  ::unlink(probe.c_str());
}

std::vector<std::filesystem::path> ReportDir::write(const std::vector<ReportEntry>& entries,
                                                    const ReportOrigin& origin) const {
  // Render everything first: no file is touched until every report exists in memory.
  std::vector<std::pair<std::string, std::string>> files;  // name, content; results.json last
  for (const auto& e : entries)
    if (e.failed) files.emplace_back(chrome_trace_file_name(e), dump_json(chrome_trace(e)));
  files.emplace_back("junit.xml", junit_xml(entries, (dir_ / "timeline.html").string()));
  files.emplace_back("timeline.html", html_timeline(entries, origin.command));
  files.emplace_back("results.json", dump_json(results_json(entries, origin)));

  std::vector<fs::path> temporaries;
  const auto remove_temporaries = [&] {
    for (const auto& t : temporaries) ::unlink(t.c_str());
  };
  for (const auto& [name, content] : files) {
    fs::path tmp = temporary_for(dir_, name);
    temporaries.push_back(tmp);
    if (int err = write_file(tmp, content); err != 0) {
      remove_temporaries();
      fail(dir_, "writing " + name, err);
    }
  }
  // An index left from an earlier run must not vouch for files this run is replacing.
  ::unlink((dir_ / "results.json").c_str());
  std::vector<fs::path> written;
  for (std::size_t i = 0; i < files.size(); ++i) {
    fs::path final_path = dir_ / files[i].first;
    if (::rename(temporaries[i].c_str(), final_path.c_str()) != 0) {
      int err = errno;
      remove_temporaries();
      fail(dir_, "renaming " + files[i].first + " into place", err);
    }
    written.push_back(final_path);
  }
  return written;
}

}  // namespace xenrace::reports
