#include "backends/sim/hypervisor/sim_hypervisor.hpp"

#include <string>

namespace xenrace {

Errno SimHypervisor::create_domain(DomId domid) {
  ex_.before_visible();
  Errno e = 0;
  // A domain the simulator only assumed to exist (scenarios name guests without creating them) may be
  // created explicitly; one created and not yet gone may not.
  if (store_.domain_created(domid)) e = EEXIST;
  else store_.hypervisor_domain_created(domid);
  ex_.record("hv.create", std::to_string(domid), errno_name(e));
  return e;
}

Errno SimHypervisor::transition(const char* op, DomId domid, xs::DomainState state) {
  ex_.before_visible();
  Errno e = 0;
  if (domid == store_.options().priv_domid) e = EPERM;
  else if (!store_.domain_exists(domid)) e = ENOENT;
  else store_.hypervisor_domain_state(domid, state);
  ex_.record(op, std::to_string(domid), errno_name(e));
  return e;
}

Errno SimHypervisor::shutdown_domain(DomId domid) { return transition("hv.shutdown", domid, xs::DomainState::shut_down); }
Errno SimHypervisor::destroy_domain(DomId domid) { return transition("hv.destroy", domid, xs::DomainState::dying); }
Errno SimHypervisor::reap_domain(DomId domid) { return transition("hv.reap", domid, xs::DomainState::gone); }

}  // namespace xenrace
