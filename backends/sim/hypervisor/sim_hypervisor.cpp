#include "backends/sim/hypervisor/sim_hypervisor.hpp"

#include <unistd.h>

#include <string>

#include <fmt/format.h>

#include "world/visible_op.hpp"
#include "world/world.hpp"

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

std::vector<std::string> fake_xenctrl_environment() {
#ifdef XENRACE_FAKE_XENCTRL_DIR
  const std::string dir = XENRACE_FAKE_XENCTRL_DIR;
  if (access((dir + "/libxenctrl.so.4.17").c_str(), R_OK) != 0)
    throw ComponentUnavailable(fmt::format("the fake libxenctrl is not in {} (build xenrace_fake_xenctrl)", dir));
  return {"LD_LIBRARY_PATH=" + dir};
#else
  throw ComponentUnavailable(
      "the fake libxenctrl was not built: libxenlight 4.17 and libxenguest 4.17 (Debian package libxen-dev) and "
      "objdump were missing when xenrace was configured");
#endif
}

}  // namespace xenrace
