#include "backends/sim/hypervisor/sim_hypervisor.hpp"

#include <unistd.h>

#include <string>

#include <fmt/format.h>

#include "faults/fault_catalogue.hpp"
#include "faults/sim_faults.hpp"
#include "world/visible_op.hpp"
#include "world/world.hpp"

namespace xenrace {

SimHypervisor::SimHypervisor(Execution& ex, xs::Store& store) : ex_(ex), store_(store) { use_sim_faults(ex_); }

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

std::uint32_t encode_bdf(const PciAddress& a) { return a.domain << 16 | a.bus << 8 | a.slot << 3 | a.func; }
PciAddress decode_bdf(std::uint32_t sbdf) { return {sbdf >> 16, (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f, sbdf & 7}; }

bool SimHypervisor::domain_exists(DomId domid) const { return domid < 0x7ff0 && store_.domain_created(domid); }

DomId SimHypervisor::owner_of(std::uint32_t sbdf) const {
  const auto it = pci_owners_.find(sbdf);
  return it == pci_owners_.end() ? store_.options().priv_domid : it->second;
}

Errno SimHypervisor::test_assign(DomId domid, std::uint32_t sbdf) {
  if (!domain_exists(domid)) return ESRCH;
  if (domid == store_.options().priv_domid) return EINVAL;  // no self-assignment
  return owner_of(sbdf) != store_.options().priv_domid ? EINVAL : 0;
}

Errno SimHypervisor::assign(DomId domid, std::uint32_t sbdf) {
  if (!domain_exists(domid)) return ESRCH;
  if (domid == store_.options().priv_domid || store_.hypervisor_state(domid) == DomainState::dying) return EINVAL;
  if (const Errno f = fault_at(ex_, FaultPoint::hypervisor_assign_device, format_bdf(decode_bdf(sbdf))); f != 0) return f;
  if (owner_of(sbdf) != store_.options().priv_domid) return EBUSY;  // device_assigned
  pci_owners_[sbdf] = domid;
  return 0;
}

Errno SimHypervisor::deassign(DomId domid, std::uint32_t sbdf) {
  if (!domain_exists(domid)) return ESRCH;
  if (owner_of(sbdf) != domid || domid == store_.options().priv_domid) return ENODEV;  // pci_get_pdev(d, ...)
  pci_owners_.erase(sbdf);  // back to the hardware domain (no quarantine)
  return 0;
}

Errno SimHypervisor::assign_device(DomId domid, std::string_view bdf) {
  return visible_op(ex_, "hv.assign_device", fmt::format("{} {}", domid, bdf), [&]() -> Errno {
    const auto a = parse_bdf(bdf);
    return a ? assign(domid, encode_bdf(*a)) : EINVAL;
  });
}

Result<DomId> SimHypervisor::device_owner(std::string_view bdf) {
  return visible_op(ex_, "hv.device_owner", std::string(bdf), [&]() -> Result<DomId> {
    const auto a = parse_bdf(bdf);
    if (!a) return Result<DomId>::error(EINVAL);
    return Result<DomId>::success(owner_of(encode_bdf(*a)));
  }, [](const Result<DomId>& r) { return r.ok() ? std::to_string(r.value) : std::string(errno_name(r.err)); });
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
