// The hypervisor that a process actor's programs reach through the fake libxenctrl (backends/sim/hypervisor/
// fake_xenctrl): real libxl's hypervisor calls, each one a step of the actor. A program started with a service
// (ProcessOptions::hypervisor) finds XENRACE_HYPERVISOR_PATH in its environment, naming a socket file that
// nothing listens on. The fake library's xc_interface_open connects there; the connect is held and answered
// with one end of a socket pair, as for the XenStore (xenstore_service.hpp), and each xc_* call is then one
// request on that connection, applied when the supervisor takes it.
//
// The wire protocol (the fake library and this service agree on it; nothing else speaks it), one line each:
//   request  "<op> <number> ...\n"                numbers in decimal; the first names the domain, but for
//                                                 getinfolist and flask_sid_to_context
//   reply    "<rc> [<value> ...]\n"               rc: 0, or a negative errno
// The ops, with what they answer besides rc:
//   getinfolist FIRST MAX                 "<domid>:<r|s|d> ..." the domains from FIRST up, at most MAX
//                                         (running, shut down, dying), as XEN_SYSCTL_getdomaininfolist
//   native_protocol D                     (none) the guest's ABI is x86_64
//   flask_sid_to_context SID              (none) -ENOSYS: no XSM, as a hypervisor built without FLASK answers
//   ioport_permission D FIRST NR ALLOW, iomem_permission D FIRST NR ALLOW, irq_permission D PIRQ ALLOW
//   map_pirq D INDEX                      "<pirq>"
//   unmap_pirq D PIRQ
//   test_assign_device D SBDF, assign_device D SBDF FLAGS, deassign_device D SBDF
//
// runtime/ cannot see the simulated domains (backends/sim/), so the simulator implements this interface over
// them (process_hypervisor.*) and hands it to spawn_process.
#pragma once
#include <memory>

#include "runtime/process/served_connection.hpp"

namespace xenrace::process {

class HypervisorService {
 public:
  virtual ~HypervisorService() = default;
  // A new connection (one xc_interface), opened by the running actor.
  virtual std::unique_ptr<ServedConnection> connect() = 0;
};

}  // namespace xenrace::process
