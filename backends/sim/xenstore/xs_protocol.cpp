#include "backends/sim/xenstore/xs_protocol.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace xenrace::xs {

namespace {
std::string joined(const std::vector<std::string>& names) {  // "a\0b\0"
  std::string out;
  for (const auto& n : names) {
    out += n;
    out.push_back('\0');
  }
  return out;
}
std::string with_nul(std::string_view s) {
  std::string out(s);
  out.push_back('\0');
  return out;
}
}  // namespace

// wire_funcs: indexed by message type.
const ProtocolConnection::Operation ProtocolConnection::kOperations[wire::type_count] = {
    /* CONTROL */ {&ProtocolConnection::op_control, true, false},
    /* DIRECTORY */ {&ProtocolConnection::op_directory, false, false},
    /* READ */ {&ProtocolConnection::op_read, false, false},
    /* GET_PERMS */ {&ProtocolConnection::op_get_perms, false, false},
    /* WATCH */ {&ProtocolConnection::op_watch, false, true},
    /* UNWATCH */ {&ProtocolConnection::op_unwatch, false, true},
    /* TRANSACTION_START */ {&ProtocolConnection::op_transaction_start, false, false},
    /* TRANSACTION_END */ {&ProtocolConnection::op_transaction_end, false, false},
    /* INTRODUCE */ {&ProtocolConnection::op_introduce, true, false},
    /* RELEASE */ {&ProtocolConnection::op_release, true, false},
    /* GET_DOMAIN_PATH */ {&ProtocolConnection::op_get_domain_path, false, false},
    /* WRITE */ {&ProtocolConnection::op_write, false, false},
    /* MKDIR */ {&ProtocolConnection::op_mkdir, false, false},
    /* RM */ {&ProtocolConnection::op_rm, false, false},
    /* SET_PERMS */ {&ProtocolConnection::op_set_perms, false, false},
    /* WATCH_EVENT */ {nullptr, false, false},
    /* ERROR */ {nullptr, false, false},
    /* IS_DOMAIN_INTRODUCED */ {&ProtocolConnection::op_is_domain_introduced, true, false},
    /* RESUME */ {&ProtocolConnection::op_resume, true, false},
    /* SET_TARGET */ {&ProtocolConnection::op_set_target, true, false},
    /* (RESTRICT, removed) */ {nullptr, false, false},
    /* RESET_WATCHES */ {&ProtocolConnection::op_reset_watches, false, false},
    /* DIRECTORY_PART */ {&ProtocolConnection::op_directory_part, false, false},
    // GET_FEATURE, SET_FEATURE, GET_QUOTA, SET_QUOTA came after 4.17: ENOSYS, as its wire_funcs.
    /* GET_FEATURE */ {nullptr, false, false},
    /* SET_FEATURE */ {nullptr, false, false},
    /* GET_QUOTA */ {nullptr, false, false},
    /* SET_QUOTA */ {nullptr, false, false},
};

ProtocolConnection::ProtocolConnection(Store& store) : ProtocolConnection(store, store.options().store_domid) {}

ProtocolConnection::ProtocolConnection(Store& store, DomId domid) : store_(store), id_(store.open_connection(domid)) {
  store_.set_event_sink(id_, [this](std::string_view path, std::string_view token) {
    if (defer_events_) deferred_.push_back(XsWatchEvent{std::string(path), std::string(token)});
    else queue_event(path, token);
    if (!handling_ && output_listener_) output_listener_();
  });
}

ProtocolConnection::~ProtocolConnection() { store_.close_connection(id_); }

bool ProtocolConnection::receive(std::string_view bytes) {
  parsed_.clear();
  const bool ok = reader_.feed(bytes, parsed_);
  for (auto& m : parsed_) requests_.push_back(std::move(m));
  return ok;
}

void ProtocolConnection::handle_next(std::string* answer) {
  handling_ = true;
  const Message m = std::move(requests_.front());
  requests_.pop_front();
  const std::uint32_t type = m.header.type;
  Reply r;
  if (type >= wire::type_count || !kOperations[type].handler) {
    r.err = ENOSYS;
  } else if (kOperations[type].privileged_only && !store_.privileged(id_)) {
    r.err = EACCES;
  } else {
    const Operation& op = kOperations[type];
    const TxId tx = op.ignores_tx ? kNoTx : m.header.tx_id;
    if (tx != kNoTx && !store_.has_transaction(id_, tx)) r.err = ENOENT;  // transaction_lookup
    else r = (this->*op.handler)(m, tx);
  }
  if (!r.err && r.payload.size() > wire::kPayloadMax) r = Reply{E2BIG, {}};
  if (answer != nullptr) {
    if (r.err) {
      *answer = errno_name(r.err);
    } else {
      *answer = r.payload;
      while (!answer->empty() && answer->back() == '\0') answer->pop_back();
      std::replace(answer->begin(), answer->end(), '\0', ' ');
    }
  }
  queue_reply(m, r);
  handling_ = false;
}

void ProtocolConnection::refuse_next(Errno err, std::string* answer) {
  const Message m = std::move(requests_.front());
  requests_.pop_front();
  const TxId tx = m.header.tx_id;
  if (m.header.type == wire::transaction_end && tx != kNoTx && store_.has_transaction(id_, tx))
    store_.transaction_end(id_, tx, false);
  if (answer != nullptr) *answer = errno_name(err);
  queue_reply(m, Reply{err, {}});
}

void ProtocolConnection::queue_reply(const Message& m, const Reply& r) {
  Outgoing o;
  if (r.err) wire::append_message(o.bytes, wire::error, m.header.req_id, m.header.tx_id, with_nul(errno_name(r.err)));
  else wire::append_message(o.bytes, m.header.type, m.header.req_id, m.header.tx_id, r.payload);
  out_.push_back(std::move(o));
  if (defer_events_) {  // WATCH: "OK" first, then the registration event
    defer_events_ = false;
    for (const auto& e : deferred_) queue_event(e.path, e.token);
    deferred_.clear();
  }
}

void ProtocolConnection::queue_event(std::string_view path, std::string_view token) {
  Outgoing o;
  const wire::Header h{wire::watch_event, 0, 0, static_cast<std::uint32_t>(path.size() + token.size() + 2)};
  o.bytes.reserve(sizeof h + h.len);
  o.bytes.append(reinterpret_cast<const char*>(&h), sizeof h);
  o.bytes.append(path).push_back('\0');
  o.bytes.append(token).push_back('\0');
  o.event = true;
  // send_event: an identical event still on the out list is dropped ("@" events never are); and an
  // unprivileged domain's queue is bounded by its memory quota (StoreOptions for dom0's).
  o.mergeable = path.empty() || path[0] != '@';
  if (o.mergeable && queued_events_.count(o.bytes)) return;
  const std::size_t budget = store_.event_budget(id_);
  if (budget != 0 && event_bytes_ + o.bytes.size() >= budget) return;
  event_bytes_ += o.bytes.size();
  out_.push_back(std::move(o));
  if (out_.back().mergeable) queued_events_.insert(out_.back().bytes);  // the deque never moves it
}

std::string_view ProtocolConnection::output() const {
  const Outgoing& o = out_.front();
  return std::string_view(o.bytes).substr(o.sent);
}

void ProtocolConnection::sent(std::size_t n) {
  while (n > 0 && !out_.empty()) {
    Outgoing& o = out_.front();
    const std::size_t take = std::min(n, o.bytes.size() - o.sent);
    o.sent += take;
    n -= take;
    if (o.sent < o.bytes.size()) break;
    if (o.event) {
      if (o.mergeable) queued_events_.erase(o.bytes);
      event_bytes_ -= o.bytes.size();
    }
    out_.pop_front();  // the deque frees each drained block as it goes
  }
}

std::optional<std::string> ProtocolConnection::next_event() const {
  if (out_.empty() || !out_.front().event) return std::nullopt;
  const std::vector<std::string_view> parts = strings(std::string_view(out_.front().bytes).substr(sizeof(wire::Header)));
  if (parts.size() < 2) return std::nullopt;
  return std::string(parts[0]) + " " + std::string(parts[1]);
}

std::string ProtocolConnection::take_output() {
  std::string all;
  while (has_output()) {
    all += output();
    sent(output().size());
  }
  return all;
}

// --- operations (core.c do_* and send_directory*) ---

ProtocolConnection::Reply ProtocolConnection::op_control(const Message& m, TxId) {
  const auto args = strings(m.payload);
  if (args.empty()) return {EINVAL, {}};
  if (args[0] == "print" || args[0] == "check" || args[0] == "log") return {0, with_nul("OK")};
  if (args[0] == "help") return {0, with_nul("check\nlog [on|off|+<switch>|-<switch>]\nprint <string>\n")};
  return {EINVAL, {}};
}

ProtocolConnection::Reply ProtocolConnection::op_directory(const Message& m, TxId tx) {
  auto path = one_arg(m.payload);
  if (!path) return {EINVAL, {}};
  auto r = store_.directory(id_, tx, *path);
  if (!r.ok()) return {r.err, {}};
  return {0, joined(r.value)};
}

ProtocolConnection::Reply ProtocolConnection::op_read(const Message& m, TxId tx) {
  auto path = one_arg(m.payload);
  if (!path) return {EINVAL, {}};
  auto r = store_.read(id_, tx, *path);
  if (!r.ok()) return {r.err, {}};
  return {0, std::move(r.value)};
}

ProtocolConnection::Reply ProtocolConnection::op_get_perms(const Message& m, TxId tx) {
  auto path = one_arg(m.payload);
  if (!path) return {EINVAL, {}};
  auto r = store_.get_perms(id_, tx, *path);
  if (!r.ok()) return {r.err, {}};
  std::string out;
  // xs_perm_to_string: "%i" of the domid, so a domid past INT_MAX reads negative ("n-1").
  for (const auto& p : r.value)
    out += with_nul(std::string(1, static_cast<char>(p.access)) + std::to_string(static_cast<std::int32_t>(p.domid)));
  return {0, out};
}

// get_strings(in, vec, 2) != 2: two strings at least; any further ones are not looked at.
ProtocolConnection::Reply ProtocolConnection::op_watch(const Message& m, TxId) {
  const auto args = strings(m.payload);
  if (args.size() < 2) return {EINVAL, {}};
  defer_events_ = true;  // the registration event follows the reply
  const Errno e = store_.watch(id_, args[0], args[1]);
  if (e) defer_events_ = false;
  return {e, with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_unwatch(const Message& m, TxId) {
  const auto args = strings(m.payload);
  if (args.size() < 2) return {EINVAL, {}};
  return {store_.unwatch(id_, args[0], args[1]), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_transaction_start(const Message&, TxId tx) {
  if (tx != kNoTx) return {EBUSY, {}};
  auto r = store_.transaction_start(id_);
  if (!r.ok()) return {r.err, {}};
  return {0, with_nul(std::to_string(r.value))};
}

ProtocolConnection::Reply ProtocolConnection::op_transaction_end(const Message& m, TxId tx) {
  auto arg = one_arg(m.payload);
  if (!arg || (*arg != "T" && *arg != "F")) return {EINVAL, {}};
  if (tx == kNoTx) return {ENOENT, {}};
  return {store_.transaction_end(id_, tx, *arg == "T"), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_introduce(const Message& m, TxId) {
  const auto args = strings(m.payload);
  if (args.size() < 3) return {EINVAL, {}};
  const auto domid = static_cast<DomId>(parse_number(args[0]));
  const auto port = static_cast<std::uint32_t>(parse_number(args[2]));
  return {store_.introduce_domain(id_, domid, parse_number(args[1]), port), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_release(const Message& m, TxId) {
  auto arg = one_arg(m.payload);
  if (!arg) return {EINVAL, {}};
  return {store_.release_domain(id_, static_cast<DomId>(parse_number(*arg))), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_get_domain_path(const Message& m, TxId) {
  auto arg = one_arg(m.payload);
  if (!arg) return {EINVAL, {}};
  auto r = store_.get_domain_path(id_, static_cast<DomId>(parse_number(*arg)));
  if (!r.ok()) return {r.err, {}};
  return {0, with_nul(r.value)};
}

ProtocolConnection::Reply ProtocolConnection::op_write(const Message& m, TxId tx) {
  const std::size_t nul = m.payload.find('\0');
  if (nul == std::string::npos) return {EINVAL, {}};
  const std::string_view all(m.payload);
  return {store_.write(id_, tx, all.substr(0, nul), all.substr(nul + 1)), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_mkdir(const Message& m, TxId tx) {
  auto path = one_arg(m.payload);
  if (!path) return {EINVAL, {}};
  return {store_.mkdir(id_, tx, *path), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_rm(const Message& m, TxId tx) {
  auto path = one_arg(m.payload);
  if (!path) return {EINVAL, {}};
  return {store_.rm(id_, tx, *path), with_nul("OK")};
}

// do_set_perms: the count (xs_count_strings), the quota, then each entry as xs_strings_to_perms reads it:
// a letter, then strtol(base 0) to the end of the string, stored in an unsigned int ("-1": 4294967295).
ProtocolConnection::Reply ProtocolConnection::op_set_perms(const Message& m, TxId tx) {
  const auto args = strings(m.payload);
  if (args.size() < 2) return {EINVAL, {}};
  if (!store_.privileged(id_) && args.size() - 1 > store_.options().quotas.perms_per_node) return {ENOSPC, {}};
  XsPerms perms;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];  // NUL-terminated in the payload
    XsPerm p;
    switch (a.empty() ? '\0' : a[0]) {
      case 'r': p.access = XsPerm::Access::read; break;
      case 'w': p.access = XsPerm::Access::write; break;
      case 'b': p.access = XsPerm::Access::both; break;
      case 'n': p.access = XsPerm::Access::none; break;
      default: return {EINVAL, {}};
    }
    if (a.size() < 2) return {EINVAL, {}};
    char* end = nullptr;
    const long id = std::strtol(a.data() + 1, &end, 0);
    if (end != a.data() + a.size()) return {EINVAL, {}};
    p.domid = static_cast<DomId>(id);
    perms.push_back(p);
  }
  return {store_.set_perms(id_, tx, args[0], perms), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_is_domain_introduced(const Message& m, TxId) {
  auto arg = one_arg(m.payload);
  if (!arg) return {EINVAL, {}};
  auto r = store_.is_domain_introduced(id_, static_cast<DomId>(parse_number(*arg)));
  if (!r.ok()) return {r.err, {}};
  return {0, with_nul(r.value ? "T" : "F")};
}

ProtocolConnection::Reply ProtocolConnection::op_resume(const Message& m, TxId) {
  auto arg = one_arg(m.payload);
  if (!arg) return {EINVAL, {}};
  return {store_.resume_domain(id_, static_cast<DomId>(parse_number(*arg))), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_set_target(const Message& m, TxId) {
  // Accepted and checked, but device-model targets are not modelled in permission checks.
  const auto args = strings(m.payload);
  if (args.size() != 2) return {EINVAL, {}};
  auto r = store_.is_domain_introduced(id_, static_cast<DomId>(parse_number(args[0])));
  if (!r.ok()) return {r.err, {}};
  return {r.value ? 0 : ENOENT, with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_reset_watches(const Message&, TxId) {
  return {store_.reset_watches(id_), with_nul("OK")};
}

ProtocolConnection::Reply ProtocolConnection::op_directory_part(const Message& m, TxId tx) {
  const auto args = strings(m.payload);
  if (args.size() != 2) return {EINVAL, {}};
  auto children = store_.directory(id_, tx, args[0]);
  if (!children.ok()) return {children.err, {}};
  const std::uint64_t gen = store_.directory_generation(id_, tx, args[0]).value;
  const std::string all = joined(children.value);
  const auto off = static_cast<unsigned>(parse_number(args[1]));  // atoi into an unsigned int
  std::string out = with_nul(std::to_string(gen));
  if (off >= all.size()) {  // past the end: just the generation and an empty string
    out.push_back('\0');
    return {0, out};
  }
  const std::size_t max = wire::kPayloadMax - out.size() - 1;
  std::size_t len = 0;
  while (off + len < all.size()) {
    const std::size_t name = std::strlen(all.c_str() + off + len);
    if (len + name >= max) break;
    len += name + 1;
  }
  out.append(all, off, len);
  if (off + len == all.size()) out.push_back('\0');
  return {0, out};
}

}  // namespace xenrace::xs
