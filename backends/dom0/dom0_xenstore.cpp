#include "backends/dom0/dom0_xenstore.hpp"
#include "world/xs_trace_format.hpp"

#include <algorithm>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "backends/dom0/ledger.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "faults/fault_catalogue.hpp"
#include "world/transaction_copies.hpp"
#include "world/visible_op.hpp"
#include "world/world.hpp"

namespace xenrace::dom0 {

namespace {

using xs_trace::format_perms;
using xs_trace::shorten;
using xs_trace::with_tx;

}  // namespace

class Dom0XsConnection final : public XsConnection {
 public:
  // `home`: the domain relative paths resolve against (0, or a simulated guest's domid; see the header).
  Dom0XsConnection(Dom0XenStore& store, DomId home)
      : store_(store), home_(home), parked_(store.parked_list()), ex_(store.execution()),
        handle_(std::make_shared<XsHandle>(store.options().socket)), h_(*handle_) {
    if (!h_)
      throw ComponentUnavailable(fmt::format("no xenstored answers at {}: {}", xenstored_socket_in_use(),
                                             std::strerror(h_.open_error())));
    if (ex_.sched().in_actor()) {
      // As in the simulator: the process's connection closes when it exits or is killed.
      ex_.sched().at_exit([h = handle_] { h->close(); });
    }
  }
  // The store may be gone already (execution-owned objects die in any order): only the shared list is touched.
  ~Dom0XsConnection() override { std::erase(*parked_, this); }

  Result<std::string> read(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.read", with_tx(tx, path), [&] {
      Result<std::string> r;
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      {
        Scheduler::IoWindow io(ex_.sched());
        r = h_.read(tx, hp);
      }
      if (r.ok() && store_.real_dirs()) r.value = store_.real_dirs()->scenario_value(path, r.value);
      return copies_.noted(tx, path, r);
    }, value_or_errno(shorten));
  }
  Errno write(TxId tx, std::string_view path, std::string_view value) override {
    return request(tx, path, "xs.write", Fault{FaultPoint::xenstore_write, path},
                   with_tx(tx, fmt::format("{}={}", path, shorten(value))), [&] {
                     std::string hv(value);
                     Errno e = prepare(path, &hv);
                     const std::string hp = host(path);  // under the actor lock: the map may gain redirects
                     if (e == 0) {
                       Scheduler::IoWindow io(ex_.sched());
                       e = h_.write(tx, hp, hv);
                       copies_.noted(tx, path, e);
                     }
                     changed(tx, e);
                     return e;
                   });
  }
  Errno mkdir(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.mkdir", Fault{FaultPoint::xenstore_mkdir, path}, with_tx(tx, path), [&] {
      Errno e = prepare(path, nullptr);
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      if (e == 0) {
        Scheduler::IoWindow io(ex_.sched());
        e = h_.mkdir(tx, hp);
        copies_.noted(tx, path, e);
      }
      changed(tx, e);
      return e;
    });
  }
  Errno rm(TxId tx, std::string_view path) override {
    return visible_op(ex_, "xs.rm", Fault{FaultPoint::xenstore_rm, path}, with_tx(tx, path), [&] {
      Errno e;
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      {
        Scheduler::IoWindow io(ex_.sched());
        // "/" of the scenario is the run's subtree root: removing it would remove the run's own anchor.
        e = path == "/" ? EINVAL : h_.rm(hp, tx);
      }
      if (path != "/") copies_.noted(tx, path, e);
      changed(tx, e);
      return e;
    });
  }
  Result<std::vector<std::string>> directory(TxId tx, std::string_view path) override {
    // Formatted as the simulator formats it, so a replayed trace reads line for line like the recorded one.
    return request(tx, path, "xs.directory", with_tx(tx, path), [&] {
      Result<std::vector<std::string>> r;
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      {
        Scheduler::IoWindow io(ex_.sched());
        r = h_.directory(tx, hp);
      }
      return copies_.noted(tx, path, r);
    }, value_or_errno([](const auto& names) { return shorten(fmt::format("{}", fmt::join(names, " "))); }));
  }
  Result<XsPerms> get_perms(TxId tx, std::string_view path) override {
    return request(tx, path, "xs.get_perms", with_tx(tx, path), [&] {
      Result<XsPerms> r;
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      {
        Scheduler::IoWindow io(ex_.sched());
        r = h_.get_perms(tx, hp);
      }
      return copies_.noted(tx, path, r);
    }, value_or_errno(format_perms));
  }
  Errno set_perms(TxId tx, std::string_view path, const XsPerms& perms) override {
    return visible_op(ex_, "xs.set_perms", with_tx(tx, fmt::format("{} {}", path, format_perms(perms))), [&] {
      Errno e;
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      {
        Scheduler::IoWindow io(ex_.sched());
        e = h_.set_perms(tx, hp, perms);
      }
      copies_.noted(tx, path, e, false);  // always a step of its own; its ENOENT may come before it looked
      changed(tx, e);
      return e;
    });
  }
  Result<TxId> transaction_start() override {
    return visible_op(ex_, "xs.transaction_start", Fault{FaultPoint::xenstore_transaction_start}, "", [&] {
      Result<TxId> t;
      {
        Scheduler::IoWindow io(ex_.sched());
        t = h_.transaction_start();
      }
      if (t.ok()) copies_.started(t.value);
      return t;
    }, value_or_errno([](TxId tx) { return fmt::format("t{}", tx); }));
  }
  Errno transaction_end(TxId tx, bool commit) override {
    return visible_op(ex_, "xs.transaction_end", fmt::format("t{} {}", tx, commit ? "commit" : "abort"), [&] {
      // As in the simulator: a failed commit ends the transaction with nothing applied, so the point is asked
      // inside the body and the transaction is aborted for real.
      const Errno injected = commit ? fault_at(ex_, FaultPoint::xenstore_transaction_end) : 0;
      Errno e;
      {
        Scheduler::IoWindow io(ex_.sched());
        e = h_.transaction_end(tx, commit && injected == 0);
      }
      copies_.ended(tx);
      if (commit && injected == 0) changed(kNoTx, e);
      return injected && e == 0 ? injected : e;
    });
  }
  Errno watch(std::string_view path, std::string_view token) override {
    return visible_op(ex_, "xs.watch", Fault{FaultPoint::xenstore_watch, path}, fmt::format("{} {}", path, shorten(token)),
                      [&] {
                        Errno e;
                        const std::string hp = host(path);  // under the actor lock: the map may gain redirects
                        {
                          Scheduler::IoWindow io(ex_.sched());
                          e = h_.watch(hp, std::string(token));
                        }
                        if (e == 0 && relative(path)) relative_watches_.push_back({hp, std::string(token)});
                        return e;
                      });
  }
  Errno unwatch(std::string_view path, std::string_view token) override {
    return visible_op(ex_, "xs.unwatch", fmt::format("{} {}", path, shorten(token)), [&] {
      Errno e;
      const std::string hp = host(path);  // under the actor lock: the map may gain redirects
      {
        Scheduler::IoWindow io(ex_.sched());
        e = h_.unwatch(hp, std::string(token));
      }
      if (e == 0 && relative(path)) std::erase(relative_watches_, RelativeWatch{hp, std::string(token)});
      return e;
    });
  }
  Result<XsWatchEvent> read_watch(VirtualTime timeout) override {
    // The wait is part of the operation: the scheduling point comes first, the event when it returns.
    return visible_op(ex_, "xs.read_watch", "", [&] {
      Scheduler& s = ex_.sched();
      const VirtualTime deadline = timeout == kForever || s.now() + timeout < s.now() ? kForever : s.now() + timeout;
      while (!fetch_pending()) {
        Errno e = !h_ ? ECONNRESET : ETIMEDOUT;
        const bool can_wait = e == ETIMEDOUT && s.in_actor() && s.now() < deadline;
        store_.park(this);
        const bool woken =
            can_wait && s.wait(events_, "xenstore watch event", deadline == kForever ? kForever : deadline - s.now());
        store_.unpark(this);
        if (!woken) {
          if (fetch_pending()) break;
          return Result<XsWatchEvent>::error(e);
        }
      }
      XsWatchEvent ev = std::move(pending_.front());
      pending_.pop_front();
      return Result<XsWatchEvent>::success(std::move(ev));
    }, value_or_errno([](const XsWatchEvent& ev) { return fmt::format("{} {}", ev.path, shorten(ev.token)); }));
  }
  Errno introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port) override {
    require_domain_management("introduce");
    return visible_op(ex_, "xs.introduce", fmt::format("{} {} {}", domid, mfn, port), [&] {
      Errno e;
      {
        Scheduler::IoWindow io(ex_.sched());
        e = h_.introduce_domain(domid, mfn, port);
      }
      changed(kNoTx, e);
      return e;
    });
  }
  Errno release_domain(DomId domid) override {
    require_domain_management("release");
    return visible_op(ex_, "xs.release", std::to_string(domid), [&] {
      Errno e;
      {
        Scheduler::IoWindow io(ex_.sched());
        e = h_.release_domain(domid);
      }
      changed(kNoTx, e);
      return e;
    });
  }
  Result<std::string> get_domain_path(DomId domid) override {
    // The daemon's answer is a path in the scenario's own namespace (/local/domain/N): not remapped.
    return visible_op(ex_, "xs.get_domain_path", std::to_string(domid), [&] {
      Scheduler::IoWindow io(ex_.sched());
      return h_.get_domain_path(domid);
    });
  }
  Result<bool> is_domain_introduced(DomId domid) override {
    return visible_op(ex_, "xs.is_domain_introduced", std::to_string(domid), [&] {
      Scheduler::IoWindow io(ex_.sched());
      return h_.is_domain_introduced(domid);
    }, value_or_errno([](bool yes) { return yes ? "T" : "F"; }));
  }

  // True when an event is pending. The round trip makes the answer deterministic (see the header).
  bool fetch_pending() {
    const bool coalesce = store_.options().coalesce_undelivered_events;
    // Without coalescing, what is already here is enough; with it, every arrival must be compared now, before
    // the next delivery, as the simulator's store compares it when the event is queued.
    if (!pending_.empty() && !coalesce) return true;
    if (!h_) return !pending_.empty();
    (void)h_.read(kNoTx, store_.paths().prefix());
    for (;;) {
      Result<XsWatchEvent> ev = h_.check_watch();
      if (!ev.ok()) break;
      // Events outside the run's subtree cannot be for this scenario's watches; drop them.
      auto p = store_.paths().to_scenario(ev.value.path);
      if (!p) continue;
      XsWatchEvent e{shown(ev.value.path, ev.value.token, std::move(*p)), std::move(ev.value.token)};
      // xenstored's "dropping duplicate watch" (the simulator's W3): an identical event not yet delivered to
      // the actor makes this one redundant. "@" events are never merged.
      if (coalesce && !e.path.starts_with('@') &&
          std::any_of(pending_.begin(), pending_.end(),
                      [&](const XsWatchEvent& q) { return q.path == e.path && q.token == e.token; }))
        continue;
      pending_.push_back(std::move(e));
    }
    return !pending_.empty();
  }
  WaitQueue& events() { return events_; }

 private:
  // As in the simulator: a request on a node its transaction holds a copy of runs within the actor's step, so a
  // replay meets the scheduling points the simulator met.
  template <class... A>
  auto request(TxId tx, std::string_view path, A&&... a)
      -> decltype(visible_op(std::declval<Execution&>(), std::forward<A>(a)...)) {
    if (copies_.holds(tx, path)) return op_within_step(ex_, std::forward<A>(a)...);
    return visible_op(ex_, std::forward<A>(a)...);
  }

  std::string host(std::string_view path) const { return store_.paths().to_host(path, home_); }
  static bool relative(std::string_view path) { return !path.empty() && path[0] != '/' && path[0] != '@'; }
  // xenstored shows a relative watch's events relative to the connection's implicit path (as the simulator's
  // store does, W4); the daemon here saw an absolute watch, so strip the implicit path for those.
  std::string shown(const std::string& host_path, const std::string& token, std::string scenario_path) const {
    const std::string implicit = fmt::format("/local/domain/{}/", home_);
    for (const RelativeWatch& w : relative_watches_) {
      const std::string_view h = host_path, watched = w.host_path;
      const bool below =
          h == watched || (h.starts_with(watched) && h.size() > watched.size() && h[watched.size()] == '/');
      if (w.token == token && below && scenario_path.starts_with(implicit))
        return scenario_path.substr(implicit.size());
    }
    return scenario_path;
  }
  // Before creating at `path`: a real directory it falls in is made first, and a value with host meaning
  // (a device number) is translated; an error is the write's.
  Errno prepare(std::string_view path, std::string* value) {
    RealDirs* d = store_.real_dirs();
    if (!d) return 0;
    if (Errno e = d->before_create(path)) return e;
    if (!value) return 0;
    Result<std::string> v = d->host_value(path, *value);
    if (!v.ok()) return v.err;
    *value = std::move(v.value);
    return 0;
  }
  void changed(TxId tx, Errno e) {
    // Inside a transaction nothing is visible to watchers until the commit.
    if (tx == kNoTx && e == 0) store_.store_changed();
  }
  void require_domain_management(const char* what) {
    if (!store_.options().allow_domain_management)
      throw ComponentUnavailable(fmt::format(
          "xenstore {} would change the real host's domain list; allow it (allow_domain_management = yes in "
          "the dom0 config) only where xenstored is xenrace's own server",
          what));
  }

  Dom0XenStore& store_;
  DomId home_;
  struct RelativeWatch {
    std::string host_path;
    std::string token;
    bool operator==(const RelativeWatch&) const = default;
  };
  std::vector<RelativeWatch> relative_watches_;
  std::shared_ptr<std::vector<Dom0XsConnection*>> parked_;
  Execution& ex_;
  std::shared_ptr<XsHandle> handle_;  // shared with the at-exit close, which may run after this object is gone
  XsHandle& h_;
  std::deque<XsWatchEvent> pending_;
  WaitQueue events_;
  TransactionCopies copies_{home_ == 0};  // as the simulator, whose privileged domain is dom0
};

Dom0XenStore::Dom0XenStore(Execution& ex, Ledger& ledger, Dom0XenStoreOptions options)
    : ex_(ex), ledger_(ledger), options_(std::move(options)), paths_(options_.prefix) {
  XsHandle h(options_.socket);
  if (!h)
    throw ComponentUnavailable(fmt::format("no xenstored answers at {}: {}", xenstored_socket_in_use(),
                                           std::strerror(h.open_error())));
  auto create = [&] {
    if (Errno e = h.mkdir(kNoTx, paths_.prefix()))
      throw ComponentUnavailable(fmt::format("cannot create the run's xenstore subtree {}: {}", paths_.prefix(),
                                             errno_name(e)));
  };
  if (options_.covered_by_run_entry) {
    create();
  } else {
    Ledger::Creation c(ledger_, "xs-tree", {paths_.prefix(), options_.socket.empty() ? "-" : options_.socket});
    subtree_entry_ = c.id();
    create();
  }
}

Dom0XenStore::~Dom0XenStore() { remove_subtree(); }

void Dom0XenStore::remove_subtree() {
  if (subtree_removed_) return;
  subtree_removed_ = true;
  XsHandle h(options_.socket);
  if (!h) return;  // the ledger still lists it: `xenrace cleanup` will retry
  Errno e = h.rm(paths_.prefix());
  if ((e == 0 || e == ENOENT) && !options_.covered_by_run_entry) ledger_.released(subtree_entry_);
}

std::unique_ptr<XsConnection> Dom0XenStore::connect(DomId domid) {
  if (domid != 0)
    throw ComponentUnavailable(fmt::format(
        "acting as domain {} needs that domain's own xenstore ring; a dom0 run connects as dom0 only", domid));
  return std::make_unique<Dom0XsConnection>(*this, 0);
}

std::unique_ptr<XsConnection> Dom0XenStore::connect_simulated_guest(DomId domid) {
  // Still a dom0 socket (privileged): only the implicit path is the guest's. Callers are simulated drivers.
  return std::make_unique<Dom0XsConnection>(*this, domid);
}

void Dom0XenStore::park(Dom0XsConnection* c) {
  if (std::find(parked_->begin(), parked_->end(), c) == parked_->end()) parked_->push_back(c);
}

void Dom0XenStore::unpark(Dom0XsConnection* c) { std::erase(*parked_, c); }

void Dom0XenStore::store_changed() {
  for (Dom0XsConnection* c : std::vector<Dom0XsConnection*>(*parked_))
    if (c->fetch_pending()) ex_.sched().notify_all(c->events());
}

}  // namespace xenrace::dom0
