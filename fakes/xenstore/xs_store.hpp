// The simulated XenStore: a plain, single-threaded model of C xenstored 4.17 (tools/xenstored/core.c,
// transaction.c, watch.c, domain.c; docs/misc/xenstore.txt), with no scheduler in it, so the simulator
// adapter (sim_xenstore.hpp) and the Unix-socket server (xs_server.hpp) share exactly the same semantics.
// Facts and their sources: ../shared/docs/fidelity.md §1. Each example below is a test in
// tests/xenstore/store_examples_test.cpp.
//
// Nodes (core.c do_write, do_mkdir, do_rm, construct_node, delnode_sub)
//   E1  write /a/b/c "x" on an empty store creates /a and /a/b with empty values; directory / lists
//       "a" after "tool"; only watches matching /a/b/c fire (no events for the implicit parents).
//   E2  mkdir of an existing node: OK, no watch fires. rm of a missing node whose parent exists: OK;
//       rm of /x/y when /x is missing: ENOENT; rm of "/": EINVAL.
//   E3  rm /a holding /a/b and /a/b/c fires in post-order, descendants matching exactly and the root
//       with subtree matching: a watch on /a/b/c gets /a/b/c, one on /a/b gets /a/b, then one on / or /a
//       gets /a; a watch on /a/zz (never a node) gets nothing.
//   E4  directory lists children in creation order; removing one keeps the others' order.
//   E5  socket connections resolve relative paths below /local/domain/0: write "backend/vbd/1" creates
//       /local/domain/0/backend/vbd/1.
// Permissions (core.c perm_for_conn, errno_from_parents; xenstore-common.h)
//   P1  dom0 (privileged) may do anything. A node created by dom0 under "/" inherits "n0".
//   P2  /d owned by dom0 with perms "n0 r5": domain 5 reads it, domain 6 gets EACCES, domain 5's write
//       gets EACCES.
//   P3  A node domain 5 creates below /d (perms "n0 b5") inherits the list with the owner replaced by
//       the creator: "n5 b5".
//   P4  Reading a missing /d/x as domain 6 when /d is unreadable to 6: EACCES, not ENOENT.
//   P5  set_perms by an unprivileged owner that changes the owner: EPERM; by a non-owner: EACCES.
// Transactions (transaction.c opening comment; fidelity.md §1.8)
//   T1  t reads /a (gen g); another connection writes /a; commit of t: EAGAIN and nothing of t applied.
//   T2  t writes /a; another connection writes /b, never touched by t: commit OK.
//   T3  t reads missing /n; another connection creates /n: commit EAGAIN (missing reads are recorded).
//   T4  t creates /p/x; another connection creates /p/y: commit EAGAIN (/p's child list was rewritten).
//   T5  another connection writes /a, then t reads /a for the first time: t sees the new value, commit OK.
//   T6  t reads /a, then another connection writes /a, then t reads /a again: the old value (repeatable).
//   T7  transaction_start with a transaction open on the request (tx_id != 0, wire only): EBUSY. An
//       unknown tx id: ENOENT. A transaction whose node creation failed commits with ENOMEM.
//   T8  Events of t's writes fire only at a successful commit, in first-access order; abort fires nothing.
// Watches (watch.c do_watch, fire_watches, send_event)
//   W1  watch /a "tok" queues one event ("/a", "tok") at once, whether /a exists or not.
//   W2  a write to /a/b/c fires a watch on /a with path /a/b/c; a watch on /a/b/c/d does not fire.
//   W3  a second identical (path, token) event while the first is still pending on the connection is
//       dropped; "@" events are never merged. Duplicate watch: EEXIST; unwatch of an unknown one: ENOENT.
//   W4  a relative watch "backend" gets relative event paths "backend/vbd/1".
//   W5  an unprivileged watcher gets an event only if it may read the node or its parent.
// Domains (domain.c do_introduce, do_release)
//   D1  introduce 5 fires @introduceDomain; release 5 fires @releaseDomain; release of an unknown
//       domain: ENOENT; both need privilege (EACCES).
//   D2  after release 5, nodes owned by 5 are owned by dom0 and entries naming 5 are ignored (dropped).
// Quotas (domain.c quotas[], unprivileged only; errors as C xenstored: ENOSPC)
//   Q1  domain 5 may own at most `nodes` nodes, hold `watches` watches, `transactions` transactions,
//       touch `nodes_per_transaction` nodes in one, set `perms_per_node` entries, write nodes up to
//       `node_size` bytes (value + child names + 8 per permission); the next one gets ENOSPC.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "world/xenstore.hpp"

namespace xenrace::xs {

using ConnId = std::uint32_t;
inline constexpr std::uint64_t kNoGeneration = ~std::uint64_t{0};  // a node that does not exist

struct Quotas {  // domain.c quotas[] defaults
  std::size_t nodes = 1000;
  std::size_t watches = 128;
  std::size_t transactions = 10;
  std::size_t nodes_per_transaction = 1024;
  std::size_t perms_per_node = 5;
  std::size_t path_max = 2048;
  std::size_t node_size = 2048;
};

struct StoreOptions {
  DomId priv_domid = 0;   // the privileged domain (dom0)
  DomId store_domid = 0;  // the domain xenstored runs in: socket connections act as it
  bool coalesce_events = true;
  Quotas quotas;
  // Which domains "exist in the hypervisor" for SET_PERMS (an owner that does not exist gets ENOENT).
  // false: only dom0, the store's domain and introduced domains, as on a dom0 host with no guests (the
  // socket server). true: every domain a scenario names exists until it is released, because scenarios
  // do not model domain creation (the simulator's store).
  bool every_domain_exists = false;
};

struct Node {
  std::string value;
  XsPerms perms;
  std::vector<std::string> children;  // names, in creation order
  std::uint64_t generation = 0;
};

// Transparent hashing, so a lookup by string_view allocates nothing.
struct PathHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NodeMap = std::unordered_map<std::string, Node, PathHash, std::equal_to<>>;

class Store {
 public:
  explicit Store(StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A connection acting as `domid`: relative paths hang from /local/domain/<domid>; privileged when
  // domid is the privileged domain (a socket connection is open_connection(store_domid)).
  ConnId open_connection(DomId domid);
  // Aborts its transactions, removes its watches and drops its pending events. Idempotent.
  void close_connection(ConnId c);
  bool is_open(ConnId c) const;
  // Called whenever an event is queued on `c` (wake a reader, mark a socket writable).
  void set_event_listener(ConnId c, std::function<void()> listener);

  Result<std::string> read(ConnId c, TxId tx, std::string_view path);
  Errno write(ConnId c, TxId tx, std::string_view path, std::string_view value);
  Errno mkdir(ConnId c, TxId tx, std::string_view path);
  Errno rm(ConnId c, TxId tx, std::string_view path);
  Result<std::vector<std::string>> directory(ConnId c, TxId tx, std::string_view path);
  // The generation xenstored reports in DIRECTORY_PART replies, and the children.
  Result<std::uint64_t> directory_generation(ConnId c, TxId tx, std::string_view path);
  Result<XsPerms> get_perms(ConnId c, TxId tx, std::string_view path);
  Errno set_perms(ConnId c, TxId tx, std::string_view path, const XsPerms& perms);

  Result<TxId> transaction_start(ConnId c);
  Errno transaction_end(ConnId c, TxId tx, bool commit);
  bool has_transaction(ConnId c, TxId tx) const;

  Errno watch(ConnId c, std::string_view path, std::string_view token);
  Errno unwatch(ConnId c, std::string_view path, std::string_view token);
  Errno reset_watches(ConnId c);  // RESET_WATCHES: drops watches and transactions
  bool has_event(ConnId c) const;
  std::optional<XsWatchEvent> pop_event(ConnId c);
  std::size_t pending_events(ConnId c) const;

  Errno introduce_domain(ConnId c, DomId domid, std::uint64_t mfn, std::uint32_t port);
  Errno release_domain(ConnId c, DomId domid);
  Result<std::string> get_domain_path(ConnId c, DomId domid);
  Result<bool> is_domain_introduced(ConnId c, DomId domid);
  // GET_FEATURE / SET_FEATURE of an introduced domain's ring (feature bits; nothing else models rings).
  Result<std::uint32_t> domain_features(ConnId c, DomId domid);
  Errno set_domain_features(ConnId c, DomId domid, std::uint32_t features);

  bool privileged(ConnId c) const;
  DomId domid(ConnId c) const;
  const StoreOptions& options() const { return options_; }

  // --- for invariants, tests and the benchmark: no permission checks, no scheduling ---
  const Node* peek(std::string_view absolute_path) const;
  const NodeMap& nodes() const { return nodes_; }
  std::uint64_t generation() const { return generation_; }
  std::size_t owned_nodes(DomId domid) const;

 private:
  struct Watch {
    std::string path;  // canonical
    std::string token;
    std::size_t relative_prefix = 0;  // chars to strip from event paths (relative watches)
  };
  struct TxEntry {
    std::optional<Node> node;  // nullopt: missing in the transaction's view
    std::uint64_t recorded_generation = kNoGeneration;
    bool modified = false;
    bool fire = false;
    bool fire_exact = false;
    XsPerms fire_perms;  // the node's permissions when its event was queued
  };
  struct Transaction {
    std::unordered_map<std::string, TxEntry, PathHash, std::equal_to<>> entries;
    std::vector<std::string> order;  // first access order
    bool failed = false;
  };
  struct Conn {
    DomId domid = 0;
    bool privileged = false;
    std::string implicit;  // "/local/domain/<domid>"
    std::vector<Watch> watches;
    std::deque<XsWatchEvent> pending;
    std::map<TxId, Transaction> transactions;
    TxId next_tx = 1;
    std::function<void()> listener;
  };
  struct Domain {
    bool introduced = false;
    std::uint64_t mfn = 0;
    std::uint32_t port = 0;
    std::uint32_t features = 0;
  };
  class View;  // what one request sees: the tree, or a transaction's copy-on-access view of it

  Conn* conn(ConnId c);
  const Conn* conn(ConnId c) const;
  // Canonical path of a request into scratch_, or EINVAL.
  Errno canonical(const Conn& cn, std::string_view path, bool allow_special);
  // Looks up the transaction; ENOENT when tx is not open on this connection.
  Errno transaction_of(Conn& cn, TxId tx, Transaction*& out);
  unsigned perm_for(const Conn& cn, const XsPerms& perms) const;
  Errno errno_from_parents(View& v, const Conn& cn, std::string_view path, Errno err, unsigned perm);
  // get_node(): the node if the connection has `perm` on it, else null with the error.
  const Node* get_node(View& v, const Conn& cn, std::string_view path, unsigned perm, Errno& err);
  template <class T, class Project>
  Result<T> look_up(ConnId c, TxId tx, std::string_view path, bool allow_special, Project project);
  Errno create_node(View& v, const Conn& cn, std::string_view path, std::string_view value);
  Errno check_node_size(const Conn& cn, const Node& n) const;
  void remove_subtree(View& v, const Conn& cn, const std::string& path, const std::string& root);

  // Events: fired now (outside transactions) or queued on the transaction until commit.
  void fire_watches(View& v, const std::string& path, bool exact, const XsPerms& perms, const XsPerms* old_perms);
  void fire_now(std::string_view path, bool exact, const XsPerms& perms, const XsPerms* old_perms);
  void fire_special(std::string_view name);
  bool watch_permitted(const Conn& cn, std::string_view path, const XsPerms& perms, const XsPerms* old_perms) const;
  void queue_event(ConnId id, Conn& cn, const Watch& w, std::string_view path);

  void add_owned(DomId owner, long delta);
  Errno check_owned_quota(const Conn& cn, DomId owner, std::size_t extra) const;

  StoreOptions options_;
  NodeMap nodes_;
  std::uint64_t generation_ = 0;
  std::vector<std::unique_ptr<Conn>> conns_;  // by ConnId; closed connections leave null
  // The simulator's stand-in for "the hypervisor knows this domain": dom0, the store's domain, or introduced.
  bool domain_exists(DomId domid) const;
  std::map<DomId, Domain> domains_;
  std::set<DomId> released_;  // destroyed domains never exist again
  std::map<DomId, std::size_t> owned_;  // nodes per owner domain
  std::string scratch_;                 // canonical path of the current request
};

}  // namespace xenrace::xs
