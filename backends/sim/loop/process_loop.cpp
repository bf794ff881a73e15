#include "backends/sim/loop/process_loop.hpp"

namespace xenrace {

namespace {

int result(Errno e) { return e == 0 ? 0 : -e; }
template <class T>
int result(const Result<T>& r) {
  return r.ok() ? static_cast<int>(r.value) : -r.err;
}

}  // namespace

int ProcessLoop::get_free() { return result(loop_.get_free()); }
int ProcessLoop::add(int index) { return result(loop_.add(index)); }
int ProcessLoop::remove(int index) { return result(loop_.remove(index)); }

int ProcessLoop::open(int index) {
  const Result<LoopFd> fd = loop_.open(index);
  return fd.ok() ? fd.value.id : -fd.err;
}

int ProcessLoop::close(int handle) { return result(loop_.close(LoopFd{handle})); }

int ProcessLoop::configure(int handle, const std::string& file, std::uint64_t dev, std::uint64_t ino, std::uint32_t flags) {
  loop_.register_file(file, FileIdentity{dev, ino});
  return result(loop_.configure(LoopFd{handle}, file, flags));
}

int ProcessLoop::set_fd(int handle, const std::string& file, std::uint64_t dev, std::uint64_t ino) {
  loop_.register_file(file, FileIdentity{dev, ino});
  return result(loop_.set_fd(LoopFd{handle}, file));
}

int ProcessLoop::set_status_flags(int handle, std::uint32_t flags) {
  return result(loop_.set_status_flags(LoopFd{handle}, flags));
}

int ProcessLoop::get_status(int handle, process::LoopDeviceState& out) {
  const Result<LoopStatus> st = loop_.get_status(LoopFd{handle});
  if (!st.ok()) return -st.err;
  out.bound = true;
  out.backing_file = st.value.backing_file;
  out.file_dev = st.value.file.dev;
  out.file_ino = st.value.file.ino;
  out.flags = st.value.flags;
  return 0;
}

int ProcessLoop::clr_fd(int handle) { return result(loop_.clr_fd(LoopFd{handle})); }

int ProcessLoop::diskseq(int handle, std::uint64_t& out) {
  const Result<std::uint64_t> seq = loop_.fd_diskseq(LoopFd{handle});
  if (!seq.ok()) return -seq.err;
  out = seq.value;
  return 0;
}

std::vector<process::LoopDeviceState> ProcessLoop::devices() const {
  std::vector<process::LoopDeviceState> out;
  for (int index : loop_.indexes()) {
    const std::optional<LoopMedium> m = loop_.peek(index);
    if (!m) continue;
    process::LoopDeviceState d;
    d.index = index;
    d.bound = m->bound;
    d.backing_file = m->backing_file;
    d.file_dev = m->file.dev;
    d.file_ino = m->file.ino;
    d.flags = m->flags;
    d.diskseq = m->diskseq;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace xenrace
