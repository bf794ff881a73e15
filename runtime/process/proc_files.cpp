#include "runtime/process/proc_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace xenrace::process {

namespace {

int open_in(const char* dir, const char* name) {
  char path[128];
  std::snprintf(path, sizeof(path), "%s/%s", dir, name);
  return ::open(path, O_RDONLY | O_CLOEXEC);
}

// The whole file from offset 0 into buf, NUL-terminated; its length, or -1.
ssize_t read_from_start(int fd, char* buf, std::size_t size) {
  if (fd < 0) return -1;
  const ssize_t n = ::pread(fd, buf, size - 1, 0);
  if (n >= 0) buf[n] = '\0';
  return n;
}

// The fields after the command name's closing parenthesis (the name may hold spaces and parentheses):
// state, ppid, then 16 more up to num_threads.
bool parse_stat(const char* buf, TaskSample& s) {
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr) return false;
  int ppid = 0;
  long threads = 0;
  if (std::sscanf(close + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %ld", &s.state,
                  &ppid, &threads) < 2)
    return false;
  s.ppid = ppid;
  s.threads = threads;
  return true;
}

bool parse_schedstat(const char* buf, TaskSample& s) {
  unsigned long long on_cpu = 0, waited = 0, runs = 0;
  if (std::sscanf(buf, "%llu %llu %llu", &on_cpu, &waited, &runs) != 3) return false;
  s.runs = runs;
  return true;
}

bool read_all(int stat, int schedstat, int syscall, TaskSample& s) {
  char buf[512];
  if (read_from_start(stat, buf, sizeof(buf)) <= 0 || !parse_stat(buf, s)) return false;
  if (read_from_start(schedstat, buf, sizeof(buf)) <= 0 || !parse_schedstat(buf, s)) return false;
  return read_from_start(syscall, s.call, sizeof(s.call)) > 0;
}

}  // namespace

ProcFiles::ProcFiles(pid_t pid) {
  char dir[32];
  std::snprintf(dir, sizeof(dir), "/proc/%d", pid);
  *this = ProcFiles(static_cast<const char*>(dir));
}

ProcFiles::ProcFiles(const char* dir) {
  for (auto [fd, name] : {std::pair{&stat_, "stat"}, {&schedstat_, "schedstat"}, {&syscall_, "syscall"}}) {
    *fd = open_in(dir, name);
    if (*fd < 0 && errno != ENOENT && errno != ESRCH) {
      const int error = errno;
      close();
      throw std::runtime_error(std::string("process actor: cannot open ") + dir + "/" + name + ": " +
                               std::strerror(error));
    }
  }
}

ProcFiles& ProcFiles::operator=(ProcFiles&& other) noexcept {
  if (this != &other) {
    close();
    stat_ = other.stat_;
    schedstat_ = other.schedstat_;
    syscall_ = other.syscall_;
    other.stat_ = other.schedstat_ = other.syscall_ = -1;
  }
  return *this;
}

bool ProcFiles::read(TaskSample& s) const { return read_all(stat_, schedstat_, syscall_, s); }

bool ProcFiles::read_stat(TaskSample& s) const {
  char buf[512];
  return read_from_start(stat_, buf, sizeof(buf)) > 0 && parse_stat(buf, s);
}

void ProcFiles::close() {
  for (int* fd : {&stat_, &schedstat_, &syscall_})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
}

bool read_stat_of(pid_t pid, TaskSample& s) {
  char dir[32];
  std::snprintf(dir, sizeof(dir), "/proc/%d", pid);
  const int fd = open_in(dir, "stat");
  char buf[512];
  const bool ok = read_from_start(fd, buf, sizeof(buf)) > 0 && parse_stat(buf, s);
  if (fd >= 0) ::close(fd);
  return ok;
}

bool read_task_at(const char* dir, TaskSample& s) { return ProcFiles(dir).read(s); }

}  // namespace xenrace::process
