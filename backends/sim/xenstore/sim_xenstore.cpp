#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "world/xs_trace_format.hpp"

#include <fmt/format.h>

#include "faults/sim_faults.hpp"

namespace xenrace {

namespace {

using xs_trace::format_perms;
using xs_trace::shorten;
using xs_trace::with_tx;

class SimXsConnection final : public XsConnection {
 public:
  // Shares the model: objects an execution makes die in creation order, so a connection made after the
  // store may outlive it.
  SimXsConnection(Execution& ex, std::shared_ptr<xs::Store> owner, DomId domid)
      : ex_(ex), owner_(std::move(owner)), store_(*owner_) {
    id_ = store_.open_connection(domid);
    store_.set_event_listener(id_, [this] { ex_.sched().notify_all(events_); });
    if (ex_.sched().in_actor()) {
      // The kernel closes the process's xenstore socket when it exits or is killed.
      ex_.sched().at_exit([owner = owner_, id = id_] { owner->close_connection(id); });
    }
  }
  ~SimXsConnection() override { store_.close_connection(id_); }

  Result<std::string> read(TxId tx, std::string_view path) override {
    ex_.before_visible();
    auto r = store_.read(id_, tx, path);
    ex_.record("xs.read", with_tx(tx, path), r.ok() ? shorten(r.value) : errno_name(r.err));
    return r;
  }
  Errno write(TxId tx, std::string_view path, std::string_view value) override {
    ex_.before_visible();
    Errno e = fault_here(ex_, FaultPoint::xenstore_write, path);
    if (e == 0) e = store_.write(id_, tx, path, value);
    ex_.record("xs.write", with_tx(tx, fmt::format("{}={}", path, shorten(value))), errno_name(e));
    return e;
  }
  Errno mkdir(TxId tx, std::string_view path) override {
    ex_.before_visible();
    Errno e = fault_here(ex_, FaultPoint::xenstore_mkdir, path);
    if (e == 0) e = store_.mkdir(id_, tx, path);
    ex_.record("xs.mkdir", with_tx(tx, path), errno_name(e));
    return e;
  }
  Errno rm(TxId tx, std::string_view path) override {
    ex_.before_visible();
    Errno e = fault_here(ex_, FaultPoint::xenstore_rm, path);
    if (e == 0) e = store_.rm(id_, tx, path);
    ex_.record("xs.rm", with_tx(tx, path), errno_name(e));
    return e;
  }
  Result<std::vector<std::string>> directory(TxId tx, std::string_view path) override {
    ex_.before_visible();
    auto r = store_.directory(id_, tx, path);
    ex_.record("xs.directory", with_tx(tx, path),
               r.ok() ? shorten(fmt::format("{}", fmt::join(r.value, " "))) : errno_name(r.err));
    return r;
  }
  Result<XsPerms> get_perms(TxId tx, std::string_view path) override {
    ex_.before_visible();
    auto r = store_.get_perms(id_, tx, path);
    ex_.record("xs.get_perms", with_tx(tx, path), r.ok() ? format_perms(r.value) : errno_name(r.err));
    return r;
  }
  Errno set_perms(TxId tx, std::string_view path, const XsPerms& perms) override {
    ex_.before_visible();
    Errno e = store_.set_perms(id_, tx, path, perms);
    ex_.record("xs.set_perms", with_tx(tx, fmt::format("{} {}", path, format_perms(perms))), errno_name(e));
    return e;
  }
  Result<TxId> transaction_start() override {
    ex_.before_visible();
    const Errno injected = fault_here(ex_, FaultPoint::xenstore_transaction_start);
    auto r = injected ? Result<TxId>::error(injected) : store_.transaction_start(id_);
    ex_.record("xs.transaction_start", "", r.ok() ? fmt::format("t{}", r.value) : errno_name(r.err));
    return r;
  }
  Errno transaction_end(TxId tx, bool commit) override {
    ex_.before_visible();
    // A failed commit ends the transaction with nothing applied, as finalize_transaction does.
    const Errno injected = commit ? fault_here(ex_, FaultPoint::xenstore_transaction_end) : 0;
    Errno e = store_.transaction_end(id_, tx, commit && injected == 0);
    if (injected && e == 0) e = injected;
    ex_.record("xs.transaction_end", fmt::format("t{} {}", tx, commit ? "commit" : "abort"), errno_name(e));
    return e;
  }
  Errno watch(std::string_view path, std::string_view token) override {
    ex_.before_visible();
    Errno e = fault_here(ex_, FaultPoint::xenstore_watch, path);
    if (e == 0) e = store_.watch(id_, path, token);
    ex_.record("xs.watch", fmt::format("{} {}", path, shorten(token)), errno_name(e));
    return e;
  }
  Errno unwatch(std::string_view path, std::string_view token) override {
    ex_.before_visible();
    Errno e = store_.unwatch(id_, path, token);
    ex_.record("xs.unwatch", fmt::format("{} {}", path, shorten(token)), errno_name(e));
    return e;
  }
  Result<XsWatchEvent> read_watch(VirtualTime timeout) override {
    ex_.before_visible();
    Scheduler& s = ex_.sched();
    const VirtualTime deadline = timeout == kForever || s.now() + timeout < s.now() ? kForever : s.now() + timeout;
    while (!store_.has_event(id_)) {
      Errno e = 0;
      if (!store_.is_open(id_)) e = ECONNRESET;
      else if (!s.in_actor() || s.now() >= deadline) e = ETIMEDOUT;
      else if (!s.wait(events_, "xenstore watch event", deadline == kForever ? kForever : deadline - s.now()) &&
               !store_.has_event(id_))
        e = ETIMEDOUT;
      if (e) {
        ex_.record("xs.read_watch", "", errno_name(e));
        return Result<XsWatchEvent>::error(e);
      }
    }
    XsWatchEvent ev = *store_.pop_event(id_);
    ex_.record("xs.read_watch", "", fmt::format("{} {}", ev.path, shorten(ev.token)));
    return Result<XsWatchEvent>::success(std::move(ev));
  }
  Errno introduce_domain(DomId domid, std::uint64_t mfn, std::uint32_t port) override {
    ex_.before_visible();
    Errno e = store_.introduce_domain(id_, domid, mfn, port);
    ex_.record("xs.introduce", fmt::format("{} {} {}", domid, mfn, port), errno_name(e));
    return e;
  }
  Errno release_domain(DomId domid) override {
    ex_.before_visible();
    Errno e = store_.release_domain(id_, domid);
    ex_.record("xs.release", std::to_string(domid), errno_name(e));
    return e;
  }
  Result<std::string> get_domain_path(DomId domid) override {
    ex_.before_visible();
    auto r = store_.get_domain_path(id_, domid);
    ex_.record("xs.get_domain_path", std::to_string(domid), r.ok() ? r.value : errno_name(r.err));
    return r;
  }
  Result<bool> is_domain_introduced(DomId domid) override {
    ex_.before_visible();
    auto r = store_.is_domain_introduced(id_, domid);
    ex_.record("xs.is_domain_introduced", std::to_string(domid), r.ok() ? (r.value ? "T" : "F") : errno_name(r.err));
    return r;
  }

 private:
  Execution& ex_;
  std::shared_ptr<xs::Store> owner_;
  xs::Store& store_;
  xs::ConnId id_ = 0;
  WaitQueue events_;
};

}  // namespace

SimXenStore::SimXenStore(Execution& ex, xs::StoreOptions options)
    : ex_(ex), store_(std::make_shared<xs::Store>(options)) {}

std::unique_ptr<XsConnection> SimXenStore::connect(DomId domid) {
  return std::make_unique<SimXsConnection>(ex_, store_, domid);
}

}  // namespace xenrace
