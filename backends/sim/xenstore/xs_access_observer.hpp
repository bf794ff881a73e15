// What a request touched in the store, reported as it happens, so partial-order reduction can tell which
// requests commute (runtime/footprint.hpp). The store has no scheduler: the simulator's adapter
// (sim_xenstore.cpp) turns these into the step's footprint; the socket server installs none.
//
// The model of dependence this gives, request by request:
//   - a node is two objects: its value, permissions and existence, and its record's children and generation.
//     Every request that looks at a node reads the first; a listing, a transaction's first access and a
//     commit's validation read the second too, and so does a permission check for an unprivileged
//     connection (a domain counts only if it is older than the node's generation). Creating, removing and
//     committing a node write both; a write or set_perms of an existing node writes the first (every reader
//     of the generation reads it too);
//   - adding a child to a node is an *update* of its children (runtime/footprint.hpp): two creations of
//     different children of one directory commute, though the listing then shows them in the other order.
//     Only what sees that order sees the difference: a listing and a transaction's copy of the node read the
//     children in order, and so does a removal, whose walk fires the children's watches in that order. Those
//     make dpor run both orders; a creation also reads the parent's permissions, which it copies. Removing
//     a child writes the parent's children;
//   - inside a transaction, accesses after the first to a node touch only the transaction's own copy:
//     nothing another connection can see before the commit, so they touch nothing shared. The commit
//     reads every node the transaction first read (validation) and writes every node it changed;
//   - a change at a path looks at the watches that could fire for it: those on the path and on each of
//     its ancestors ("/" included), or only those on the path itself for an exact firing (a removed
//     descendant); adding or removing a watch on a path changes that path's watches. A watch's path is
//     canonical, so no other watch can match;
//   - a connection's event queue is a FIFO: queueing appends at its tail, popping takes its head, and
//     the two commute unless both concern the same event (a duplicate is merged into a queued event only
//     while that event is still queued). Whether the queue is empty is seen only by its owner's answer
//     "no event" (events_looked), which every queueing changes: one onto a queue that still holds events
//     too, since the owner's pops, which change nothing the queueing touches, may empty it before the
//     queueing runs (a queueing held in a sleep set keeps the footprint it had when it was put there). A pop
//     that empties the queue changes it too, but only the owner looks, after its own pop. Finding the queue empty and
//     waiting is no access at all: the wait ends when an event is queued, and the owner then pops that
//     event, which depends on its queueing; whether the owner started to wait before or after the
//     queueing shows in nothing it does. A queue near its byte budget is dependent with everything, since
//     whether an event fits then depends on what was popped;
//   - creating or removing a node an unprivileged domain owns touches that domain's node count, which
//     its quota checks read.
//   - the value alone, for a read that acts only on which of some values a node holds (a wait's poll):
//     every change of value, creation and removal outside a transaction, and every node a commit writes,
//     also writes "the node holds v" for the value before and the value after, and "the node is missing"
//     when it appears or goes (value_replaced). Such a read reads those facts for the values it names, and
//     "missing", and nothing else of the node: a write between two values it does not name commutes
//     with it. Only privileged connections read so (a permission check would look at more).
// The tree's global generation counter is left out: it is only ever compared for equality with a
// node's recorded generation, so which of two unrelated writes took the higher number is unobservable.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "world/xenstore.hpp"

namespace xenrace::xs {

class AccessObserver {
 public:
  virtual ~AccessObserver() = default;
  virtual void node_read(std::string_view path) = 0;          // its value, permissions, existence
  virtual void node_written(std::string_view path) = 0;       // created, removed, or committed: all of it
  virtual void value_written(std::string_view path) = 0;      // its value or permissions, in place
  // The value outside any transaction went from `before` to `after` (nullopt: no node), reported next to
  // node_written and value_written, for reads that look only at which value a node holds (read_one_of).
  virtual void value_replaced(std::string_view path, std::optional<std::string_view> before,
                              std::optional<std::string_view> after) = 0;
  // Its children and generation; `ordered`: and the order of the children (a listing, a copy of the node).
  virtual void children_read(std::string_view path, bool ordered) = 0;
  virtual void child_added(std::string_view path) = 0;        // a child of `path` was created
  virtual void child_removed(std::string_view path) = 0;      // a child of `path` was removed
  // The watches a change at `path` may fire: on `path` (exact) or on `path` and every ancestor.
  virtual void watches_read(std::string_view path, bool exact) = 0;
  // A watch on `path` was added or removed.
  virtual void watches_written(std::string_view path) = 0;
  // An event for `conn`: appended (`duplicate` false) or merged into the same queued event.
  virtual void event_queued(std::uint32_t conn, std::string_view path, std::string_view token,
                            bool duplicate, bool near_budget) = 0;
  virtual void event_popped(std::uint32_t conn, std::string_view path, std::string_view token) = 0;
  virtual void events_looked(std::uint32_t conn) = 0;   // is there an event? (or a pop of nothing)
  virtual void events_dropped(std::uint32_t conn) = 0;  // the connection closed: its queue is gone
  virtual void quota_touched(DomId owner) = 0;
};

}  // namespace xenrace::xs
