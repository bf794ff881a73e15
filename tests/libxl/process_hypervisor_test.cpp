// The simulated hypervisor as the fake libxenctrl reaches it (backends/sim/hypervisor/process_hypervisor.*):
// each wire request answered from the World's domains, with Xen 4.17's errors, and a bad request refused.
#include <gtest/gtest.h>

#include <string>

#include "backends/sim/hypervisor/process_hypervisor.hpp"
#include "backends/sim/hypervisor/sim_hypervisor.hpp"
#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/execution.hpp"
#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {
namespace {

constexpr const char* kDevice = "771";  // 0000:03:00.3: bus 3 << 8 | dev 0 << 3 | fn 3

struct Hv {
  StackPool stacks;
  RandomStrategy strategy{1};
  Execution ex{strategy, stacks, ExecutionOptions{}};
  xs::Store store;
  SimHypervisor domains{ex, store};
  ProcessHypervisor hv{store, domains};
  Hv() {
    for (DomId g : {1, 2}) store.hypervisor_domain_created(g);
  }
  // "reply | trace event": what the program gets, and what the trace shows.
  std::string call(std::string_view line) {
    const ProcessHypervisor::Answer a = hv.call(line);
    return a.reply + " | " + a.event.op + " " + a.event.what + " -> " + a.event.result;
  }
};

TEST(ProcessHypervisor, ADeviceHasOneGuestAtATime) {
  Hv h;
  EXPECT_EQ(h.call(std::string("test_assign_device 1 ") + kDevice), "0 | hv.test_assign_device 1 0000:03:00.3 -> OK");
  EXPECT_EQ(h.call(std::string("assign_device 1 ") + kDevice + " 0"), "0 | hv.assign_device 1 0000:03:00.3 -> OK");
  EXPECT_EQ(h.domains.owner_of(771), 1u);
  // Xen's device_assigned: once a guest owns it, any assignment is refused, to the same guest too.
  EXPECT_EQ(h.call(std::string("assign_device 2 ") + kDevice + " 0"), "-16 | hv.assign_device 2 0000:03:00.3 -> EBUSY");
  EXPECT_EQ(h.call(std::string("assign_device 1 ") + kDevice + " 0"), "-16 | hv.assign_device 1 0000:03:00.3 -> EBUSY");
  EXPECT_EQ(h.call(std::string("test_assign_device 2 ") + kDevice), "-22 | hv.test_assign_device 2 0000:03:00.3 -> EINVAL");
  // Only its owner gives it back, and then it is dom0's again.
  EXPECT_EQ(h.call(std::string("deassign_device 2 ") + kDevice), "-19 | hv.deassign_device 2 0000:03:00.3 -> ENODEV");
  EXPECT_EQ(h.call(std::string("deassign_device 1 ") + kDevice), "0 | hv.deassign_device 1 0000:03:00.3 -> OK");
  EXPECT_EQ(h.domains.owner_of(771), 0u);
  EXPECT_EQ(h.call(std::string("assign_device 2 ") + kDevice + " 0"), "0 | hv.assign_device 2 0000:03:00.3 -> OK");
}

// A device assigned at boot through the World (as `xl create` assigns a configured one) is the guest's for
// libxl's calls too: one table, the simulated hypervisor's.
TEST(ProcessHypervisor, ADeviceAssignedThroughTheWorldIsTheGuests) {
  Hv h;
  EXPECT_EQ(h.domains.assign_device(1, "0000:03:00.3"), 0);
  EXPECT_EQ(h.domains.device_owner("0000:03:00.3").value, 1u);
  EXPECT_EQ(h.call(std::string("assign_device 2 ") + kDevice + " 0"), "-16 | hv.assign_device 2 0000:03:00.3 -> EBUSY");
  EXPECT_EQ(h.call(std::string("deassign_device 1 ") + kDevice), "0 | hv.deassign_device 1 0000:03:00.3 -> OK");
  EXPECT_EQ(h.domains.device_owner("0000:03:00.3").value, 0u);
  EXPECT_EQ(h.domains.assign_device(0, "0000:03:00.3"), EINVAL);   // dom0 cannot be given its own device
  EXPECT_EQ(h.domains.assign_device(7, "0000:03:00.3"), ESRCH);    // no such domain
  EXPECT_EQ(h.domains.assign_device(1, "03:00.3.9"), EINVAL);      // not a BDF
  EXPECT_EQ(h.domains.device_owner("nonsense").err, EINVAL);
}

TEST(ProcessHypervisor, CallsFollowTheDomainsLifecycle) {
  Hv h;
  EXPECT_EQ(h.call("map_pirq 1 16"), "0 16 | hv.map_pirq 1 irq 16 -> pirq 16");
  EXPECT_EQ(h.call("map_pirq 3 16"), "-3 | hv.map_pirq 3 irq 16 -> ESRCH");  // never created
  h.store.hypervisor_domain_state(2, DomainState::dying);
  EXPECT_EQ(h.call(std::string("assign_device 2 ") + kDevice + " 0"), "-22 | hv.assign_device 2 0000:03:00.3 -> EINVAL");
  EXPECT_EQ(h.call("getinfolist 0 8"), "0 0:r 1:r 2:d | hv.getinfolist from 0 max 8 -> 0,1,2");
  h.store.hypervisor_domain_state(2, DomainState::gone);
  EXPECT_EQ(h.call("irq_permission 2 16 1"), "-3 | hv.irq_permission 2 pirq 16 allow -> ESRCH");
  EXPECT_EQ(h.call("getinfolist 1 1"), "0 1:r | hv.getinfolist from 1 max 1 -> 1");
  EXPECT_EQ(h.call("getinfolist 2 1"), "0 | hv.getinfolist from 2 max 1 -> none");
  EXPECT_EQ(h.call(std::string("assign_device 0 ") + kDevice + " 0"), "-22 | hv.assign_device 0 0000:03:00.3 -> EINVAL");
  EXPECT_EQ(h.call("flask_sid_to_context 3"), "-38 | hv.flask_sid_to_context sid 3 -> ENOSYS");
}

TEST(ProcessHypervisor, ABadRequestIsRefusedAndNamed) {
  Hv h;
  EXPECT_EQ(h.call("map_pirq 1 x"), "-22 | hv.map_pirq 1 x -> EINVAL");
  EXPECT_EQ(h.call("map_pirq 1"), "-22 | hv.map_pirq 1 -> EINVAL");            // too few numbers
  EXPECT_EQ(h.call("reboot 1"), "-22 | hv.reboot 1 -> EINVAL");                // no such call
  EXPECT_EQ(h.call("map_pirq 1 -4"), "-22 | hv.map_pirq 1 -4 -> EINVAL");      // not a number it takes
  EXPECT_EQ(h.call("map_pirq 99999 4"), "-3 | hv.map_pirq 99999 irq 4 -> ESRCH");  // beyond any domid
  // A line longer than any request closes the connection (a protocol error), as a stray writer would be.
  auto c = h.hv.connect();
  EXPECT_TRUE(c->receive("map_pirq 1 16\nmap_"));
  EXPECT_TRUE(c->has_request());
  EXPECT_EQ(c->handle_next().result, "pirq 16");
  EXPECT_EQ(std::string(c->output()), "0 16\n");
  EXPECT_FALSE(c->has_request());  // half a line waits for the rest
  EXPECT_FALSE(c->receive(std::string(300, '1')));
}

}  // namespace
}  // namespace xenrace
