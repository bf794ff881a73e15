// The domains xenstored knows, and what the hypervisor says of them (xenstored_domain.c: struct domain,
// introduce_domain, do_release, do_resume, check_domains, destroy_domain, domain_tree_remove,
// domain_alloc_permrefs, chk_domain_generation).
//
// Worked examples (each a test in tests/xenstore/domain_examples_test.cpp):
//   D1  introduce 5 fires @introduceDomain once; a second introduce only re-binds the event channel.
//   D2  the hypervisor reports 5 shut down (or crashed): @releaseDomain fires once; again only after
//       RESUME 5 re-arms it.
//   D3  5 becomes dying (or disappears): xenstored destroys it: the nodes 5 owns are removed (their
//       watches fire, post-order), then @releaseDomain fires. Shut down and dying seen together: one event.
//   D4  RELEASE 5 destroys it the same way; RELEASE of a domain not introduced: ENOENT; of dom0: EINVAL.
//   D5  a permission entry naming a domain that does not exist is kept but ignored; as owner it makes
//       SET_PERMS fail with ENOENT. An entry naming a domain created after the node was written (a domid
//       reused) is ignored too, so a new domain inherits nothing.
//   D6  a domain that was never introduced and disappears is forgotten without any event.
#pragma once
#include <cstdint>
#include <map>

#include "world/hypervisor.hpp"
#include "world/xenstore.hpp"

namespace xenrace::xs {

// The hypervisor's view of one domain (XEN_DOMINF_* as check_domains reads them): world/hypervisor.hpp's.
using DomainState = xenrace::DomainState;

// What xenstored keeps of a domain it knows (struct domain): introduced, or named by a permission.
struct Domain {
  std::uint64_t generation = 0;  // the tree's generation when xenstored first knew the domain
  bool introduced = false;
  bool shutdown_seen = false;    // domain->shutdown: @releaseDomain already fired for the shutdown
  std::uint64_t mfn = 0;
  std::uint32_t port = 0;
  std::uint32_t features = 0;
};

}  // namespace xenrace::xs
