#include "backends/sim/hypervisor/sim_hypervisor.hpp"

#include <string>

#include "world/visible_op.hpp"

namespace xenrace {

Errno SimHypervisor::create_domain(DomId domid) {
  return visible_op(ex_, "hv.create", std::to_string(domid), [&]() -> Errno {
    // A domain the simulator only assumed to exist (scenarios name guests without creating them) may be
    // created explicitly; one created and not yet gone may not.
    if (store_.domain_created(domid)) return EEXIST;
    store_.hypervisor_domain_created(domid);
    return 0;
  });
}

Errno SimHypervisor::transition(const char* op, DomId domid, xs::DomainState state) {
  return visible_op(ex_, op, std::to_string(domid), [&]() -> Errno {
    if (domid == store_.options().priv_domid) return EPERM;
    if (!store_.domain_exists(domid)) return ENOENT;
    store_.hypervisor_domain_state(domid, state);
    return 0;
  });
}
Errno SimHypervisor::shutdown_domain(DomId domid) { return transition("hv.shutdown", domid, xs::DomainState::shut_down); }
Errno SimHypervisor::destroy_domain(DomId domid) { return transition("hv.destroy", domid, xs::DomainState::dying); }
Errno SimHypervisor::reap_domain(DomId domid) { return transition("hv.reap", domid, xs::DomainState::gone); }

DomainState SimHypervisor::domain_state(DomId domid) {
  return visible_op(ex_, "hv.getinfo", std::to_string(domid), [&] { return store_.hypervisor_state(domid); },
                    [](DomainState s) { return to_string(s); });
}

}  // namespace xenrace
