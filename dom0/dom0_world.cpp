#include "dom0/dom0_world.hpp"

#include "dom0/dom0_xenstore.hpp"

namespace xenrace::dom0 {

Dom0World::Dom0World(Execution& ex, Dom0Session& session) : ex_(ex), session_(session) {}
Dom0World::~Dom0World() = default;

void Dom0World::unavailable(const std::string& why) {
  if (unavailable_.empty()) unavailable_ = why;
  throw ComponentUnavailable(why);
}

XenStore& Dom0World::xenstore() {
  if (!xenstore_) {
    Dom0XenStoreOptions o;
    o.socket = session_.config().xenstored_path;
    o.allow_domain_management = session_.config().allow_domain_management;
    try {
      o.prefix = session_.next_xenstore_prefix();
      xenstore_ = std::make_unique<Dom0XenStore>(ex_, session_.ledger(), o);
    } catch (const ComponentUnavailable& e) {
      unavailable(e.what());
    }
  }
  return *xenstore_;
}

}  // namespace xenrace::dom0
