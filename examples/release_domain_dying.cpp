// A daemonised `xl` waits for its domain's death on @releaseDomain. xenstored fires that watch when it first
// sees the domain dying, and then forgets the domain: nothing fires when the last page goes and the domain is
// gone. An xl that takes "dying" for "still alive" waits for an event that never comes, and leaks.
// Xen d3ec7b04d0 has libxl treat a dying domain as dead.
#include <xenrace/scenario.hpp>

using namespace xenrace;

constexpr DomId kGuest = 1;

XENRACE_SCENARIO({
    .name = "release-domain-dying",
    .description = "xl waits on @releaseDomain for a domain xenstored forgot once it was dying",
    .source = "Xen d3ec7b04d0 (libxl: a dying domain is dead)",
    .tags = {"xenstore", "hypervisor"},
    .variants = {{"buggy", Expect::fail, "xl waits for another @releaseDomain while the domain is dying"},
                 {"fixed", Expect::pass, "xl takes a dying domain for dead"}},
    .default_strategy = "random",
    .default_iterations = 200,
}) {
  Hypervisor& hv = race.world.hypervisor();
  hv.create_domain(kGuest);
  race.world.xenstore().connect(0)->introduce_domain(kGuest, 1, 1);
  const bool dying_is_dead = race.is("fixed");

  race.spawn("xl (waits for the death)", [&race, &hv, dying_is_dead] {
    auto xs = race.world.xenstore().connect(0);
    xs->watch("@releaseDomain", "death");
    for (;;) {
      if (!xs->read_watch().ok()) throw std::runtime_error("lost the xenstore connection");
      const DomainState s = hv.domain_state(kGuest);
      if (s == DomainState::gone || (dying_is_dead && s == DomainState::dying)) return;
    }
  });
  race.spawn("xl destroy", [&hv] { hv.destroy_domain(kGuest); });
  race.spawn("hypervisor (frees the last page)", [&race, &hv] {
    race.wait_until([&hv] { return hv.domain_state(kGuest) == DomainState::dying; }, "domain 1 to be dying");
    hv.reap_domain(kGuest);
  });
}
