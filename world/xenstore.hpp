// The XenStore as a scenario sees it: connections that read, write, list, watch and transact, with the
// errno results of the real interface (xs_wire.h error strings mapped to errno as libxenstore does).
// Implemented by the simulated store (backends/sim/xenstore) and by real libxenstore (backends/dom0/).
//
// In the simulator every call is a visible operation (a scheduling point), and read_watch blocks in
// virtual time, so "the event arrives before / after the next operation" is a choice the strategy makes. Only a
// request on a node its transaction already holds a copy of runs in its actor's step instead, in both backends
// (world/transaction_copies.hpp).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/types.hpp"
#include "world/result.hpp"

namespace xenrace {

using DomId = std::uint32_t;
using TxId = std::uint32_t;
inline constexpr TxId kNoTx = 0;  // XBT_NULL

// One permission entry, "n0", "r5", "b3" on the wire. The first entry names the owner and the default.
struct XsPerm {
  enum class Access : char { none = 'n', read = 'r', write = 'w', both = 'b' };
  Access access = Access::none;
  DomId domid = 0;
  bool operator==(const XsPerm&) const = default;
};
using XsPerms = std::vector<XsPerm>;
std::string format_perm(const XsPerm& p);                // "r5"
bool parse_perm(std::string_view text, XsPerm& out);     // false if malformed

struct XsWatchEvent {
  std::string path;
  std::string token;
};

// One connection (one xs_handle; one xenstored connection). Not shared between actors.
class XsConnection {
 public:
  virtual ~XsConnection() = default;

  virtual Result<std::string> read(TxId tx, std::string_view path) = 0;
  // A read outside any transaction whose caller acts only on *which* of `values` the node holds, or that it
  // holds none of them, or that it is missing: a wait's poll ("is the state 4 yet?"). It returns the value
  // as read() does, but in the simulator a write that moves the node between two values the caller does not
  // name commutes with it, so partial-order reduction does not explore both orders (runtime/footprint.hpp).
  // A caller that branches on anything else in the value must use read().
  virtual Result<std::string> read_one_of(std::string_view path, std::initializer_list<std::string_view> values) {
    (void)values;
    return read(kNoTx, path);
  }
  virtual Errno write(TxId tx, std::string_view path, std::string_view value) = 0;
  virtual Errno mkdir(TxId tx, std::string_view path) = 0;
  virtual Errno rm(TxId tx, std::string_view path) = 0;
  virtual Result<std::vector<std::string>> directory(TxId tx, std::string_view path) = 0;
  virtual Result<XsPerms> get_perms(TxId tx, std::string_view path) = 0;
  virtual Errno set_perms(TxId tx, std::string_view path, const XsPerms& perms) = 0;

  virtual Result<TxId> transaction_start() = 0;
  // commit=false aborts. A commit that conflicts returns EAGAIN and applies nothing.
  virtual Errno transaction_end(TxId tx, bool commit) = 0;

  virtual Errno watch(std::string_view path, std::string_view token) = 0;
  virtual Errno unwatch(std::string_view path, std::string_view token) = 0;
  // The next watch event of this connection; blocks up to `timeout` (ETIMEDOUT after it).
  virtual Result<XsWatchEvent> read_watch(VirtualTime timeout = kForever) = 0;

  // Privileged domain management (dom0 toolstack).
  virtual Errno introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port) = 0;
  virtual Errno release_domain(DomId domid) = 0;
  virtual Result<std::string> get_domain_path(DomId domid) = 0;
  virtual Result<bool> is_domain_introduced(DomId domid) = 0;
};

class XenStore {
 public:
  virtual ~XenStore() = default;
  // A new connection acting as `domid` (0: the privileged dom0 toolstack, as over the Unix socket).
  virtual std::unique_ptr<XsConnection> connect(DomId domid = 0) = 0;
  // For a *simulated* guest-side driver only (the pcifront model): a connection that acts for `domid` as
  // far as the backend can. In the simulator it is connect(domid). A backend that cannot be the guest (dom0:
  // no guest ring) may return a privileged connection whose relative paths resolve below
  // /local/domain/<domid>; the guest's permission checks are then not made. Opt-in, so that plain
  // connect(domid) never silently stops being the guest.
  virtual std::unique_ptr<XsConnection> connect_simulated_guest(DomId domid) { return connect(domid); }
};

// The value of `path` read outside any transaction, or `fallback` when it cannot be read (absent, denied):
// what invariants and waits compare against.
inline std::string read_or(XsConnection& xs, const std::string& path, const std::string& fallback) {
  auto r = xs.read(kNoTx, path);
  return r.ok() ? r.value : fallback;
}

}  // namespace xenrace
