// How reports group trace events: what kind of operation an event is (its colour in the timeline, its
// category in the Chrome trace) and which object it touches (the key the racing pair is matched on).
// Both are read from the event's text only, so any scenario's events fit without registering anything.
#pragma once
#include <string>
#include <string_view>

#include "runtime/trace.hpp"

namespace xenrace::reports {

enum class EventKind {
  xenstore,  // "xs.*" except watch deliveries
  watch,     // a watch event delivered to a reader ("xs.read_watch", "*watch.fire*")
  fault,     // an injected failure ("fault.*")
  verdict,   // the harness recording the violated check
  device,    // everything else: loop, blkback, mdev, pci, udev, systemd, toy objects
};
const char* to_string(EventKind kind);

EventKind event_kind(const TraceEvent& event);

// The object an event touches: for XenStore operations the path (without a "t<N> " transaction prefix
// and the "=value" of a write), for watch deliveries the fired path, otherwise the first token of the
// arguments cut at '=', ':' or ','. Empty when the event names no object (transaction start) or is
// synchronisation (an operation whose last dotted part contains "lock").
std::string event_object(const TraceEvent& event);
// A process actor's XenStore arguments without their connection ("p1/c2 t1 /a=1" -> "t1 /a=1", "p1/c2" -> ""); others
// as given.
std::string_view without_process_connection(std::string_view args);

// Whether the operation only observes its object (read, get, directory, stat...): a pair of two such
// events is not a race on the object, so the racing pair prefers pairs where one event changes it.
bool is_read_only(const TraceEvent& event);

}  // namespace xenrace::reports
