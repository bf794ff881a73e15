// One running PV guest (domid 1) as PCI passthrough finds it: what libxl's domain creation left in XenStore, the
// nodes libxl, pciback and pcifront leave when it booted with a device, and `xl pci-assignable-add`. Shared by
// pci-attach (the model of libxl's code) and real-libxl-pci (libxl itself), so both start from the same state.
#pragma once
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "world/pci.hpp"
#include "world/xenstore.hpp"

namespace xenrace::pv_pci_guest {

inline constexpr DomId kGuest = 1;
inline constexpr const char* kGuestName = "pvguest";
inline constexpr const char* kBackendPath = "/local/domain/0/backend/pci/1/0";
inline constexpr const char* kFrontendPath = "/local/domain/1/device/pci/0";
inline constexpr const char* kBootDevice = "0000:03:00.0";  // existing-backend variants: coldplugged at boot

// /local/domain/1 readable by the guest, its device/ directory owned by it, and dom0's backend/pci.
inline void create_guest(XsConnection& xs) {
  xs.mkdir(kNoTx, "/local/domain/1");
  xs.set_perms(kNoTx, "/local/domain/1", {{XsPerm::Access::none, 0}, {XsPerm::Access::read, kGuest}});
  xs.write(kNoTx, "/local/domain/1/name", kGuestName);
  xs.mkdir(kNoTx, "/local/domain/1/device");
  xs.set_perms(kNoTx, "/local/domain/1/device", {{XsPerm::Access::none, kGuest}});
  xs.mkdir(kNoTx, "/local/domain/0/backend/pci");
}

// The nodes libxl, pciback and pcifront leave after the guest booted with `bdfs` at dev-0, dev-1, ..., each in
// virtual slot N of the guest's one PCI root, all Connected.
inline void coldplugged_backend(XsConnection& xs, const std::vector<std::string>& bdfs) {
  using KeyValues = std::vector<std::pair<std::string, std::string>>;
  xs.mkdir(kNoTx, kFrontendPath);
  xs.set_perms(kNoTx, kFrontendPath, {{XsPerm::Access::none, kGuest}, {XsPerm::Access::read, 0}});
  const KeyValues front = {{"backend", kBackendPath}, {"backend-id", "0"}, {"pci-op-ref", "8"},
                           {"event-channel", "9"},    {"magic", "7"},       {"state", "4"}};
  for (const auto& [k, v] : front) xs.write(kNoTx, fmt::format("{}/{}", kFrontendPath, k), v);
  xs.mkdir(kNoTx, kBackendPath);
  xs.set_perms(kNoTx, kBackendPath, {{XsPerm::Access::none, 0}, {XsPerm::Access::read, kGuest}});
  KeyValues back = {{"frontend", kFrontendPath}, {"frontend-id", std::to_string(kGuest)}, {"online", "1"},
                    {"domain", kGuestName}};
  for (std::size_t i = 0; i < bdfs.size(); ++i) {
    back.emplace_back(fmt::format("key-{}", i), bdfs[i]);
    back.emplace_back(fmt::format("dev-{}", i), bdfs[i]);
    back.emplace_back(fmt::format("opts-{}", i), "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict");
    back.emplace_back(fmt::format("state-{}", i), "3");
    back.emplace_back(fmt::format("vdev-{}", i), fmt::format("0000:00:{:02x}.00", i));
  }
  const KeyValues tail = {{"root-0", "0000:00"}, {"root_num", "1"}, {"num_devs", std::to_string(bdfs.size())},
                          {"state", "4"}};
  back.insert(back.end(), tail.begin(), tail.end());
  for (const auto& [k, v] : back) xs.write(kNoTx, fmt::format("{}/{}", kBackendPath, k), v);
}
inline void coldplugged_backend(XsConnection& xs, const std::string& bdf) {
  coldplugged_backend(xs, std::vector<std::string>{bdf});
}

// What `xl create` left of dom0 and the guest for a real libxl: dom0's domid and name, the guest's home
// (create_guest) and its vm path.
inline void xl_created_guest(XsConnection& xs) {
  xs.write(kNoTx, "/local/domain/0/domid", "0");
  xs.write(kNoTx, "/local/domain/0/name", "Domain-0");
  create_guest(xs);
  xs.write(kNoTx, "/local/domain/1/vm", "/vm/guest-1");
}

// Returns once the backend and the frontend are both Connected (4). A watch on each end's state, not a polling
// loop, so waiting costs no steps.
inline void wait_until_both_ends_connected(XenStore& store) {
  auto watcher = store.connect(0);
  const std::string backend = fmt::format("{}/state", kBackendPath), frontend = fmt::format("{}/state", kFrontendPath);
  watcher->watch(backend, "be");
  watcher->watch(frontend, "fe");
  while (read_or(*watcher, backend, "") != "4" || read_or(*watcher, frontend, "") != "4") watcher->read_watch();
}

// libxl's key for a device under /libxl/pci: "0000:03:00.0" -> "0000-03-00-0".
inline std::string bdf_key(std::string bdf) {
  std::replace(bdf.begin(), bdf.end(), ':', '-');
  std::replace(bdf.begin(), bdf.end(), '.', '-');
  return bdf;
}

// xl pci-assignable-add: unbind from the native driver, add a slot, bind to pciback.
inline void make_assignable(PciBack& pci, const std::string& bdf) {
  pci.unbind(bdf);
  pci.new_slot(bdf);
  pci.bind(bdf);
}

}  // namespace xenrace::pv_pci_guest
