#include "backends/dom0/xs_handle.hpp"

// The Xen headers have no extern "C" of their own.
extern "C" {
#include <xenstore.h>
#include <xenstore_lib.h>
}

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace xenrace::dom0 {
namespace {

// libxenstore reports failure as false/NULL with errno set; a stray 0 would read as success.
int last_errno() { return errno ? errno : EIO; }

unsigned int to_xs_access(XsPerm::Access a) {
  switch (a) {
    case XsPerm::Access::none: return XS_PERM_NONE;
    case XsPerm::Access::read: return XS_PERM_READ;
    case XsPerm::Access::write: return XS_PERM_WRITE;
    case XsPerm::Access::both: return XS_PERM_READ | XS_PERM_WRITE;
  }
  return XS_PERM_NONE;
}

XsPerm::Access from_xs_access(unsigned int p) {
  const bool r = p & XS_PERM_READ, w = p & XS_PERM_WRITE;
  return r && w ? XsPerm::Access::both : r ? XsPerm::Access::read : w ? XsPerm::Access::write : XsPerm::Access::none;
}

}  // namespace

std::string xenstored_socket_in_use() {
  if (const char* p = std::getenv("XENSTORED_PATH")) return p;
  return xs_daemon_socket();
}

XsHandle::XsHandle(const std::string& socket) {
  if (!socket.empty()) {
    const char* cur = std::getenv("XENSTORED_PATH");
    if (!cur || socket != cur) ::setenv("XENSTORED_PATH", socket.c_str(), 1);
  }
  errno = 0;
  h_ = xs_open(0);
  if (!h_) open_errno_ = last_errno();
}

XsHandle::~XsHandle() { close(); }

void XsHandle::close() {
  if (h_) xs_close(h_);
  h_ = nullptr;
}

Result<std::string> XsHandle::read(TxId tx, const std::string& path) {
  if (!h_) return Result<std::string>::error(ECONNRESET);
  unsigned int len = 0;
  errno = 0;
  void* v = xs_read(h_, tx, path.c_str(), &len);
  if (!v) return Result<std::string>::error(last_errno());
  std::string out(static_cast<const char*>(v), len);
  std::free(v);
  return Result<std::string>::success(std::move(out));
}

Errno XsHandle::write(TxId tx, const std::string& path, std::string_view value) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_write(h_, tx, path.c_str(), value.data(), static_cast<unsigned int>(value.size())) ? 0 : last_errno();
}

Errno XsHandle::mkdir(TxId tx, const std::string& path) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_mkdir(h_, tx, path.c_str()) ? 0 : last_errno();
}

Errno XsHandle::rm(const std::string& path, TxId tx) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_rm(h_, tx, path.c_str()) ? 0 : last_errno();
}

Result<std::vector<std::string>> XsHandle::directory(TxId tx, const std::string& path) {
  using R = Result<std::vector<std::string>>;
  if (!h_) return R::error(ECONNRESET);
  unsigned int n = 0;
  errno = 0;
  char** names = xs_directory(h_, tx, path.c_str(), &n);
  if (!names) return R::error(last_errno());
  std::vector<std::string> out(names, names + n);
  std::free(names);
  return R::success(std::move(out));
}

Result<XsPerms> XsHandle::get_perms(TxId tx, const std::string& path) {
  if (!h_) return Result<XsPerms>::error(ECONNRESET);
  unsigned int n = 0;
  errno = 0;
  xs_permissions* p = xs_get_permissions(h_, tx, path.c_str(), &n);
  if (!p) return Result<XsPerms>::error(last_errno());
  XsPerms out;
  for (unsigned int i = 0; i < n; ++i) out.push_back(XsPerm{from_xs_access(p[i].perms), p[i].id});
  std::free(p);
  return Result<XsPerms>::success(std::move(out));
}

Errno XsHandle::set_perms(TxId tx, const std::string& path, const XsPerms& perms) {
  if (!h_) return ECONNRESET;
  std::vector<xs_permissions> p;
  for (const auto& e : perms) p.push_back(xs_permissions{e.domid, to_xs_access(e.access)});
  errno = 0;
  return xs_set_permissions(h_, tx, path.c_str(), p.data(), static_cast<unsigned int>(p.size())) ? 0 : last_errno();
}

Result<TxId> XsHandle::transaction_start() {
  if (!h_) return Result<TxId>::error(ECONNRESET);
  errno = 0;
  xs_transaction_t t = xs_transaction_start(h_);
  if (t == XBT_NULL) return Result<TxId>::error(last_errno());
  return Result<TxId>::success(t);
}

Errno XsHandle::transaction_end(TxId tx, bool commit) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_transaction_end(h_, tx, !commit) ? 0 : last_errno();
}

Errno XsHandle::watch(const std::string& path, const std::string& token) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_watch(h_, path.c_str(), token.c_str()) ? 0 : last_errno();
}

Errno XsHandle::unwatch(const std::string& path, const std::string& token) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_unwatch(h_, path.c_str(), token.c_str()) ? 0 : last_errno();
}

Result<XsWatchEvent> XsHandle::check_watch() {
  if (!h_) return Result<XsWatchEvent>::error(ECONNRESET);
  errno = 0;
  char** v = xs_check_watch(h_);
  if (!v) return Result<XsWatchEvent>::error(errno ? errno : EAGAIN);
  XsWatchEvent ev{v[XS_WATCH_PATH], v[XS_WATCH_TOKEN]};
  std::free(v);
  return Result<XsWatchEvent>::success(std::move(ev));
}

int XsHandle::watch_fd() { return h_ ? xs_fileno(h_) : -1; }

Errno XsHandle::introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_introduce_domain(h_, domid, static_cast<unsigned long>(mfn), port) ? 0 : last_errno();
}

Errno XsHandle::release_domain(DomId domid) {
  if (!h_) return ECONNRESET;
  errno = 0;
  return xs_release_domain(h_, domid) ? 0 : last_errno();
}

Result<std::string> XsHandle::get_domain_path(DomId domid) {
  if (!h_) return Result<std::string>::error(ECONNRESET);
  errno = 0;
  char* p = xs_get_domain_path(h_, domid);
  if (!p) return Result<std::string>::error(last_errno());
  std::string out(p);
  std::free(p);
  return Result<std::string>::success(std::move(out));
}

Result<bool> XsHandle::is_domain_introduced(DomId domid) {
  if (!h_) return Result<bool>::error(ECONNRESET);
  errno = 0;
  bool r = xs_is_domain_introduced(h_, domid);
  // libxenstore returns false both for "no" and for failure; errno tells them apart.
  if (!r && errno && errno != ENOENT) return Result<bool>::error(errno);
  return Result<bool>::success(r);
}

}  // namespace xenrace::dom0
