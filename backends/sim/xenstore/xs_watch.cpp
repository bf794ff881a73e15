#include "backends/sim/xenstore/xs_watch.hpp"

#include <algorithm>

#include "backends/sim/xenstore/xs_path.hpp"
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {

namespace {
constexpr std::size_t kPayloadMax = 4096;  // XENSTORE_PAYLOAD_MAX: longer events are dropped (send_event)
}  // namespace

// --- EventQueue ---

std::size_t EventQueue::KeyHash::operator()(const Key& k) const {
  const std::size_t a = std::hash<std::string_view>{}(k.path);
  const std::size_t b = std::hash<std::string_view>{}(k.token);
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}

EventQueue::Push EventQueue::push(std::string_view path, std::string_view token, bool may_merge, std::size_t budget) {
  if (may_merge && mergeable_.find(Key{path, token}) != mergeable_.end()) return Push::duplicate;
  const std::size_t size = event_wire_bytes(path, token);
  if (budget != 0 && bytes_ + size >= budget) return Push::over_budget;
  events_.push_back(XsWatchEvent{std::string(path), std::string(token)});
  bytes_ += size;
  if (may_merge) mergeable_.insert(&events_.back());
  return Push::queued;
}

std::optional<XsWatchEvent> EventQueue::pop() {
  if (events_.empty()) return std::nullopt;
  mergeable_.erase(&events_.front());  // by value: erases only this very event, if it was indexed
  XsWatchEvent e = std::move(events_.front());
  bytes_ -= event_wire_bytes(e.path, e.token);
  events_.pop_front();
  return e;
}

void EventQueue::clear() {
  mergeable_.clear();
  std::deque<XsWatchEvent>().swap(events_);  // give the memory back, not just the elements
  bytes_ = 0;
}

// --- the requests (do_watch, do_unwatch, do_reset_watches) ---

Errno Store::watch(ConnId c, std::string_view path, std::string_view token) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (Errno e = watch_path(path, cn->implicit, options_.quotas.path_max, scratch_)) return e;
  for (const auto& w : cn->watches)
    if (w.path == scratch_ && w.token == token) return EEXIST;
  // domain_watch(conn) > quota_nb_watch_per_domain: E2BIG, and one more watch than the quota fits.
  if (!cn->privileged && cn->watches.size() > options_.quotas.watches) return E2BIG;
  Watch w;
  w.path = scratch_;
  w.token = std::string(token);
  if (!path.empty() && path[0] != '/' && path[0] != '@') w.relative_prefix = cn->implicit.size() + 1;
  if (tree_.observer) tree_.observer->watches_written(w.path);
  cn->watches.push_back(std::move(w));
  // "We fire once up front: simplifies clients and restart."
  const Watch& added = cn->watches.back();
  queue_event(*cn, added, added.path);
  return 0;
}

Errno Store::unwatch(ConnId c, std::string_view path, std::string_view token) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  plain_canonical(path, cn->implicit, scratch_);  // do_unwatch canonicalizes but checks nothing
  auto it = std::find_if(cn->watches.begin(), cn->watches.end(),
                         [&](const Watch& w) { return w.path == scratch_ && w.token == token; });
  if (it == cn->watches.end()) {
    if (tree_.observer) tree_.observer->watches_read(scratch_, true);
    return ENOENT;
  }
  if (tree_.observer) tree_.observer->watches_written(it->path);
  cn->watches.erase(it);
  return 0;
}

Errno Store::reset_watches(ConnId c) {
  Conn* cn = conn(c);
  if (!cn) return ECONNRESET;
  if (tree_.observer)
    for (const Watch& w : cn->watches) tree_.observer->watches_written(w.path);
  cn->watches.clear();
  cn->transactions.clear();
  return 0;
}

bool Store::has_event(ConnId c) const {
  if (tree_.observer) tree_.observer->events_looked(c);
  const Conn* cn = conn(c);
  return cn && !cn->pending.empty();
}

std::size_t Store::pending_events(ConnId c) const {
  const Conn* cn = conn(c);
  return cn ? cn->pending.size() : 0;
}

std::size_t Store::pending_event_bytes(ConnId c) const {
  const Conn* cn = conn(c);
  return cn ? cn->pending.bytes() : 0;
}

std::size_t Store::event_budget(ConnId c) const {
  const Conn* cn = conn(c);
  return cn ? event_budget(*cn) : 0;
}

std::size_t Store::event_budget(const Conn& cn) const {
  return cn.privileged ? options_.privileged_event_bytes : options_.quotas.memory_hard;
}

std::optional<XsWatchEvent> Store::pop_event(ConnId c) {
  Conn* cn = conn(c);
  if (tree_.observer) {
    const XsWatchEvent* head = cn ? cn->pending.front() : nullptr;
    if (head) tree_.observer->event_popped(c, head->path, head->token);
    else tree_.observer->events_looked(c);
  }
  if (!cn) return std::nullopt;
  return cn->pending.pop();
}

// --- firing ---

void Store::fire_watches(View& v, std::string_view path, bool exact, const Node* node, const XsPerms* old) {
  if (v.transaction()) {  // queue_watches: fired at commit, in first-access order
    v.queue_event(path, exact);
    return;
  }
  fire_now(path, exact, node, old);
}

void Store::fire_now(std::string_view path, bool exact, const Node* node, const XsPerms* old) {
  if (tree_.observer) {
    tree_.observer->watches_read(path, exact);
    tree_.observer->node_read(parent_of(path));  // watch_permitted may look at the parent
  }
  bool generations_seen = false;  // declared once, for the first unprivileged watcher
  for (auto& owner : conns_) {
    Conn* cn = owner.get();
    if (!cn || cn->watches.empty()) continue;
    if (!cn->privileged && tree_.observer && !generations_seen) {  // perm_for may compare a domain with them
      tree_.observer->children_read(path, false);
      tree_.observer->children_read(parent_of(path), false);
      generations_seen = true;
    }
    if (!watch_permitted(*cn, path, node, old)) continue;
    for (const Watch& w : cn->watches) {
      const bool match = exact ? path == w.path : is_child(path, w.path);
      if (match) queue_event(*cn, w, path);
    }
  }
}

void Store::fire_special(std::string_view name) {
  if (tree_.observer) tree_.observer->watches_read(name, true);
  const XsPerms* perms = special_perms(name);
  for (auto& owner : conns_) {
    Conn* cn = owner.get();
    if (!cn || cn->watches.empty()) continue;
    if (!perms || !(perm_for(*cn, *perms, 0, kNoGeneration) & kPermRead)) continue;  // check_perms_special
    for (const Watch& w : cn->watches)
      if (w.path == name) queue_event(*cn, w, name);
  }
}

// watch_permitted(): the permissions the node had (SET_PERMS, a commit), else the node as it is now,
// else its parent. A node that is gone, with no permissions recorded, is seen by nobody, not even dom0.
bool Store::watch_permitted(const Conn& cn, std::string_view path, const Node* node, const XsPerms* old) const {
  if (old && (perm_for(cn, *old, 0, kNoGeneration) & kPermRead)) return true;
  if (!node) return false;
  if (perm_for(cn, *node) & kPermRead) return true;
  const Node* parent = tree_.find(parent_of(path));
  return parent && (perm_for(cn, *parent) & kPermRead);
}

void Store::queue_event(Conn& cn, const Watch& w, std::string_view path) {
  std::string_view shown = path;
  if (w.relative_prefix) {  // get_watch_path: strip "/local/domain/<id>/"
    shown = path.substr(std::min(w.relative_prefix - 1, path.size()));
    if (!shown.empty() && shown[0] == '/') shown.remove_prefix(1);
  }
  if (shown.size() + w.token.size() + 2 > kPayloadMax) return;  // send_event drops what cannot be sent
  if (cn.sink) {
    cn.sink(shown, w.token);
    return;
  }
  const bool may_merge = options_.coalesce_events && !is_special(shown);
  const std::size_t budget = event_budget(cn);
  const EventQueue::Push pushed = cn.pending.push(shown, w.token, may_merge, budget);
  if (tree_.observer) {
    const bool near_budget = budget != 0 && cn.pending.bytes() + event_wire_bytes(shown, w.token) >= budget / 2;
    tree_.observer->event_queued(cn.id, shown, w.token, pushed == EventQueue::Push::duplicate,
                                 near_budget || pushed == EventQueue::Push::over_budget);
  }
  if (pushed != EventQueue::Push::queued) return;
  if (cn.listener) cn.listener();
}

}  // namespace xenrace::xs
