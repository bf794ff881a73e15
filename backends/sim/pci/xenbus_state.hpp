// XenbusState (xen/include/public/io/xenbus.h): the value of every xenbus device's `state` node, and of
// pciback's per-device `state-N` nodes.
#pragma once

namespace xenrace {

enum class XenbusState : int {
  unknown = 0,
  initialising = 1,
  init_wait = 2,
  initialised = 3,
  connected = 4,
  closing = 5,
  closed = 6,
  reconfiguring = 7,
  reconfigured = 8,
};

inline const char* to_string(XenbusState s) {
  switch (s) {
    case XenbusState::unknown: return "Unknown";
    case XenbusState::initialising: return "Initialising";
    case XenbusState::init_wait: return "InitWait";
    case XenbusState::initialised: return "Initialised";
    case XenbusState::connected: return "Connected";
    case XenbusState::closing: return "Closing";
    case XenbusState::closed: return "Closed";
    case XenbusState::reconfiguring: return "Reconfiguring";
    case XenbusState::reconfigured: return "Reconfigured";
  }
  return "Invalid";
}

}  // namespace xenrace
