#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "world/xs_trace_format.hpp"

#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "faults/sim_faults.hpp"
#include "world/transaction_copies.hpp"
#include "world/visible_op.hpp"

namespace xenrace {

namespace {

using xs_trace::format_perms;
using xs_trace::shorten;
using xs_trace::with_tx;

class SimXsConnection final : public XsConnection {
 public:
  // Shares the model: objects an execution makes die in creation order, so a connection made after the
  // store may outlive it.
  SimXsConnection(Execution& ex, std::shared_ptr<xs::Store> owner, DomId domid, SimXenStore::Footprints& footprints,
                  bool separate_steps)
      : ex_(ex), owner_(std::move(owner)), store_(*owner_), footprints_(footprints),
        privileged_(domid == footprints.privileged_domain()), separate_steps_(separate_steps) {
    id_ = store_.open_connection(domid);
    footprints.name_connection(id_);
    store_.set_event_listener(id_, [this] { ex_.sched().notify_all(events_); });
    if (ex_.sched().in_actor()) {
      // The kernel closes the process's xenstore socket when it exits or is killed.
      ex_.sched().at_exit([owner = owner_, id = id_] { owner->close_connection(id); });
    }
  }
  ~SimXsConnection() override { store_.close_connection(id_); }

  Result<std::string> read(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.read", with_tx(tx, path),
                   [&] { declared(); return copies_.noted(tx, path, store_.read(id_, tx, path)); },
                   value_or_errno(shorten));
  }
  Result<std::string> read_one_of(std::string_view path, std::initializer_list<std::string_view> values) override {
    return visible_op(ex_, "xs.read", with_tx(kNoTx, path), [&] {
      declared();
      // Only a privileged connection's read looks at nothing but the value: another's checks permissions.
      if (!privileged_ || !ex_.sched().collecting()) return store_.read(id_, kNoTx, path);
      footprints_.next_read_one_of(values);
      auto r = store_.read(id_, kNoTx, path);
      footprints_.read_one_of_done();  // a request refused before it looked at the node leaves nothing armed
      return r;
    }, value_or_errno(shorten));
  }
  Errno write(TxId tx, std::string_view path, std::string_view value) override {
    return request(tx, path, "xs.write", Fault{FaultPoint::xenstore_write, path},
                   with_tx(tx, fmt::format("{}={}", path, shorten(value))),
                   [&] { declared(); return copies_.noted(tx, path, store_.write(id_, tx, path, value)); });
  }
  Errno mkdir(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.mkdir", Fault{FaultPoint::xenstore_mkdir, path}, with_tx(tx, path),
                   [&] { declared(); return copies_.noted(tx, path, store_.mkdir(id_, tx, path)); });
  }
  Errno rm(TxId tx, std::string_view path) override {
    return visible_op(ex_, "xs.rm", Fault{FaultPoint::xenstore_rm, path}, with_tx(tx, path),
                      [&] { declared(); return copies_.noted(tx, path, store_.rm(id_, tx, path)); });
  }
  Result<std::vector<std::string>> directory(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.directory", with_tx(tx, path),
                   [&] { declared(); return copies_.noted(tx, path, store_.directory(id_, tx, path)); },
                   value_or_errno([](const auto& names) { return shorten(fmt::format("{}", fmt::join(names, " "))); }));
  }
  Result<XsPerms> get_perms(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.get_perms", with_tx(tx, path),
                   [&] { declared(); return copies_.noted(tx, path, store_.get_perms(id_, tx, path)); },
                   value_or_errno(format_perms));
  }
  Errno set_perms(TxId tx, std::string_view path, const XsPerms& perms) override {
    // Always a step of its own (TransactionCopies); its ENOENT may come before it looked at the node.
    return visible_op(ex_, "xs.set_perms", with_tx(tx, fmt::format("{} {}", path, format_perms(perms))), [&] {
      declared();
      return copies_.noted(tx, path, store_.set_perms(id_, tx, path, perms), false);
    });
  }
  Result<TxId> transaction_start() override {
    return visible_op(ex_, "xs.transaction_start", Fault{FaultPoint::xenstore_transaction_start}, "", [&] {
      declared();
      Result<TxId> t = store_.transaction_start(id_);
      if (t.ok()) copies_.started(t.value);
      return t;
    }, value_or_errno([](TxId tx) { return fmt::format("t{}", tx); }));
  }
  Errno transaction_end(TxId tx, bool commit) override {
    return visible_op(ex_, "xs.transaction_end", fmt::format("t{} {}", tx, commit ? "commit" : "abort"), [&] {
      // A failed commit ends the transaction with nothing applied, as finalize_transaction does: the body
      // runs either way, so the point is asked inside it.
      declared();
      const Errno injected = commit ? fault_at(ex_, FaultPoint::xenstore_transaction_end) : 0;
      const Errno e = store_.transaction_end(id_, tx, commit && injected == 0);
      copies_.ended(tx);
      return injected && e == 0 ? injected : e;
    });
  }
  Errno watch(std::string_view path, std::string_view token) override {
    return visible_op(ex_, "xs.watch", Fault{FaultPoint::xenstore_watch, path}, fmt::format("{} {}", path, shorten(token)),
                      [&] { declared(); return store_.watch(id_, path, token); });
  }
  Errno unwatch(std::string_view path, std::string_view token) override {
    return visible_op(ex_, "xs.unwatch", fmt::format("{} {}", path, shorten(token)),
                      [&] { declared(); return store_.unwatch(id_, path, token); });
  }
  Result<XsWatchEvent> read_watch(VirtualTime timeout) override {
    // The wait is part of the operation: the scheduling point comes first, the event when it returns.
    return visible_op(ex_, "xs.read_watch", "", [&] {
      declared();
      Scheduler& s = ex_.sched();
      const VirtualTime deadline = timeout == kForever || s.now() + timeout < s.now() ? kForever : s.now() + timeout;
      // Finding the queue empty and waiting is no access: the wait ends only when another step queues an
      // event (which wakes this actor, an ordering of its own), so which of the two came first cannot be seen
      // in anything this actor does next (xs_access_observer.hpp). Only an answer "no event" reads the queue.
      while (store_.pending_events(id_) == 0) {
        if (!store_.is_open(id_)) return Result<XsWatchEvent>::error(ECONNRESET);
        if (!s.in_actor() || s.now() >= deadline ||
            !s.wait(events_, "xenstore watch event", deadline == kForever ? kForever : deadline - s.now())) {
          declared();
          if (!store_.has_event(id_)) return Result<XsWatchEvent>::error(ETIMEDOUT);  // looks at the queue
        }
        declared();  // the pop names what it touches through the store's observer
      }
      return Result<XsWatchEvent>::success(*store_.pop_event(id_));
    }, value_or_errno([](const XsWatchEvent& ev) { return fmt::format("{} {}", ev.path, shorten(ev.token)); }));
  }
  Errno introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port) override {
    return visible_op(ex_, "xs.introduce", fmt::format("{} {} {}", domid, mfn, port),
                      [&] { return store_.introduce_domain(id_, domid, mfn, port); });
  }
  Errno release_domain(DomId domid) override {
    return visible_op(ex_, "xs.release", std::to_string(domid), [&] { return store_.release_domain(id_, domid); });
  }
  Result<std::string> get_domain_path(DomId domid) override {
    return visible_op(ex_, "xs.get_domain_path", std::to_string(domid),
                      [&] { return store_.get_domain_path(id_, domid); });
  }
  Result<bool> is_domain_introduced(DomId domid) override {
    return visible_op(ex_, "xs.is_domain_introduced", std::to_string(domid),
                      [&] { return store_.is_domain_introduced(id_, domid); },
                      value_or_errno([](bool yes) { return yes ? "T" : "F"; }));
  }

 private:
  // Every request but the domain ones names what it touches through the store's AccessObserver; the
  // domain requests declare nothing, so their steps count as dependent with everything.
  void declared() {
    if (!within_copy_) ex_.sched().declare_footprint();
  }

  // A visible operation; or, on a node its transaction holds a copy of (TransactionCopies), an operation within
  // the actor's current step (op_within_step), which the store must agree touches only copies and must report no
  // access for (the reports are made only when the strategy observes steps).
  template <class... A>
  auto request(TxId tx, std::string_view path, A&&... a)
      -> decltype(visible_op(std::declval<Execution&>(), std::forward<A>(a)...)) {
    if (separate_steps_ || !copies_.holds(tx, path)) return visible_op(ex_, std::forward<A>(a)...);
    // Checked where footprints are collected (dpor, and the tests that compare it with every interleaving).
    const bool check = ex_.sched().observing();
    if (check && !store_.within_transaction_copy(id_, tx, path)) [[unlikely]]
      not_within_copy(path, "holds no copy of it");
    // It declares nothing: it must not end a declaration its step still owes (the re-check after a wait).
    within_copy_ = true;
    const std::uint64_t reported = footprints_.reports();
    auto r = op_within_step(ex_, std::forward<A>(a)...);
    within_copy_ = false;
    if (check && footprints_.reports() != reported) [[unlikely]] not_within_copy(path, "touched the shared store");
    return r;
  }
  [[noreturn]] static void not_within_copy(std::string_view path, std::string_view what) {
    fmt::print(stderr, "xenrace: internal error: a request on {} inside a transaction, run within its actor's step "
                       "as a request on the transaction's copy, {}\n", path, what);
    std::abort();
  }

  Execution& ex_;
  std::shared_ptr<xs::Store> owner_;
  xs::Store& store_;
  SimXenStore::Footprints& footprints_;
  bool privileged_;
  bool separate_steps_;      // SimXenStore::separate_steps_inside_transactions
  bool within_copy_ = false;  // running a request within the actor's step (request())
  TransactionCopies copies_{privileged_};
  xs::ConnId id_ = 0;
  WaitQueue events_;
};

}  // namespace

void SimXenStore::Footprints::name_connection(xs::ConnId id) {
  // Named by who opened it and how many that actor opened before: the same in every interleaving,
  // unlike the ConnId, which depends on the order in which actors connected.
  Scheduler& s = ex_.sched();
  const std::size_t opener = s.in_actor() ? s.current() : kMaxActors;
  const std::uint64_t name = (static_cast<std::uint64_t>(opener) << 32) | opened_by_[opener]++;
  if (connection_keys_.size() <= id) connection_keys_.resize(id + 1);
  connection_keys_[id] = object_key('c', name);
}

void SimXenStore::Footprints::node_read(std::string_view path) {
  ++reports_;
  Scheduler& s = ex_.sched();
  if (!s.collecting()) return;
  if (!armed_) return s.access(object_key('n', path), AccessMode::read);
  // read_one_of's look at its node, the first node_read of its request: only the facts it acts on.
  armed_ = false;
  const std::uint64_t node = object_key('v', path);
  for (std::string_view v : one_of_) s.access(value_key(node, v), AccessMode::read);
  s.access(value_key(node, std::nullopt), AccessMode::read);
}
std::uint64_t SimXenStore::Footprints::value_key(std::uint64_t node, std::optional<std::string_view> value) {
  // "Missing" gets a tag no value's key is meant to equal; a collision would only add a dependency.
  return word_hash::absorb(node, value ? object_key('=', *value) : 0x6d697373696e6721ull);
}
void SimXenStore::Footprints::value_replaced(std::string_view path, std::optional<std::string_view> before,
                                             std::optional<std::string_view> after) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  if (before == after) return;  // the same value, or missing before and after: no fact changed
  const std::uint64_t node = object_key('v', path);
  ex_.sched().access(value_key(node, before), AccessMode::write);
  ex_.sched().access(value_key(node, after), AccessMode::write);
}
void SimXenStore::Footprints::node_written(std::string_view path) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  ex_.sched().access(object_key('n', path), AccessMode::write);
  ex_.sched().access(object_key('d', path), AccessMode::write);
}
void SimXenStore::Footprints::value_written(std::string_view path) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  ex_.sched().access(object_key('n', path), AccessMode::write);
}
void SimXenStore::Footprints::children_read(std::string_view path, bool ordered) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  ex_.sched().access(object_key('d', path), ordered ? AccessMode::read_order : AccessMode::read);
}
void SimXenStore::Footprints::child_added(std::string_view path) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  ex_.sched().access(object_key('n', path), AccessMode::read);
  ex_.sched().access(object_key('d', path), AccessMode::update);
}
void SimXenStore::Footprints::child_removed(std::string_view path) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  ex_.sched().access(object_key('d', path), AccessMode::write);
}
void SimXenStore::Footprints::watches_read(std::string_view path, bool exact) {
  ++reports_;
  Scheduler& s = ex_.sched();
  if (!s.collecting()) return;
  s.access(object_key('w', path), AccessMode::read);
  if (exact || path.empty() || path[0] != '/') return;
  s.access(object_key('w', "/"), AccessMode::read);  // is_child: "/" is above everything
  // Each ancestor below "/": the key of the prefix before every later slash, all in one pass.
  ObjectKeyStream prefix('w');
  prefix.feed('/');
  for (std::size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '/') s.access(prefix.key(), AccessMode::read);
    prefix.feed(path[i]);
  }
}
void SimXenStore::Footprints::watches_written(std::string_view path) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  ex_.sched().access(object_key('w', path), AccessMode::write);
}
bool SimXenStore::Footprints::queue_key(std::uint32_t conn, char part, std::uint64_t& key) const {
  if (conn >= connection_keys_.size()) {
    ex_.sched().access_everything();  // a connection this adapter did not open: no name to give it
    return false;
  }
  key = object_key(part, connection_keys_[conn]);
  return true;
}
std::uint64_t SimXenStore::Footprints::event_key(std::uint32_t conn, std::string_view path,
                                                 std::string_view token) const {
  std::uint64_t h = object_key('e', path) ^ (object_key('e', token) * 31);
  return h ^ (conn < connection_keys_.size() ? connection_keys_[conn] * 1099511628211ull : 0);
}
void SimXenStore::Footprints::event_queued(std::uint32_t conn, std::string_view path, std::string_view token,
                                           bool duplicate, bool near_budget) {
  ++reports_;
  Scheduler& s = ex_.sched();
  if (!s.collecting()) return;
  if (near_budget) return s.access_everything();
  std::uint64_t k = 0;
  if (!queue_key(conn, 't', k)) return;
  if (duplicate) return s.access(event_key(conn, path, token), AccessMode::read);
  s.access(k, AccessMode::write);
  s.access(event_key(conn, path, token), AccessMode::write);
  // Every queueing, not only one onto an empty queue: whether the queue is empty depends on the owner's pops,
  // which touch no such flag, so a queueing that a sleep set holds must keep the footprint it will have.
  if (queue_key(conn, 'f', k)) s.access(k, AccessMode::write);
}
void SimXenStore::Footprints::event_popped(std::uint32_t conn, std::string_view path, std::string_view token) {
  ++reports_;
  Scheduler& s = ex_.sched();
  if (!s.collecting()) return;
  std::uint64_t k = 0;
  if (!queue_key(conn, 'h', k)) return;
  s.access(k, AccessMode::write);
  s.access(event_key(conn, path, token), AccessMode::write);
}
void SimXenStore::Footprints::events_looked(std::uint32_t conn) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  std::uint64_t k = 0;
  if (queue_key(conn, 'f', k)) ex_.sched().access(k, AccessMode::read);
}
void SimXenStore::Footprints::events_dropped(std::uint32_t conn) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  for (char part : {'f', 'h', 't'}) {
    std::uint64_t k = 0;
    if (queue_key(conn, part, k)) ex_.sched().access(k, AccessMode::write);
  }
}
void SimXenStore::Footprints::quota_touched(DomId owner) {
  ++reports_;
  if (!ex_.sched().collecting()) return;
  if (owner == priv_) return;  // the privileged domain has no node quota: nobody reads its count
  ex_.sched().access(object_key('q', std::uint64_t{owner}), AccessMode::write);
}

SimXenStore::SimXenStore(Execution& ex, xs::StoreOptions options)
    : ex_(ex),
      store_(std::make_shared<xs::Store>(options)),
      footprints_(ex, options.priv_domid),
      processes_(ex, store_, [this](xs::ConnId id) { footprints_.name_connection(id); }) {
  use_sim_faults(ex_);
  if (ex_.sched().observing()) store_->set_access_observer(&footprints_);
}

SimXenStore::~SimXenStore() { store_->set_access_observer(nullptr); }

std::unique_ptr<XsConnection> SimXenStore::connect(DomId domid) {
  return std::make_unique<SimXsConnection>(ex_, store_, domid, footprints_, separate_steps_);
}

}  // namespace xenrace
