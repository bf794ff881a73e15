#include "world/hypervisor.hpp"

namespace xenrace {

const char* to_string(DomainState s) {
  switch (s) {
    case DomainState::running: return "running";
    case DomainState::shut_down: return "shut down";
    case DomainState::dying: return "dying";
    case DomainState::gone: return "gone";
  }
  return "?";
}

}  // namespace xenrace
