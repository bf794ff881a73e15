#include "run/workers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "runtime/types.hpp"

namespace xenrace {
namespace {

// What a worker writes: one status byte, then the task's bytes or the error's message.
enum Status : char { ok = 'o', usage = 'u', error = 'e' };

struct Worker {
  std::size_t task;
  pid_t pid;
  int fd;
  std::string data;
};

void write_all(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);
    at += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void work(std::size_t i, int fd, const std::function<std::string(std::size_t)>& task) {
  std::string out;
  try {
    out = std::string(1, ok) + task(i);
  } catch (const UsageError& e) {
    out = std::string(1, usage) + e.what();
  } catch (const std::exception& e) {
    out = std::string(1, error) + e.what();
  } catch (...) {
    out = std::string(1, error) + "unknown exception";
  }
  write_all(fd, out);
  ::close(fd);
  _exit(0);  // no atexit handlers, no flushing of buffers copied from the parent
}

}  // namespace

unsigned available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

void run_in_workers(std::size_t count, unsigned jobs, const std::function<std::string(std::size_t)>& task,
                    const std::function<void(std::size_t, std::string)>& on_result,
                    const std::function<std::string(std::size_t)>& describe,
                    const std::function<void(std::size_t, std::size_t)>& done) {
  if (jobs <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      on_result(i, task(i));
      if (done) done(i + 1, count);
    }
    return;
  }
  std::vector<Worker> running;
  std::map<std::size_t, std::string> finished;  // results not yet handed on (an earlier task still runs)
  std::size_t next_task = 0, next_out = 0, finished_count = 0;

  auto stop_all = [&] {
    for (auto& w : running) {
      ::kill(w.pid, SIGKILL);
      ::close(w.fd);
      int status = 0;
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    running.clear();
  };

  try {
    while (next_out < count) {
      while (running.size() < jobs && next_task < count) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
        const pid_t pid = ::fork();
        if (pid < 0) {
          ::close(fds[0]);
          ::close(fds[1]);
          throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        }
        if (pid == 0) {
          ::close(fds[0]);
          for (const auto& w : running) ::close(w.fd);
          work(next_task, fds[1], task);
        }
        ::close(fds[1]);
        running.push_back(Worker{next_task++, pid, fds[0], {}});
      }
      std::vector<pollfd> polls;
      for (const auto& w : running) polls.push_back(pollfd{w.fd, POLLIN, 0});
      if (::poll(polls.data(), polls.size(), -1) < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
      }
      for (std::size_t k = polls.size(); k-- > 0;) {
        if (!(polls[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        Worker& w = running[k];
        char buffer[65536];
        const ssize_t n = ::read(w.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) {
          w.data.append(buffer, static_cast<std::size_t>(n));
          continue;
        }
        // End of the pipe: the worker is done, or died.
        ::close(w.fd);
        int status = 0;
        while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
        }
        Worker dead = std::move(w);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
        const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !dead.data.empty();
        if (!clean) {
          const std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                      : "exited " + std::to_string(WEXITSTATUS(status)) +
                                                            " without a result";
          throw std::runtime_error("the worker process for " + describe(dead.task) + " " + how);
        }
        if (dead.data[0] == usage) throw UsageError(dead.data.substr(1));
        if (dead.data[0] != ok) throw std::runtime_error(describe(dead.task) + ": " + dead.data.substr(1));
        finished.emplace(dead.task, dead.data.substr(1));
        ++finished_count;
        if (done) done(finished_count, count);
      }
      for (auto it = finished.find(next_out); it != finished.end(); it = finished.find(next_out)) {
        on_result(next_out, std::move(it->second));
        finished.erase(it);
        ++next_out;
      }
    }
  } catch (...) {
    stop_all();
    throw;
  }
}

}  // namespace xenrace
