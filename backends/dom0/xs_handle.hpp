// One libxenstore connection (struct xs_handle) with errno results, the thin layer between xenrace and
// the real library: xs_open honours XENSTORED_PATH, so the same code talks to a real xenstored or to
// `xenrace serve-xenstore --socket PATH`. Transaction ids are xs_transaction_t (0 = none).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "world/result.hpp"
#include "world/xenstore.hpp"

struct xs_handle;

namespace xenrace::dom0 {

class XsHandle {
 public:
  // `socket`: empty uses XENSTORED_PATH or libxenstore's default; otherwise XENSTORED_PATH is set to it
  // first (process-wide: set it once, before actor threads start).
  explicit XsHandle(const std::string& socket);
  ~XsHandle();
  XsHandle(const XsHandle&) = delete;
  XsHandle& operator=(const XsHandle&) = delete;

  explicit operator bool() const { return h_ != nullptr; }
  int open_error() const { return open_errno_; }
  void close();  // as when the process exits: the daemon drops its watches and transactions

  Result<std::string> read(TxId tx, const std::string& path);
  Errno write(TxId tx, const std::string& path, std::string_view value);
  Errno mkdir(TxId tx, const std::string& path);
  Errno rm(const std::string& path, TxId tx = 0);
  Result<std::vector<std::string>> directory(TxId tx, const std::string& path);
  Result<XsPerms> get_perms(TxId tx, const std::string& path);
  Errno set_perms(TxId tx, const std::string& path, const XsPerms& perms);
  Result<TxId> transaction_start();
  Errno transaction_end(TxId tx, bool commit);
  Errno watch(const std::string& path, const std::string& token);
  Errno unwatch(const std::string& path, const std::string& token);
  // A watch event already received, without blocking: EAGAIN when there is none.
  Result<XsWatchEvent> check_watch();
  // The fd that becomes readable when a watch event is queued (libxenstore's watch pipe).
  int watch_fd();
  Errno introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port);
  Errno release_domain(DomId domid);
  Result<std::string> get_domain_path(DomId domid);
  Result<bool> is_domain_introduced(DomId domid);

 private:
  xs_handle* h_ = nullptr;
  int open_errno_ = 0;
};

// The socket libxenstore will use: XENSTORED_PATH, or its compiled-in default.
std::string xenstored_socket_in_use();

}  // namespace xenrace::dom0
