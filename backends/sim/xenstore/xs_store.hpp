// The simulated XenStore: a plain, single-threaded model of C xenstored 4.17 (Xen tools/xenstore/:
// xenstored_core.c, xenstored_transaction.c, xenstored_watch.c, xenstored_domain.c;
// docs/misc/xenstore.txt), with no scheduler in it, so the simulator adapter (sim_xenstore.hpp) and the
// Unix-socket server (xs_server.hpp) share exactly the same semantics. Facts and their sources:
// docs/fidelity.md §1. Laid out like xenstored: this file and xs_store.cpp are the core (nodes,
// permissions, paths, quotas); xs_transaction.* the transactions and every node access; xs_watch.* the
// watches and event queues; xs_domain.* the domains. Each part's header gives its worked examples, and
// each example is a test.
//
// Core (core.c do_write, do_mkdir, do_rm, construct_node, create_node, rm_node; tests in
// tests/xenstore/store_examples_test.cpp)
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
//   E6  paths: only "/"-rooted paths name nodes: read or write of "@foo" (or "@releaseDomain"): EINVAL;
//       longer than 2048 characters after "/local/domain/<id>/" (or from "/" elsewhere): EINVAL, for
//       every connection (is_valid_nodename, quota_max_path_len). Watches take any "@" name.
// Permissions (core.c perm_for_conn, errno_from_parents, do_set_perms; xs_lib.c xs_strings_to_perms)
//   P1  dom0 (privileged) may do anything. A node created by dom0 under "/" inherits "n0".
//   P2  /d owned by dom0 with perms "n0 r5": domain 5 reads it, domain 6 gets EACCES, domain 5's write
//       gets EACCES.
//   P3  A node domain 5 creates below /d (perms "n0 b5") inherits the list with the owner replaced by
//       the creator: "n5 b5".
//   P4  Reading a missing /d/x as domain 6 when /d is unreadable to 6: EACCES, not ENOENT.
//   P5  set_perms by an unprivileged owner that changes the owner: EPERM; by a non-owner: EACCES.
//   P6  set_perms checks its arguments before the node: a malformed entry: EINVAL; an owner domain that
//       does not exist (such as n4294967295, libxenstore's -1): ENOENT; "@introduceDomain" and
//       "@releaseDomain" have permissions of their own, outside the tree (other "@" names: EINVAL).
// Transactions: xs_transaction.hpp (X1-X14). Watches: xs_watch.hpp. Domains: xs_domain.hpp (D1-D6).
// Quotas (core.c, domain.c quotas[], unprivileged only; errors as C xenstored: ENOSPC)
//   Q1  domain 5 may own at most `nodes` nodes, hold `watches` watches, `transactions` transactions,
//       touch `nodes_per_transaction` nodes in one, set `perms_per_node` entries, write records up to
//       `node_size` bytes (Node::record_size); the next one gets ENOSPC.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sim/xenstore/xs_domain.hpp"
#include "backends/sim/xenstore/xs_node.hpp"
#include "backends/sim/xenstore/xs_transaction.hpp"
#include "backends/sim/xenstore/xs_watch.hpp"
#include "runtime/state_key.hpp"
#include "world/xenstore.hpp"

namespace xenrace::xs {

using ConnId = std::uint32_t;

struct Quotas {  // core.c / domain.c defaults
  std::size_t nodes = 1000;
  std::size_t watches = 128;
  std::size_t transactions = 10;
  std::size_t nodes_per_transaction = 1024;
  std::size_t perms_per_node = 5;
  std::size_t path_max = 2048;  // quota_max_path_len: every connection
  std::size_t node_size = 2048;
  std::size_t memory_hard = 2 * 1024 * 1024 + 512 * 1024;  // pending events of an unprivileged domain
};

struct StoreOptions {
  DomId priv_domid = 0;   // the privileged domain (dom0)
  DomId store_domid = 0;  // the domain xenstored runs in: socket connections act as it
  bool coalesce_events = true;
  Quotas quotas;
  // Which domains "exist in the hypervisor" when nobody said (SET_PERMS owners, permission entries).
  // false: only dom0, the store's domain, and domains created, as on a dom0 host with no guests (the
  // socket server). true: every domain a scenario names exists until it is destroyed (the simulator).
  bool every_domain_exists = false;
  // Our own bound on a privileged connection's unsent events, which C xenstored leaves unbounded.
  std::size_t privileged_event_bytes = 64 * 1024 * 1024;
};

// Store::perm_for's bits: what a connection may do to a node.
inline constexpr unsigned kPermRead = 1, kPermWrite = 2, kPermOwner = 4;

class Store {
 public:
  explicit Store(StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A connection acting as `domid`: relative paths hang from /local/domain/<domid>; privileged when
  // domid is the privileged domain (a socket connection is open_connection(store_domid)).
  ConnId open_connection(DomId domid);
  // Aborts its transactions, removes its watches and frees its pending events. Idempotent.
  void close_connection(ConnId c);
  bool is_open(ConnId c) const;
  // Called whenever an event is queued on `c` (wake a reader, mark a socket writable).
  void set_event_listener(ConnId c, std::function<void()> listener);
  // A transport with an out list of its own (the wire protocol): `c`'s events go straight to `sink`
  // instead of the store's queue, which is then the sink's to merge and bound (event_budget).
  using EventSink = std::function<void(std::string_view path, std::string_view token)>;
  void set_event_sink(ConnId c, EventSink sink);

  Result<std::string> read(ConnId c, TxId tx, std::string_view path);
  Errno write(ConnId c, TxId tx, std::string_view path, std::string_view value);
  Errno mkdir(ConnId c, TxId tx, std::string_view path);
  Errno rm(ConnId c, TxId tx, std::string_view path);
  Result<std::vector<std::string>> directory(ConnId c, TxId tx, std::string_view path);
  // The generation xenstored reports in DIRECTORY_PART replies, and the children.
  Result<std::uint64_t> directory_generation(ConnId c, TxId tx, std::string_view path);
  Result<XsPerms> get_perms(ConnId c, TxId tx, std::string_view path);
  Errno set_perms(ConnId c, TxId tx, std::string_view path, const XsPerms& perms);

  // Whether a request of connection `c` inside its transaction `tx` on `path` (a read, listing, write or mkdir)
  // would touch only that transaction's own copies (xs_transaction.hpp): the connection is privileged, and the
  // transaction has already accessed the node and holds it present, or holds it missing with every ancestor up
  // to one it holds present. Such a request reads and writes nothing another connection can see before the
  // commit, and the commit validates what the first accesses saw. False whenever that cannot be told from the
  // transaction alone: a special path, an unprivileged connection's permission and quota checks.
  bool within_transaction_copy(ConnId c, TxId tx, std::string_view path);

  Result<TxId> transaction_start(ConnId c);
  Errno transaction_end(ConnId c, TxId tx, bool commit);
  bool has_transaction(ConnId c, TxId tx) const;

  Errno watch(ConnId c, std::string_view path, std::string_view token);
  Errno unwatch(ConnId c, std::string_view path, std::string_view token);
  Errno reset_watches(ConnId c);  // RESET_WATCHES: drops watches and transactions
  bool has_event(ConnId c) const;
  std::optional<XsWatchEvent> pop_event(ConnId c);
  std::size_t pending_events(ConnId c) const;
  std::size_t pending_event_bytes(ConnId c) const;
  // The bound on `c`'s unsent events in bytes (0: none), for a transport that queues them itself.
  std::size_t event_budget(ConnId c) const;

  // Requests from a privileged connection (the toolstack).
  Errno introduce_domain(ConnId c, DomId domid, std::uint64_t mfn, std::uint32_t port);
  Errno release_domain(ConnId c, DomId domid);
  Errno resume_domain(ConnId c, DomId domid);
  Result<std::string> get_domain_path(ConnId c, DomId domid);
  Result<bool> is_domain_introduced(ConnId c, DomId domid);
  // GET_FEATURE / SET_FEATURE of an introduced domain's ring (feature bits; nothing else models rings).
  Result<std::uint32_t> domain_features(ConnId c, DomId domid);
  Errno set_domain_features(ConnId c, DomId domid, std::uint32_t features);

  // What the hypervisor reports (VIRQ_DOM_EXC, then check_domains): xs_domain.hpp D2, D3, D6.
  void hypervisor_domain_created(DomId domid);
  void hypervisor_domain_state(DomId domid, DomainState state);
  DomainState hypervisor_state(DomId domid) const;
  bool domain_exists(DomId domid) const { return hypervisor_state(domid) != DomainState::gone; }
  bool domain_created(DomId domid) const;  // created (or introduced) and not gone: not merely assumed
  // The domains the hypervisor has, lowest first: dom0, the store's, and those created (or introduced) and not gone.
  std::vector<DomId> hypervisor_domains() const;

  // Tells `observer` what every request touches from now on (null: nobody; the socket server).
  void set_access_observer(AccessObserver* observer) { tree_.observer = observer; }

  bool privileged(ConnId c) const;
  DomId domid(ConnId c) const;
  // The store's part of a state key (xs_state_key.cpp), open transactions included: false while a transport
  // queues events itself.
  bool hash_state(StateHasher& h) const;
  // The nodes' part of that key, as a running sum brought up to date (node_sum, which hash_state uses), and
  // for the tests of that sum: the same by a walk of every node, and the node holding the current generation
  // as the store keeps it and as a walk finds it (null: none).
  StateKey node_sum() const;
  StateKey node_sum_by_walk() const;
  const std::string* node_at_generation_by_walk() const;
  const std::string* node_at_generation() const {
    return tree_.newest && tree_.newest->second.generation == tree_.generation ? &tree_.newest->first : nullptr;
  }
  const StoreOptions& options() const { return options_; }

  // --- for invariants, tests and the benchmark: no permission checks, no scheduling ---
  const Node* peek(std::string_view absolute_path) const { return tree_.find(absolute_path); }
  const NodeMap& nodes() const { return tree_.nodes; }
  std::uint64_t generation() const { return tree_.generation; }
  std::size_t owned_nodes(DomId domid) const;
  // The permissions of "@introduceDomain" / "@releaseDomain" (null for other names).
  const XsPerms* special_perms(std::string_view name) const;

 private:
  struct Conn {
    ConnId id = 0;
    DomId domid = 0;
    bool privileged = false;
    std::string implicit;  // "/local/domain/<domid>"
    std::vector<Watch> watches;
    EventQueue pending;
    std::map<TxId, Transaction> transactions;
    TxId next_tx = 1;
    std::function<void()> listener;
    EventSink sink;
  };

  Conn* conn(ConnId c);
  const Conn* conn(ConnId c) const;
  // The canonical path of a node request into scratch_ (canonicalize + is_valid_nodename), or EINVAL.
  Errno node_path(const Conn& cn, std::string_view path);
  // The connection, the transaction and the canonical path (into scratch_) of a node request.
  Errno begin_request(ConnId c, TxId tx, std::string_view path, Conn*& cn, Transaction*& t);
  // Looks up the transaction; ENOENT when tx is not open on this connection.
  Errno transaction_of(Conn& cn, TxId tx, Transaction*& out);
  View view_for(const Conn& cn, Transaction* t) {
    return View(tree_, t, cn.privileged ? 0 : options_.quotas.nodes_per_transaction);
  }

  // --- core (xs_store.cpp) ---
  unsigned perm_for(const Conn& cn, const Node& n) const;
  unsigned perm_for(const Conn& cn, const XsPerms& perms, std::uint64_t ignored, std::uint64_t generation) const;
  Errno errno_from_parents(View& v, const Conn& cn, std::string_view path, Errno err, unsigned perm);
  Node* get_node(View& v, const Conn& cn, std::string_view path, unsigned perm, Errno& err);
  template <class T, class Project>
  Result<T> look_up(ConnId c, TxId tx, std::string_view path, Project project, bool children = false,
                    bool ordered = false);
  Errno create_node(View& v, const Conn& cn, std::string_view path, std::string_view value);
  Errno node_size_quota(const Conn& cn, std::size_t record_size) const;
  Errno rm_node(View& v, const std::string& path);
  std::uint64_t ignored_entries(const XsPerms& perms);  // also notes the existing domains it names

  // --- watches (xs_watch.cpp) ---
  // fire_watches(): now (no transaction) or at the transaction's commit. `node` is the node as the
  // change left it (null: gone); `old` the permissions the watcher may also have read it by.
  void fire_watches(View& v, std::string_view path, bool exact, const Node* node, const XsPerms* old);
  void fire_now(std::string_view path, bool exact, const Node* node, const XsPerms* old);
  void fire_special(std::string_view name);
  bool watch_permitted(const Conn& cn, std::string_view path, const Node* node, const XsPerms* old) const;
  void queue_event(Conn& cn, const Watch& w, std::string_view path);
  std::size_t event_budget(const Conn& cn) const;

  // --- transactions (xs_transaction.cpp) ---
  Errno finalize(Conn& cn, Transaction& t);

  // --- the state key (xs_state_key.cpp) ---
  StateKey node_part(std::string_view path, const Node& n) const;
  void hash_transaction(StateHasher& h, const Transaction& t) const;

  // --- domains (xs_domain.cpp) ---
  Domain* find_domain(DomId domid);
  // onearg_domain(): the introduced domain a privileged request names; null with the error otherwise.
  Domain* connected_domain(ConnId c, DomId domid, Errno& err);
  Domain& known_domain(DomId domid);  // find_or_alloc_domain
  void check_domains();
  void destroy_domain(DomId domid);
  void remove_owned_nodes(DomId domid);

  StoreOptions options_;
  Tree tree_;
  std::vector<std::unique_ptr<Conn>> conns_;  // by ConnId; closed connections leave null
  std::map<DomId, Domain> domains_;           // struct domain: introduced, or named by a permission
  std::map<DomId, DomainState> hypervisor_;   // what the hypervisor said of each domain it was asked about
  XsPerms introduce_perms_, release_perms_;   // the special nodes' permissions (domain.c)
  std::string scratch_;                       // canonical path of the current request
};

}  // namespace xenrace::xs
