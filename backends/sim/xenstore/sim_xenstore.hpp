// The simulated XenStore as the scenarios' World sees it: the xenstored model (xs_store.hpp) behind
// world/xenstore.hpp, where every call is a visible operation of the calling actor (a scheduling point,
// then a trace event "xs.<op>"), and read_watch blocks in virtual time on the connection's events. A request
// inside a transaction on a node it already holds a copy of has no scheduling point of its own
// (world/transaction_copies.hpp): it runs in the actor's step before it.
//
//   - read_watch is itself a scheduling point, so "the event is consumed before / after the next
//     operation of another actor" is a choice of the strategy; with nothing pending it waits until an
//     event is queued or `timeout` of virtual time passes (ETIMEDOUT).
//   - A connection opened by an actor is closed when that actor ends or is killed (sched().at_exit),
//     like a process's xs_handle: its transactions are aborted and its watches removed. Destroying the
//     XsConnection closes it too.
//   - Setup and invariant code (outside any actor) may use connections without scheduling; they cannot
//     block, so read_watch there returns ETIMEDOUT at once when nothing is pending.
#pragma once
#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "backends/sim/xenstore/process_xenstore.hpp"
#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/execution.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

class SimXenStore final : public XenStore {
 public:
  explicit SimXenStore(Execution& ex, xs::StoreOptions options = simulator_options());
  ~SimXenStore() override;
  // The simulator's defaults: every domain a scenario names exists (scenarios do not create domains).
  static xs::StoreOptions simulator_options() {
    xs::StoreOptions o;
    o.every_domain_exists = true;
    return o;
  }
  std::unique_ptr<XsConnection> connect(DomId domid = 0) override;

  // Inside a transaction, a request on a node the transaction already holds a copy of (world/transaction_copies.hpp,
  // checked against xs::Store::within_transaction_copy) has no scheduling point of its own: it runs in the actor's
  // step before it, which no other actor can tell apart. With `separate`, connections made from now on
  // give every request its own step, as before this rule: tests/xenstore/transaction_steps_test.cpp compares.
  void separate_steps_inside_transactions(bool separate) { separate_steps_ = separate; }

  // The model itself, for invariants and tests: no scheduling, no trace, no permission checks in peek().
  xs::Store& model() { return *store_; }
  const xs::Store& model() const { return *store_; }

  // The same store for process actors' programs, through libxenstore's socket (spawn_process's
  // ProcessOptions::xenstore).
  process::XenStoreService& for_processes() { return processes_; }

  // What each request touched, as the running step's footprint (for dpor; installed only when the
  // strategy observes steps). Connections get names that do not depend on the interleaving.
  class Footprints final : public xs::AccessObserver {
   public:
    Footprints(Execution& ex, DomId priv) : ex_(ex), priv_(priv) {}
    void name_connection(xs::ConnId id);
    DomId privileged_domain() const { return priv_; }
    void node_read(std::string_view path) override;
    void node_written(std::string_view path) override;
    void value_written(std::string_view path) override;
    void value_replaced(std::string_view path, std::optional<std::string_view> before,
                        std::optional<std::string_view> after) override;
    // The request about to run is a read_one_of(`values`): its read of the node names only those values and
    // "missing" (xs_access_observer.hpp). The values must outlive the request.
    void next_read_one_of(std::initializer_list<std::string_view> values) { one_of_ = values; armed_ = true; }
    void read_one_of_done() { armed_ = false; }
    void children_read(std::string_view path, bool ordered) override;
    void child_added(std::string_view path) override;
    void child_removed(std::string_view path) override;
    void watches_read(std::string_view path, bool exact) override;
    void watches_written(std::string_view path) override;
    void event_queued(std::uint32_t conn, std::string_view path, std::string_view token,
                      bool duplicate, bool near_budget) override;
    void event_popped(std::uint32_t conn, std::string_view path, std::string_view token) override;
    void events_looked(std::uint32_t conn) override;
    void events_dropped(std::uint32_t conn) override;
    void quota_touched(DomId owner) override;
    // How many accesses the store has reported: a request that should touch nothing shared must not move it.
    std::uint64_t reports() const { return reports_; }

   private:
    // The parts of a connection's event queue (xs_access_observer.hpp): 'f' empty or not, 'h' head,
    // 't' tail, and each distinct queued event.
    bool queue_key(std::uint32_t conn, char part, std::uint64_t& key) const;
    std::uint64_t event_key(std::uint32_t conn, std::string_view path, std::string_view token) const;

    // The facts "the node holds `value`" (or, with nullopt, "the node is missing") that read_one_of reads;
    // `node` is object_key('v', path).
    static std::uint64_t value_key(std::uint64_t node, std::optional<std::string_view> value);

    Execution& ex_;
    DomId priv_;
    std::initializer_list<std::string_view> one_of_;
    bool armed_ = false;
    std::uint64_t reports_ = 0;
    std::array<std::uint32_t, kMaxActors + 1> opened_by_{};  // connections each actor (and setup) opened
    std::vector<std::uint64_t> connection_keys_;            // by ConnId
  };

 private:
  Execution& ex_;
  std::shared_ptr<xs::Store> store_;  // shared with the connections, which may outlive this object
  Footprints footprints_;
  ProcessXenStore processes_;
  bool separate_steps_ = false;
};

}  // namespace xenrace
