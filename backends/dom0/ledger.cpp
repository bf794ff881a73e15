#include "backends/dom0/ledger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace xenrace::dom0 {
namespace {

constexpr const char* kMagic = "xenrace-ledger 1";

// Fields are paths and ids: a tab or newline inside one would break the format, so refuse it.
void check_field(const std::string& f) {
  if (f.find_first_of("\t\n") != std::string::npos)
    throw std::runtime_error("ledger field contains a tab or newline: '" + f + "'");
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, '\t')) out.push_back(cur);
  return out;
}

}  // namespace

Ledger::Ledger(std::string path, std::string run_id) : path_(std::move(path)), run_id_(std::move(run_id)) {
  check_field(run_id_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error(fmt::format("cannot create ledger {}: {}", path_, std::strerror(errno)));
  std::lock_guard<std::mutex> lock(mutex_);
  append(kMagic);
  append(fmt::format("run\t{}\t{}", run_id_, ::getpid()));
  // The directory entry must be durable too, or a crash could lose the whole file.
  const auto slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

Ledger::~Ledger() {
  if (fd_ >= 0) ::close(fd_);
}

void Ledger::append(const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(fmt::format("cannot write ledger {}: {}", path_, std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0)
    throw std::runtime_error(fmt::format("cannot fsync ledger {}: {}", path_, std::strerror(errno)));
}

std::uint64_t Ledger::intend(const std::string& kind, const std::vector<std::string>& fields) {
  check_field(kind);
  std::string line;
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) throw std::runtime_error("the run is being cleaned up: no new host resources");
  const std::uint64_t id = next_id_++;
  line = fmt::format("intent\t{}\t{}", id, kind);
  for (const auto& f : fields) {
    check_field(f);
    line += "\t" + f;
  }
  append(line);
  return id;
}

void Ledger::released(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  append(fmt::format("released\t{}", id));
}

Ledger::Creation::Creation(Ledger& ledger, const std::string& kind, const std::vector<std::string>& fields)
    : ledger_(ledger) {
  {
    std::lock_guard<std::mutex> lock(ledger_.mutex_);
    if (ledger_.closed_) throw std::runtime_error("the run is being cleaned up: no new host resources");
    ++ledger_.in_flight_;
  }
  try {
    id_ = ledger_.intend(kind, fields);
  } catch (...) {
    std::lock_guard<std::mutex> lock(ledger_.mutex_);
    --ledger_.in_flight_;
    ledger_.drained_.notify_all();
    throw;
  }
}

Ledger::Creation::~Creation() {
  std::lock_guard<std::mutex> lock(ledger_.mutex_);
  --ledger_.in_flight_;
  ledger_.drained_.notify_all();
}

Ledger::Change::Change(Ledger& ledger) : ledger_(ledger) {
  std::lock_guard<std::mutex> lock(ledger_.mutex_);
  if (ledger_.closed_) throw std::runtime_error("the run is being cleaned up: no more changes to host resources");
  ++ledger_.in_flight_;
}

Ledger::Change::~Change() {
  std::lock_guard<std::mutex> lock(ledger_.mutex_);
  --ledger_.in_flight_;
  ledger_.drained_.notify_all();
}

void Ledger::close_and_drain(int max_wait_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  closed_ = true;
  drained_.wait_for(lock, std::chrono::milliseconds(max_wait_ms), [this] { return in_flight_ == 0; });
}

std::vector<LedgerEntry> read_ledger(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read ledger {}: {}", path, std::strerror(errno)));
  std::string line;
  if (!std::getline(in, line) || line != kMagic)
    throw std::runtime_error(fmt::format("{} is not a xenrace ledger (its first line is not '{}')", path, kMagic));
  std::vector<LedgerEntry> entries;
  while (std::getline(in, line)) {
    // A last line without its newline was torn by a crash during the write: its creation never began
    // (creation waits for the fsync), and a cut-off path must never be undone.
    if (in.eof()) break;
    auto f = split_tabs(line);
    if (f.size() >= 3 && f[0] == "intent") {
      LedgerEntry e;
      e.id = std::stoull(f[1]);
      e.kind = f[2];
      e.fields.assign(f.begin() + 3, f.end());
      entries.push_back(std::move(e));
    } else if (f.size() == 2 && f[0] == "released") {
      const std::uint64_t id = std::stoull(f[1]);
      for (auto& e : entries)
        if (e.id == id) e.released = true;
    }
    // "run" lines and a torn last line (crash mid-write) carry nothing to undo.
  }
  return entries;
}

}  // namespace xenrace::dom0
