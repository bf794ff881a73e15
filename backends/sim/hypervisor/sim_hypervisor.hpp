// The simulated hypervisor: world/hypervisor.hpp over the simulated xenstored's view of domains
// (xs::Store::hypervisor_domain_*), so every lifecycle change reaches xenstored at once, as
// VIRQ_DOM_EXC makes it call check_domains(). Every call is a visible operation "hv.<op>".
#pragma once
#include <string>
#include <vector>

#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/execution.hpp"
#include "world/hypervisor.hpp"

namespace xenrace {

class SimHypervisor final : public Hypervisor {
 public:
  SimHypervisor(Execution& ex, xs::Store& store) : ex_(ex), store_(store) {}
  Errno create_domain(DomId domid) override;
  Errno shutdown_domain(DomId domid) override;
  Errno destroy_domain(DomId domid) override;
  Errno reap_domain(DomId domid) override;
  DomainState domain_state(DomId domid) override;

 private:
  // Moves an existing domain to `state`; ENOENT when it is gone (or never was).
  Errno transition(const char* op, DomId domid, xs::DomainState state);

  Execution& ex_;
  xs::Store& store_;
};

// The environment of a real libxl on the fake libxenctrl (fake_xenctrl/): LD_LIBRARY_PATH to the directory it
// was built in. Its calls reach a process actor's ProcessOptions::hypervisor (process_hypervisor.hpp). Throws
// ComponentUnavailable when it was not built (no libxen-dev at configure time).
std::vector<std::string> fake_xenctrl_environment();

}  // namespace xenrace
