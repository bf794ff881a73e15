// Which nodes a connection's open transactions hold copies of, as the client can tell from its own requests, so
// that a request on such a node can run inside its actor's step (op_within_step) in every backend alike: a replay
// on dom0 must meet the scheduling points the simulator met.
//
// C xenstored 4.17 copies a node into a transaction at the transaction's first access to it (access_node), and a
// request that finds the node missing has read, and copied, each ancestor up to the first present one
// (errno_from_parents, construct_node); a removal copies the parent and what it removes. Every later access to
// the node in that transaction uses the copy: nothing another connection does can change what it answers or does
// before the commit, which validates what the first access saw. So after a request in transaction t on `path`
// that ran and answered OK (or, but for set_perms, ENOENT, which it answers before looking when the owner does not
// exist), a later read, listing, write or mkdir of the same `path` in t touches only t's copies. A removal is
// never counted as such (its walk may reach children not copied yet), nor a set_perms (naming a domain may make
// xenstored note it). The same node named by another spelling is not recognised: that costs a step, never
// soundness. The simulator checks every answer against its store (xs::Store::within_transaction_copy).
//
// Paths are kept as 64-bit keys (a collision would make the simulator's check fail loudly) in fixed arrays: no
// allocation. What does not fit is not held, which costs a step, and costs it in every backend alike.
#pragma once
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <string_view>

#include "runtime/footprint.hpp"
#include "world/result.hpp"
#include "world/xenstore.hpp"

namespace xenrace {

class TransactionCopies {
 public:
  // `privileged`: the connection acts as the privileged domain (dom0). Another's requests check permissions and
  // quotas against the tree and its own domain's records, so they never touch copies alone: nothing is held.
  explicit TransactionCopies(bool privileged) : privileged_(privileged) {}

  // transaction_start answered `tx`.
  void started(TxId tx) {
    if (privileged_ && open_count_ < open_.size()) open_[open_count_++] = tx;
  }
  // After a request in `tx` on `path` ran and answered `answer` (ENOENT also for a transaction not open); returns
  // the answer, so a request's body can end with it.
  Errno noted(TxId tx, std::string_view path, Errno answer, bool missing_counts = true) {
    if (tx == kNoTx || !(answer == 0 || (answer == ENOENT && missing_counts))) return answer;
    if (std::find(open_.begin(), open_.begin() + open_count_, tx) == open_.begin() + open_count_) return answer;
    const Entry e{tx, object_key('t', path)};
    const auto end = held_.begin() + held_count_;
    if (std::find(held_.begin(), end, e) == end && held_count_ < held_.size()) held_[held_count_++] = e;
    return answer;
  }
  template <class T>
  Result<T> noted(TxId tx, std::string_view path, Result<T> r) {
    noted(tx, path, r.ok() ? 0 : r.err);
    return r;
  }
  // Whether a read, listing, write or mkdir of `path` in `tx` touches only tx's copies.
  bool holds(TxId tx, std::string_view path) const {
    if (tx == kNoTx || held_count_ == 0) return false;
    const auto end = held_.begin() + held_count_;
    return std::find(held_.begin(), end, Entry{tx, object_key('t', path)}) != end;
  }
  // The transaction ended (committed, failed or aborted): its copies are gone.
  void ended(TxId tx) {
    open_count_ = static_cast<std::size_t>(std::remove(open_.begin(), open_.begin() + open_count_, tx) - open_.begin());
    held_count_ = static_cast<std::size_t>(
        std::remove_if(held_.begin(), held_.begin() + held_count_, [tx](const Entry& e) { return e.tx == tx; }) -
        held_.begin());
  }

 private:
  struct Entry {
    TxId tx;
    std::uint64_t path;
    bool operator==(const Entry&) const = default;
  };
  bool privileged_;
  std::array<TxId, 4> open_{};
  std::size_t open_count_ = 0;
  std::array<Entry, 32> held_{};
  std::size_t held_count_ = 0;
};

}  // namespace xenrace
