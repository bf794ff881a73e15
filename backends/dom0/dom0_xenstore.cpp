#include "backends/dom0/dom0_xenstore.hpp"
#include "world/xs_trace_format.hpp"

#include <algorithm>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "backends/dom0/ledger.hpp"
#include "backends/dom0/xs_handle.hpp"
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
    ex_.before_visible();
    Result<std::string> r;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      r = h_.read(tx, hp);
    }
    if (r.ok() && store_.real_dirs()) r.value = store_.real_dirs()->scenario_value(path, r.value);
    ex_.record("xs.read", with_tx(tx, path), r.ok() ? shorten(r.value) : errno_name(r.err));
    return r;
  }
  Errno write(TxId tx, std::string_view path, std::string_view value) override {
    ex_.before_visible();
    std::string hv(value);
    Errno e = prepare(path, &hv);
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    if (e == 0) {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.write(tx, hp, hv);
    }
    changed(tx, e);
    ex_.record("xs.write", with_tx(tx, fmt::format("{}={}", path, shorten(value))), errno_name(e));
    return e;
  }
  Errno mkdir(TxId tx, std::string_view path) override {
    ex_.before_visible();
    Errno e = prepare(path, nullptr);
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    if (e == 0) {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.mkdir(tx, hp);
    }
    changed(tx, e);
    ex_.record("xs.mkdir", with_tx(tx, path), errno_name(e));
    return e;
  }
  Errno rm(TxId tx, std::string_view path) override {
    ex_.before_visible();
    Errno e;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      // "/" of the scenario is the run's subtree root: removing it would remove the run's own anchor.
      e = path == "/" ? EINVAL : h_.rm(hp, tx);
    }
    changed(tx, e);
    ex_.record("xs.rm", with_tx(tx, path), errno_name(e));
    return e;
  }
  Result<std::vector<std::string>> directory(TxId tx, std::string_view path) override {
    ex_.before_visible();
    Result<std::vector<std::string>> r;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      r = h_.directory(tx, hp);
    }
    // Formatted as the simulator formats it, so a replayed trace reads line for line like the recorded one.
    ex_.record("xs.directory", with_tx(tx, path),
               r.ok() ? shorten(fmt::format("{}", fmt::join(r.value, " "))) : errno_name(r.err));
    return r;
  }
  Result<XsPerms> get_perms(TxId tx, std::string_view path) override {
    ex_.before_visible();
    Result<XsPerms> r;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      r = h_.get_perms(tx, hp);
    }
    ex_.record("xs.get_perms", with_tx(tx, path), r.ok() ? format_perms(r.value) : errno_name(r.err));
    return r;
  }
  Errno set_perms(TxId tx, std::string_view path, const XsPerms& perms) override {
    ex_.before_visible();
    Errno e;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.set_perms(tx, hp, perms);
    }
    changed(tx, e);
    ex_.record("xs.set_perms", with_tx(tx, fmt::format("{} {}", path, format_perms(perms))), errno_name(e));
    return e;
  }
  Result<TxId> transaction_start() override {
    ex_.before_visible();
    Result<TxId> r;
    {
      Scheduler::IoWindow io(ex_.sched());
      r = h_.transaction_start();
    }
    ex_.record("xs.transaction_start", "", r.ok() ? fmt::format("t{}", r.value) : errno_name(r.err));
    return r;
  }
  Errno transaction_end(TxId tx, bool commit) override {
    ex_.before_visible();
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.transaction_end(tx, commit);
    }
    if (commit) changed(kNoTx, e);
    ex_.record("xs.transaction_end", fmt::format("t{} {}", tx, commit ? "commit" : "abort"), errno_name(e));
    return e;
  }
  Errno watch(std::string_view path, std::string_view token) override {
    ex_.before_visible();
    Errno e;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.watch(hp, std::string(token));
    }
    if (e == 0 && relative(path)) relative_watches_.push_back({hp, std::string(token)});
    ex_.record("xs.watch", fmt::format("{} {}", path, shorten(token)), errno_name(e));
    return e;
  }
  Errno unwatch(std::string_view path, std::string_view token) override {
    ex_.before_visible();
    Errno e;
    const std::string hp = host(path);  // under the actor lock: the map may gain redirects
    {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.unwatch(hp, std::string(token));
    }
    if (e == 0 && relative(path)) std::erase(relative_watches_, RelativeWatch{hp, std::string(token)});
    ex_.record("xs.unwatch", fmt::format("{} {}", path, shorten(token)), errno_name(e));
    return e;
  }
  Result<XsWatchEvent> read_watch(VirtualTime timeout) override {
    ex_.before_visible();
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
        ex_.record("xs.read_watch", "", errno_name(e));
        return Result<XsWatchEvent>::error(e);
      }
    }
    XsWatchEvent ev = std::move(pending_.front());
    pending_.pop_front();
    ex_.record("xs.read_watch", "", fmt::format("{} {}", ev.path, shorten(ev.token)));
    return Result<XsWatchEvent>::success(std::move(ev));
  }
  Errno introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port) override {
    require_domain_management("introduce");
    ex_.before_visible();
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.introduce_domain(domid, mfn, port);
    }
    changed(kNoTx, e);
    ex_.record("xs.introduce", fmt::format("{} {} {}", domid, mfn, port), errno_name(e));
    return e;
  }
  Errno release_domain(DomId domid) override {
    require_domain_management("release");
    ex_.before_visible();
    Errno e;
    {
      Scheduler::IoWindow io(ex_.sched());
      e = h_.release_domain(domid);
    }
    changed(kNoTx, e);
    ex_.record("xs.release", std::to_string(domid), errno_name(e));
    return e;
  }
  Result<std::string> get_domain_path(DomId domid) override {
    ex_.before_visible();
    Result<std::string> r;
    {
      Scheduler::IoWindow io(ex_.sched());
      r = h_.get_domain_path(domid);
    }
    // The daemon's answer is a path in the scenario's own namespace (/local/domain/N): not remapped.
    ex_.record("xs.get_domain_path", std::to_string(domid), r.ok() ? r.value : errno_name(r.err));
    return r;
  }
  Result<bool> is_domain_introduced(DomId domid) override {
    ex_.before_visible();
    Result<bool> r;
    {
      Scheduler::IoWindow io(ex_.sched());
      r = h_.is_domain_introduced(domid);
    }
    ex_.record("xs.is_domain_introduced", std::to_string(domid), r.ok() ? (r.value ? "T" : "F") : errno_name(r.err));
    return r;
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
};

Dom0XenStore::Dom0XenStore(Execution& ex, Ledger& ledger, Dom0XenStoreOptions options)
    : ex_(ex), ledger_(ledger), options_(std::move(options)), paths_(options_.prefix) {
  XsHandle h(options_.socket);
  if (!h)
    throw ComponentUnavailable(fmt::format("no xenstored answers at {}: {}", xenstored_socket_in_use(),
                                           std::strerror(h.open_error())));
  {
    Ledger::Creation c(ledger_, "xs-tree", {paths_.prefix(), options_.socket.empty() ? "-" : options_.socket});
    subtree_entry_ = c.id();
    if (Errno e = h.mkdir(kNoTx, paths_.prefix()))
      throw ComponentUnavailable(fmt::format("cannot create the run's xenstore subtree {}: {}", paths_.prefix(),
                                             errno_name(e)));
  }
}

Dom0XenStore::~Dom0XenStore() { remove_subtree(); }

void Dom0XenStore::remove_subtree() {
  if (subtree_removed_) return;
  subtree_removed_ = true;
  XsHandle h(options_.socket);
  if (!h) return;  // the ledger still lists it: `xenrace cleanup` will retry
  Errno e = h.rm(paths_.prefix());
  if (e == 0 || e == ENOENT) ledger_.released(subtree_entry_);
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
