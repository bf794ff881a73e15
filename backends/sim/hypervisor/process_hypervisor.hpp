// The simulated hypervisor for process actors' programs (runtime/process/hypervisor_service.hpp): real libxl's
// xc_* calls, made through the fake libxenctrl, answered from the World's domains, so a domain a scenario
// created, shut down or destroyed is what libxl's next call sees. Each call is a step of the calling actor,
// traced "hv.<op>".
//
// Which domain owns each PCI device is the simulated hypervisor's (SimHypervisor, whose rules are Xen 4.17's
// device_assigned, assign_device and deassign_device), so a device a scenario assigned at boot is the guest's
// here too. A domain that does not exist gets ESRCH from every call that names one. I/O port, memory and
// interrupt permissions are granted to an existing domain, not recorded.
#pragma once
#include <memory>
#include <string_view>

#include "backends/sim/hypervisor/sim_hypervisor.hpp"
#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/process/hypervisor_service.hpp"

namespace xenrace {

class ProcessHypervisor final : public process::HypervisorService {
 public:
  ProcessHypervisor(xs::Store& store, SimHypervisor& hypervisor) : store_(store), hv_(hypervisor) {}
  std::unique_ptr<process::ServedConnection> connect() override;

  // One call as the wire protocol names it: its trace event and the reply line (without the newline).
  struct Answer {
    process::ServedRequest event;
    std::string reply;
  };
  Answer call(std::string_view line);

 private:
  xs::Store& store_;
  SimHypervisor& hv_;
};

}  // namespace xenrace
