#include "backends/sim/xenstore/xs_server.hpp"

#include <malloc.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "backends/sim/xenstore/xs_protocol.hpp"

namespace xenrace::xs {

namespace {
std::system_error sys_error(const std::string& what) { return std::system_error(errno, std::generic_category(), what); }
}  // namespace

struct XsServer::Client {
  int fd = -1;
  std::uint32_t number = 0;
  std::unique_ptr<ProtocolConnection> conn;
  bool closing = false;
  bool blocked = false;  // its socket was full: write again only once poll says it drains
  ~Client() {
    if (fd >= 0) ::close(fd);
  }
};

XsServer::XsServer(ServerOptions options) : options_(std::move(options)), store_(options_.store) {
  if (options_.socket_path.empty()) throw std::invalid_argument("serve-xenstore needs a socket path");
  if (!options_.domains.empty()) {  // the toolstack's INTRODUCE of each, before any client comes
    const ConnId toolstack = store_.open_connection(options_.store.priv_domid);
    for (DomId d : options_.domains)
      if (Errno e = store_.introduce_domain(toolstack, d, 0, 1))
        throw std::invalid_argument(fmt::format("cannot introduce domain {}: {}", d, errno_name(e)));
    store_.close_connection(toolstack);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (options_.socket_path.size() >= sizeof addr.sun_path)
    throw std::invalid_argument("socket path too long for a Unix socket: " + options_.socket_path);
  std::memcpy(addr.sun_path, options_.socket_path.c_str(), options_.socket_path.size() + 1);
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw sys_error("pipe");
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw sys_error("socket");
  struct stat st{};
  if (::lstat(options_.socket_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    ::unlink(options_.socket_path.c_str());  // a stale socket of an earlier run
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw sys_error("bind " + options_.socket_path);
  if (::listen(listen_fd_, 128) != 0) throw sys_error("listen " + options_.socket_path);
  if (options_.scheduled) {
    chooser_ = options_.replay ? std::make_unique<RequestChooser>(*options_.replay)
                               : std::make_unique<RequestChooser>(options_.strategy);
  }
}

XsServer::~XsServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    clients_.clear();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(options_.socket_path.c_str());
  }
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

void XsServer::stop() {
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(wake_pipe_[1], &byte, 1);
}

void XsServer::accept_clients() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->number = next_client_number_++;
    {
      std::lock_guard<std::mutex> lock(mu_);
      c->conn = std::make_unique<ProtocolConnection>(store_);
    }
    if (options_.log) *options_.log << fmt::format("client #{} connected\n", c->number) << std::flush;
    clients_.push_back(std::move(c));
  }
}

bool XsServer::read_from(Client& c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return false;  // the client went away, possibly mid-message or mid-transaction
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    std::lock_guard<std::mutex> lock(mu_);
    if (!c.conn->receive(std::string_view(buf, static_cast<std::size_t>(n)))) {
      if (options_.log) *options_.log << fmt::format("client #{}: message over 4096 bytes, closing\n", c.number);
      return false;
    }
  }
}

bool XsServer::write_to(Client& c) {
  std::lock_guard<std::mutex> lock(mu_);
  while (c.conn->has_output()) {
    const std::string_view out = c.conn->output();
    const ssize_t n = ::send(c.fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      c.blocked = errno == EAGAIN || errno == EWOULDBLOCK;
      return c.blocked || errno == EINTR;
    }
    c.conn->sent(static_cast<std::size_t>(n));
  }
  return true;
}

int XsServer::poll_timeout_ms(std::chrono::steady_clock::time_point now) const {
  if (!chooser_ || !waiting_since_) return -1;
  auto due = *waiting_since_ + options_.gather;
  if (chooser_->replaying()) due = std::max(due, *waiting_since_ + options_.replay_patience);
  if (due <= now) return 0;
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(due - now).count());
}

void XsServer::apply_scheduled(std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::uint32_t> waiting;
  for (const auto& c : clients_)
    if (!c->closing && c->conn->has_request()) waiting.push_back(c->number);
  if (waiting.empty()) {
    waiting_since_.reset();
    return;
  }
  if (!waiting_since_) waiting_since_ = now;
  if (now - *waiting_since_ < options_.gather) return;  // let concurrent clients' requests arrive
  std::optional<std::uint32_t> pick = chooser_->choose(waiting);
  if (!pick) {
    if (now - *waiting_since_ < options_.replay_patience) return;
    pick = chooser_->give_up(waiting);
    if (options_.log) *options_.log << "replay diverged: the recorded client sent nothing\n";
  }
  for (auto& c : clients_) {
    if (c->number != *pick) continue;
    const Message& m = c->conn->next_request();
    if (options_.log) {
      const auto first = strings(m.payload);
      *options_.log << fmt::format("decision {}: client #{} {} {} (waiting: {})\n", chooser_->decisions().size(),
                                   c->number, wire::type_name(m.header.type), first.empty() ? "" : first[0],
                                   fmt::join(waiting, " "));
    }
    c->conn->handle_next();
    ++served_;
  }
  waiting_since_ = now;  // the served client's next request gets a chance to compete
}

void XsServer::run() {
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({options_.stop_fd, POLLIN, 0});  // poll ignores a negative fd
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : clients_) {
      short events = POLLIN;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (c->conn->has_output()) events |= POLLOUT;
      }
      fds.push_back({c->fd, events, 0});
    }
    const int ready = ::poll(fds.data(), fds.size(), poll_timeout_ms(std::chrono::steady_clock::now()));
    if (ready < 0 && errno != EINTR) throw sys_error("poll");
    if (fds[0].revents || fds[1].revents) return;
    if (fds[2].revents & POLLIN) accept_clients();
    for (std::size_t i = 3; i < fds.size(); ++i) {
      Client& c = *clients_[i - 3];
      if (fds[i].revents & POLLOUT) c.blocked = false;
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !read_from(c)) c.closing = true;
    }
    if (chooser_) {
      apply_scheduled(std::chrono::steady_clock::now());
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : clients_) {
        if (c->closing) continue;
        while (c->conn->has_request()) {
          c->conn->handle_next();
          ++served_;
        }
      }
    }
    for (auto& c : clients_)  // a client that does not read costs no system call until it drains
      if (!c->closing && !c->blocked && !write_to(*c)) c->closing = true;
    std::lock_guard<std::mutex> lock(mu_);
    bool closed = false;
    for (auto it = clients_.begin(); it != clients_.end();) {
      if ((*it)->closing) {
        if (options_.log) *options_.log << fmt::format("client #{} disconnected\n", (*it)->number) << std::flush;
        it = clients_.erase(it);  // aborts its transactions, removes its watches, frees its backlog
        closed = true;
      } else {
        ++it;
      }
    }
    // A client that never read may have left megabytes of small freed blocks: hand them back to the
    // system, so the server's memory comes back when such a connection closes.
    if (closed) ::malloc_trim(0);
  }
}

ServerThread::ServerThread(ServerOptions options) : server_(std::make_unique<XsServer>(std::move(options))) {
  thread_ = std::thread([this] { server_->run(); });
}

ServerThread::~ServerThread() {
  server_->stop();
  thread_.join();
}

}  // namespace xenrace::xs
