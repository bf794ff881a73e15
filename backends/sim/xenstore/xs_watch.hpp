// Watches and a connection's pending events, as C xenstored 4.17 keeps them (xenstored_watch.c do_watch,
// fire_watches, watch_permitted; core.c send_event).
//
//   - An event identical (path and token) to one still unsent on the connection is dropped; "@" events
//     never are. Found in O(1): the queue indexes its unsent events by (path, token).
//   - The queue is bounded as xenstored bounds it: an unprivileged domain's events count against its
//     memory quota (2.5 MB hard, domain_memory_add_chk), and an event that would pass it is dropped.
//     C xenstored puts no bound on dom0's connections; the model adds one (StoreOptions), so a client
//     that never reads cannot exhaust memory (the lesson of XSA-349). Popping or closing frees it all.
#pragma once
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "world/xenstore.hpp"

namespace xenrace::xs {

struct Watch {
  std::string path;  // canonical
  std::string token;
  std::size_t relative_prefix = 0;  // characters to strip from event paths (a relative watch)
};

// The bytes an event takes on the wire: header, path, token and their NULs.
inline std::size_t event_wire_bytes(std::string_view path, std::string_view token) {
  return 16 + path.size() + 1 + token.size() + 1;
}

class EventQueue {
 public:
  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  enum class Push { queued, duplicate, over_budget };
  // `budget`: most bytes the queue may hold (0: no bound).
  Push push(std::string_view path, std::string_view token, bool may_merge, std::size_t budget);
  std::optional<XsWatchEvent> pop();
  bool empty() const { return events_.empty(); }
  const XsWatchEvent* front() const { return events_.empty() ? nullptr : &events_.front(); }
  std::size_t size() const { return events_.size(); }
  std::size_t bytes() const { return bytes_; }
  void clear();
  // Each queued event in order, and whether a later event may still merge into it (the state cache).
  template <class F>
  void for_each(F f) const {
    for (const XsWatchEvent& e : events_) f(e, mergeable_.count(&e) != 0);
  }

 private:
  struct Key {
    std::string_view path, token;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(const Key& k) const;
    std::size_t operator()(const XsWatchEvent* e) const { return (*this)(Key{e->path, e->token}); }
  };
  struct KeyEqual {
    using is_transparent = void;
    static Key key(const Key& k) { return k; }
    static Key key(const XsWatchEvent* e) { return Key{e->path, e->token}; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      const Key x = key(a), y = key(b);
      return x.path == y.path && x.token == y.token;
    }
  };

  std::deque<XsWatchEvent> events_;  // elements never move while queued: the index points at them
  std::unordered_set<const XsWatchEvent*, KeyHash, KeyEqual> mergeable_;  // queued, non-"@" events
  std::size_t bytes_ = 0;
};

}  // namespace xenrace::xs
