// The XenStore of a real host, through libxenstore, as the World interface a scenario sees. Each call is
// one visible operation exactly as in the simulated store (backends/sim/xenstore/sim_xenstore.cpp): a scheduling
// point, the real request, a trace event with the same operation name. So a replay token recorded in the
// simulator drives the same sequence of scheduling points here.
//
// Watch events arrive asynchronously on a real daemon. To make "is an event pending?" a deterministic
// question at each step, a connection asks the daemon a round trip first: xenstored answers a connection's
// requests and events in order, so once the reply is in, every event queued before it has arrived too.
// A reader with nothing pending parks on its connection's wait queue; after every store-changing call the
// store re-checks parked readers the same way and wakes those that now have an event — the moment the
// simulated store would have woken them.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/dom0/real_dirs.hpp"
#include "backends/dom0/xs_path_map.hpp"
#include "runtime/execution.hpp"
#include "world/xenstore.hpp"

namespace xenrace::dom0 {

class Ledger;
class Dom0XsConnection;

struct Dom0XenStoreOptions {
  std::string socket;                    // XENSTORED_PATH to use; empty: the environment's / libxenstore's default
  std::string prefix;                    // the run's subtree, e.g. /local/domain/0/xenrace/RUN-ID
  bool allow_domain_management = false;  // introduce/release change the host's domains: off unless configured
  // Replay mode: a watch event identical to one the actor has not read yet is dropped, as the simulator's
  // store drops it (W3, xenstored's "dropping duplicate watch" for unsent events). The simulator keeps
  // events in the store until read_watch; a real daemon sends them at once, so without this a replayed
  // schedule would meet events the recorded one never had. Free mode leaves the daemon's stream alone.
  bool coalesce_undelivered_events = false;
  // The prefix lies below a node the session has ledgered already (Dom0Session::next_xenstore_prefix: the
  // run's node, whose removal removes every execution's subtree). Then the subtree is not ledgered again, so
  // the ledger does not grow by two lines with every execution.
  bool covered_by_run_entry = false;
};

class Dom0XenStore final : public XenStore {
 public:
  // Records the subtree in the ledger, then creates it. Throws ComponentUnavailable when no xenstored answers.
  Dom0XenStore(Execution& ex, Ledger& ledger, Dom0XenStoreOptions options);
  ~Dom0XenStore() override;
  // Only dom0: acting as domain N needs N's own ring. Throws ComponentUnavailable for any other domid.
  std::unique_ptr<XsConnection> connect(DomId domid = 0) override;
  // For a simulated guest driver (pcifront): a dom0 socket connection whose relative paths resolve below
  // /local/domain/<domid> in the run's subtree. Its requests are dom0's, so permissions are not the guest's.
  std::unique_ptr<XsConnection> connect_simulated_guest(DomId domid) override;

  // Removes the run's subtree (end of run); the ledger then marks it released.
  void remove_subtree();

  // Directories at real host paths (--blkback real), arranged by `dirs` before their first creation; it
  // adds its redirects to paths(). Set before any actor runs; `dirs` outlives the store's use.
  void set_real_dirs(RealDirs* dirs) { real_dirs_ = dirs; }
  XsPathMap& paths_to_redirect() { return paths_; }

  // --- for connections ---
  RealDirs* real_dirs() const { return real_dirs_; }
  const XsPathMap& paths() const { return paths_; }
  const Dom0XenStoreOptions& options() const { return options_; }
  Execution& execution() { return ex_; }
  void park(Dom0XsConnection* c);
  void unpark(Dom0XsConnection* c);
  void store_changed();  // after a write, mkdir, rm, set_perms, commit...
  std::shared_ptr<std::vector<Dom0XsConnection*>> parked_list() { return parked_; }

 private:
  Execution& ex_;
  Ledger& ledger_;
  Dom0XenStoreOptions options_;
  XsPathMap paths_;
  std::uint64_t subtree_entry_ = 0;
  bool subtree_removed_ = false;
  RealDirs* real_dirs_ = nullptr;
  std::shared_ptr<std::vector<Dom0XsConnection*>> parked_ = std::make_shared<std::vector<Dom0XsConnection*>>();
};

}  // namespace xenrace::dom0
