#include "backends/sim/xenstore/xs_store.hpp"

#include "backends/sim/xenstore/xs_path.hpp"

namespace xenrace::xs {

namespace {
unsigned access_bits(XsPerm::Access a) {
  switch (a) {
    case XsPerm::Access::read: return kPermRead;
    case XsPerm::Access::write: return kPermWrite;
    case XsPerm::Access::both: return kPermRead | kPermWrite;
    case XsPerm::Access::none: break;
  }
  return 0;
}
}  // namespace

Store::Store(StoreOptions options) : options_(options) {
  // setup_structure: "/", "/tool" and "/tool/xenstored", owned by dom0; the special nodes' permissions
  // live outside the tree (domain.c set_dom_perms_default).
  const XsPerms dom0{{XsPerm::Access::none, options_.priv_domid}};
  auto add = [&](const char* path, const char* child) {
    Node n;
    n.perms = dom0;
    if (child) n.add_child(child);
    n.generation = ++tree_.generation;
    tree_.changed(*tree_.nodes.emplace(path, std::move(n)).first);
    tree_.count_owner(options_.priv_domid, 1);
  };
  add("/", "tool");
  add("/tool", "xenstored");
  add("/tool/xenstored", nullptr);
  introduce_perms_ = release_perms_ = dom0;
  known_domain(options_.priv_domid).introduced = true;  // dom0_init
}

Store::~Store() = default;

// --- connections ---

ConnId Store::open_connection(DomId domid) {
  auto c = std::make_unique<Conn>();
  c->domid = domid;
  c->privileged = domid == options_.priv_domid;
  c->implicit = implicit_path(domid);
  c->id = static_cast<ConnId>(conns_.size());
  conns_.push_back(std::move(c));
  return static_cast<ConnId>(conns_.size() - 1);
}

void Store::close_connection(ConnId c) {
  if (tree_.observer && conn(c)) {
    for (const Watch& w : conns_[c]->watches) tree_.observer->watches_written(w.path);  // its watches go
    tree_.observer->events_dropped(c);
  }
  if (c < conns_.size()) conns_[c].reset();
}

bool Store::is_open(ConnId c) const { return conn(c) != nullptr; }

void Store::set_event_listener(ConnId c, std::function<void()> listener) {
  if (Conn* cn = conn(c)) cn->listener = std::move(listener);
}

void Store::set_event_sink(ConnId c, EventSink sink) {
  if (Conn* cn = conn(c)) cn->sink = std::move(sink);
}

Store::Conn* Store::conn(ConnId c) { return c < conns_.size() ? conns_[c].get() : nullptr; }
const Store::Conn* Store::conn(ConnId c) const { return c < conns_.size() ? conns_[c].get() : nullptr; }
bool Store::privileged(ConnId c) const { return conn(c) && conn(c)->privileged; }
DomId Store::domid(ConnId c) const { return conn(c) ? conn(c)->domid : 0; }

Errno Store::node_path(const Conn& cn, std::string_view path) {
  return xs::node_path(path, cn.implicit, options_.quotas.path_max, scratch_);
}

// Every node request starts the same way: its connection, its transaction, its canonical path (scratch_).
Errno Store::begin_request(ConnId c, TxId tx, std::string_view path, Conn*& cn, Transaction*& t) {
  cn = conn(c);
  if (!cn) return ECONNRESET;
  if (Errno e = transaction_of(*cn, tx, t)) return e;
  return node_path(*cn, path);
}

Errno Store::transaction_of(Conn& cn, TxId tx, Transaction*& out) {
  out = nullptr;
  if (tx == kNoTx) return 0;
  auto it = cn.transactions.find(tx);
  if (it == cn.transactions.end()) return ENOENT;  // transaction_lookup
  out = &it->second;
  return 0;
}

// --- permissions ---

unsigned Store::perm_for(const Conn& cn, const Node& n) const {
  return perm_for(cn, n.perms, n.ignored_entries, n.generation);
}

// perm_for_conn(): owners and tools get everything; others the first entry naming them that is not
// ignored (XS_PERM_IGNORE, or a domain newer than the node: domain_adjust_node_perms), else the default.
unsigned Store::perm_for(const Conn& cn, const XsPerms& perms, std::uint64_t ignored, std::uint64_t generation) const {
  if (cn.privileged || perms.empty() || perms.front().domid == cn.domid)
    return kPermRead | kPermWrite | kPermOwner;
  for (std::size_t i = 1; i < perms.size(); ++i) {
    if (perms[i].domid != cn.domid) continue;
    if (i < 64 && ((ignored >> i) & 1)) continue;
    // chk_domain_generation(): xenstored must know the domain, from before the node was written. The
    // simulator's guests that nobody created or destroyed are taken to have always existed.
    auto d = domains_.find(perms[i].domid);
    const bool known = d != domains_.end() ? d->second.generation <= generation
                                           : options_.every_domain_exists && !hypervisor_.count(perms[i].domid);
    if (!known) continue;
    return access_bits(perms[i].access);
  }
  return access_bits(perms.front().access);
}

// domain_alloc_permrefs(): the entries naming a domain that does not exist, which are kept but ignored. One
// that exists becomes known from now (find_or_alloc_existing_domain), unless the simulator only assumed it:
// a guest nobody created is taken to have always existed (perm_for).
std::uint64_t Store::ignored_entries(const XsPerms& perms) {
  std::uint64_t ignored = 0;
  for (std::size_t i = 0; i < perms.size() && i < 64; ++i) {
    const DomId d = perms[i].domid;
    if (!domain_exists(d)) ignored |= std::uint64_t{1} << i;
    else if (!domains_.count(d) && (!options_.every_domain_exists || hypervisor_.count(d))) known_domain(d);
  }
  return ignored;
}

const XsPerms* Store::special_perms(std::string_view name) const {
  if (name == "@introduceDomain") return &introduce_perms_;
  if (name == "@releaseDomain") return &release_perms_;
  return nullptr;
}

// errno_from_parents(): a missing or forbidden node is reported as EACCES unless the nearest existing
// ancestor grants the access; memory and quota errors always come through.
Errno Store::errno_from_parents(View& v, const Conn& cn, std::string_view path, Errno err, unsigned perm) {
  if (err == ENOMEM) return err;
  const Node* ancestor = nullptr;
  std::string_view p = path;
  do {
    p = parent_of(p);
    Errno e = 0;
    ancestor = v.read(p, e);
    if (!ancestor && e == ENOSPC) return e;
  } while (!ancestor && p != "/");
  if (!ancestor) return EACCES;
  if (!cn.privileged) v.children_seen(p, false);  // perm_for may compare a domain with its generation
  return (perm_for(cn, *ancestor) & perm) ? err : EACCES;
}

// get_node(): the node if the connection has `perm` on it, else null with the error.
Node* Store::get_node(View& v, const Conn& cn, std::string_view path, unsigned perm, Errno& err) {
  err = 0;
  Node* n = v.read(path, err);
  if (n && !cn.privileged) v.children_seen(path, false);  // perm_for may compare a domain with its generation
  if (n && (perm_for(cn, *n) & perm) != perm) {
    err = EACCES;
    n = nullptr;
  }
  if (!n && err != ENOSPC) err = errno_from_parents(v, cn, path, err, perm);
  return n;
}

// --- quotas ---

std::size_t Store::owned_nodes(DomId d) const {
  if (tree_.observer) tree_.observer->quota_touched(d);
  auto it = tree_.owned.find(d);
  return it == tree_.owned.end() ? 0 : it->second;
}

// write_node_raw(): an unprivileged connection may not write a record of node-size bytes or more.
Errno Store::node_size_quota(const Conn& cn, std::size_t record_size) const {
  if (cn.privileged) return 0;
  return record_size >= options_.quotas.node_size ? ENOSPC : 0;
}

// --- node operations ---

// construct_node() + create_node(): read the path's ancestors up to the first existing one (each read
// is recorded in a transaction), then write the new nodes bottom up and the existing parent with its
// new child. Quotas are checked before anything is written; a failure inside a transaction fails it.
Errno Store::create_node(View& v, const Conn& cn, std::string_view path, std::string_view value) {
  std::vector<std::string_view> missing{path};  // the path, then each missing ancestor upwards
  std::string_view top = parent_of(path);
  Node* parent = nullptr;
  for (;;) {
    Errno err = 0;
    parent = v.read(top, err);
    if (parent) break;
    if (err != ENOENT || top == "/") return err ? err : EINVAL;
    missing.push_back(top);
    top = parent_of(top);
  }
  if (Transaction* t = v.transaction()) t->node_created = true;
  XsPerms perms = parent->perms;
  if (!cn.privileged) perms.front().domid = cn.domid;  // unprivileged domains own what they create
  const std::uint64_t ignored = parent->ignored_entries;

  Errno err = 0;
  if (!cn.privileged && owned_nodes(cn.domid) + missing.size() > options_.quotas.nodes) err = ENOSPC;
  Node leaf;
  leaf.value.assign(value);
  leaf.perms = perms;
  if (!err) err = node_size_quota(cn, leaf.record_size());
  const std::string_view first_new = basename_of(missing.back());
  if (!cn.privileged) v.children_seen(top, false);  // the parent's record size counts its children
  if (!err) err = node_size_quota(cn, parent->record_size() + first_new.size() + 1);
  if (err) {
    if (Transaction* t = v.transaction()) t->failed = true;  // destroy_node(): a failed creation fails it
    return err;
  }
  leaf.ignored_entries = ignored;
  v.create(path, std::move(leaf));
  for (std::size_t i = 1; i < missing.size(); ++i) {
    Node n;
    n.perms = perms;
    n.ignored_entries = ignored;
    n.add_child(basename_of(missing[i - 1]));
    v.create(missing[i], std::move(n));
  }
  parent->add_child(first_new);  // still valid: creating other nodes moves no element of a hash map
  v.changed(top, *parent, View::Change::child_added);
  return 0;
}

// The read-only requests: the node at `path` as connection `c` sees it (inside transaction `tx`),
// checked for read access, projected to what the request returns. `children`: the projection looks at the
// children or the generation (`ordered`: the children in their order), not only the value and permissions.
template <class T, class Project>
Result<T> Store::look_up(ConnId c, TxId tx, std::string_view path, Project project, bool children, bool ordered) {
  Conn* cn;
  Transaction* t;
  if (Errno e = begin_request(c, tx, path, cn, t)) return Result<T>::error(e);
  View v = view_for(*cn, t);
  Errno err;
  const Node* n = get_node(v, *cn, scratch_, kPermRead, err);
  if (!n) return Result<T>::error(err);
  if (children) v.children_seen(scratch_, ordered);
  return Result<T>::success(project(*n));
}

Result<std::string> Store::read(ConnId c, TxId tx, std::string_view path) {
  return look_up<std::string>(c, tx, path, [](const Node& n) { return n.value; });
}

Result<std::vector<std::string>> Store::directory(ConnId c, TxId tx, std::string_view path) {
  return look_up<std::vector<std::string>>(c, tx, path, [](const Node& n) { return n.children; }, true, true);
}

Result<std::uint64_t> Store::directory_generation(ConnId c, TxId tx, std::string_view path) {
  return look_up<std::uint64_t>(c, tx, path, [](const Node& n) { return n.generation; }, true);
}

Result<XsPerms> Store::get_perms(ConnId c, TxId tx, std::string_view path) {
  return look_up<XsPerms>(c, tx, path, [](const Node& n) { return n.perms; });
}

Errno Store::write(ConnId c, TxId tx, std::string_view path, std::string_view value) {
  Conn* cn;
  Transaction* t;
  if (Errno e = begin_request(c, tx, path, cn, t)) return e;
  View v = view_for(*cn, t);
  Errno err;
  Node* n = get_node(v, *cn, scratch_, kPermWrite, err);
  if (!n) {
    if (err != ENOENT) return err;
    if ((err = create_node(v, *cn, scratch_, value))) return err;
    n = v.read(scratch_);
  } else {
    if (node_size_quota(*cn, n->record_size() - n->value.size() + value.size())) {
      if (t) t->failed = true;  // write_node() fails the transaction
      return ENOSPC;
    }
    if (tree_.observer && !t) tree_.observer->value_replaced(scratch_, n->value, value);
    n->value.assign(value);
    v.changed(scratch_, *n);
  }
  fire_watches(v, scratch_, false, n, nullptr);
  return 0;
}

Errno Store::mkdir(ConnId c, TxId tx, std::string_view path) {
  Conn* cn;
  Transaction* t;
  if (Errno e = begin_request(c, tx, path, cn, t)) return e;
  View v = view_for(*cn, t);
  Errno err;
  if (get_node(v, *cn, scratch_, kPermWrite, err)) return 0;  // already there: nothing, no event
  if (err != ENOENT) return err;
  if ((err = create_node(v, *cn, scratch_, ""))) return err;
  fire_watches(v, scratch_, false, v.read(scratch_), nullptr);
  return 0;
}

Errno Store::rm(ConnId c, TxId tx, std::string_view path) {
  Conn* cn;
  Transaction* t;
  if (Errno e = begin_request(c, tx, path, cn, t)) return e;
  View v = view_for(*cn, t);
  Errno err;
  if (!get_node(v, *cn, scratch_, kPermWrite, err)) {
    if (err != ENOENT) return err;
    Errno perr = 0;  // missing: fine if the parent exists
    if (v.read(parent_of(scratch_), perr)) return 0;
    return perr == ENOSPC ? perr : ENOENT;
  }
  if (scratch_ == "/") return EINVAL;
  const std::string root = scratch_;
  return rm_node(v, root);
}

namespace {
// walk_node_tree() with delnode_sub() on the way out: post-order, each node read through the view, its
// children as the view lists them. A listed child missing from the view stops the walk (false); what
// was removed before stays removed, as in xenstored.
template <class Fire>
bool remove_subtree(View& v, const std::string& path, std::string_view root, Fire& fire) {
  const Node* n = v.read(path);
  if (!n) return false;
  v.children_seen(path, true);  // the walk, and the watches it fires, follow the children's order
  const std::vector<std::string> children = n->children;
  for (const auto& child : children)
    if (!remove_subtree(v, path == "/" ? "/" + child : path + "/" + child, root, fire)) return false;
  // Fired while the node's permissions can still be seen (delnode_sub), descendants exactly.
  fire(path, path != root, v.read(path));
  v.erase(path);
  return true;
}
}  // namespace

// rm_node(): the parent is read first (missing in this view: EINVAL), then the subtree goes, then the
// parent drops its child (not listed in this view: EIO).
Errno Store::rm_node(View& v, const std::string& path) {
  const std::string_view parent_path = parent_of(path);
  Errno err = 0;
  if (!v.read(parent_path, err)) return err == ENOSPC ? err : EINVAL;
  auto fire = [&](std::string_view p, bool exact, const Node* n) { fire_watches(v, p, exact, n, nullptr); };
  if (!remove_subtree(v, path, path, fire)) return EIO;
  Node* parent = v.read(parent_path);
  if (!parent || !parent->remove_child(basename_of(path))) return EIO;  // delete_child(): corrupt()
  v.changed(parent_path, *parent, View::Change::child_removed);
  return 0;
}

// do_set_perms(): the arguments are checked before the node is looked at.
Errno Store::set_perms(ConnId c, TxId tx, std::string_view path, const XsPerms& perms) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  Transaction* t;
  if (Errno e = transaction_of(*cn, tx, t)) return e;
  if (perms.empty()) return EINVAL;
  if (!cn->privileged && perms.size() > options_.quotas.perms_per_node) return ENOSPC;
  const std::uint64_t ignored = ignored_entries(perms);
  if (ignored & 1) return ENOENT;  // the owner does not exist
  if (is_special(path)) {          // set_perms_special()
    XsPerms* special = const_cast<XsPerms*>(special_perms(path));
    if (!special) return EINVAL;
    constexpr unsigned kWriteAndOwn = kPermWrite | kPermOwner;
    if ((perm_for(*cn, *special, 0, kNoGeneration) & kWriteAndOwn) != kWriteAndOwn) return EACCES;
    *special = perms;
    return 0;
  }
  if (Errno e = node_path(*cn, path)) return e;
  View v = view_for(*cn, t);
  Errno err;
  Node* n = get_node(v, *cn, scratch_, kPermWrite | kPermOwner, err);
  if (!n) return err;
  if (!cn->privileged && perms.front().domid != n->perms.front().domid) return EPERM;
  const XsPerms old = n->perms;
  if (node_size_quota(*cn, n->record_size() - 8 * old.size() + 8 * perms.size())) {
    if (t) t->failed = true;
    return ENOSPC;
  }
  if (!t && old.front().domid != perms.front().domid) {
    tree_.count_owner(old.front().domid, -1);
    tree_.count_owner(perms.front().domid, 1);
  }
  n->perms = perms;
  n->ignored_entries = ignored;
  v.changed(scratch_, *n);
  fire_watches(v, scratch_, false, n, &old);
  return 0;
}

}  // namespace xenrace::xs
