// Transactions, as C xenstored 4.17 runs them (tools/xenstore/xenstored_transaction.c: access_node,
// transaction_prepend, queue_watches, finalize_transaction; core.c read_node, write_node, rm_node,
// walk_node_tree, delete_child). Every request reaches nodes only through a View, which is access_node():
// outside a transaction it is the committed tree; inside one, the first access to a path records the
// node's generation (NO_GENERATION when missing) and a private copy of it, and every later access to that
// path in the transaction uses the copy, whatever has happened to the tree since. Nodes first touched
// later are read from the tree as it is then. So one transaction's view can hold a parent copied before
// another connection added a child next to that child read fresh: that mix is what the errors below are
// for, and finalize_transaction() rejects the commit of any transaction that saw it (EAGAIN), because
// whatever made the view inconsistent changed a generation the transaction recorded.
//
// Worked interleavings (each is a test in tests/xenstore/transaction_examples_test.cpp). "t" is a
// transaction of connection A; "B" is another connection writing outside any transaction.
//   X1  t reads /a; B writes /a; t commits: EAGAIN, nothing of t applied.
//   X2  t writes /a; B writes /b, which t never touched; t commits: OK.
//   X3  t reads /n while missing; B creates /n; t commits: EAGAIN (missing reads are recorded too).
//   X4  t creates /p/x; B creates /p/y; t commits: EAGAIN (adding a child rewrites /p).
//   X5  B writes /a; then t reads /a for the first time: t sees B's value; t commits: OK.
//   X6  t reads /a; B writes /a; t reads /a again: the old value (the copy); t commits: EAGAIN.
//   X7  t reads /a (no children); B writes /a/x; t removes /a/x: EIO, because t's copy of /a does not
//       list x (delete_child); t commits: EAGAIN; /a and /a/x are still there.
//   X8  t reads /a while missing; B writes /a/x; t removes /a/x: EINVAL, because /a is missing in t's
//       view (rm_node reads the parent first); t commits: EAGAIN.
//   X9  t lists /a (children b, c); B removes /a/b; t removes /a: EIO, because the walk meets the
//       listed child b missing (walk_node_tree); t commits: EAGAIN; /a and /a/c are still there.
//   X10 t creates /n and removes it again; t commits: OK, no node /n, and no watch fires for /n: at
//       commit the event has neither the node nor permissions recorded before t to be checked against.
//   X11 t sets the permissions of /a with an owner domain that does not exist: ENOENT before /a is
//       touched; B writes /a; t commits: OK.
//   X12 t writes /a (a write reads the node first); B writes /a; t commits: EAGAIN.
//   X13 t's events fire only at a successful commit, one per touched node in first-access order, a
//       subtree event replacing an exact one; an aborted or failed transaction fires nothing.
//   X14 a failed node creation inside t (a quota) fails t: its commit answers ENOMEM and applies nothing.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backends/sim/xenstore/xs_node.hpp"

namespace xenrace::xs {

// One node a transaction has touched (struct accessed_node).
struct AccessedNode {
  std::optional<Node> node;  // the transaction's own copy; nullopt: missing in this transaction's view
  std::uint64_t generation = kNoGeneration;  // the tree's generation of the node at the first access
  bool check_generation = false;             // first access was a read: compared at commit
  bool modified = false;
  bool fire = false;        // queue_watches: an event is due at commit
  bool fire_exact = false;  // exact match only (a descendant removed by rm)
  std::optional<XsPerms> original_perms;  // the node's permissions at the first access, when it existed
};

class Transaction {
 public:
  AccessedNode* find(std::string_view path) {
    auto it = accessed_.find(path);
    return it == accessed_.end() ? nullptr : &it->second;
  }
  const AccessedNode* find(std::string_view path) const {
    auto it = accessed_.find(path);
    return it == accessed_.end() ? nullptr : &it->second;
  }
  AccessedNode& add(std::string_view path, AccessedNode a) {
    order_.emplace_back(path);
    return accessed_.emplace(order_.back(), std::move(a)).first->second;
  }
  std::size_t size() const { return order_.size(); }
  // First-access order: the order of the commit's writes and events.
  const std::vector<std::string>& order() const { return order_; }
  AccessedNode& at(const std::string& path) { return accessed_.find(path)->second; }
  const AccessedNode& at(const std::string& path) const { return accessed_.find(path)->second; }

  bool failed = false;  // fail_transaction(): the commit answers ENOMEM
  bool node_created = false;

 private:
  std::unordered_map<std::string, AccessedNode, PathHash, std::equal_to<>> accessed_;
  std::vector<std::string> order_;
};

// What one request sees: the tree, or a transaction's view of it (access_node).
class View {
 public:
  // `node_quota`: most nodes one transaction may touch (0: no limit, privileged connections).
  View(Tree& tree, Transaction* tx, std::size_t node_quota) : tree_(tree), tx_(tx), node_quota_(node_quota) {}

  Transaction* transaction() const { return tx_; }

  // read_node(): the node, or null with `err` ENOENT, or ENOSPC when a transaction may touch no more
  // nodes (which also fails the transaction). The pointer stays valid until the next change of the view.
  Node* read(std::string_view path, Errno& err);
  Node* read(std::string_view path) {
    Errno ignored = 0;
    return read(path, ignored);
  }
  // write_node() of a node read in this view and changed in place through that pointer: its value or
  // permissions, or its children (a child added or removed).
  enum class Change { value, child_added, child_removed };
  void changed(std::string_view path, Node& n, Change what = Change::value);
  // The request looks at the node's children and generation (`ordered`: the children in their order), beyond
  // what read() covers. Inside a transaction this is the private copy, recorded at the first access.
  void children_seen(std::string_view path, bool ordered) {
    if (!tx_ && tree_.observer) tree_.observer->children_read(path, ordered);
  }
  // write_node() of a node that was read as missing in this view.
  void create(std::string_view path, Node n);
  // delnode_sub(): the node, read in this view, is gone.
  void erase(std::string_view path);
  // queue_watches(): inside a transaction, the event for `path` is due at commit.
  void queue_event(std::string_view path, bool exact);

 private:
  AccessedNode* record(std::string_view path, Errno& err);

  Tree& tree_;
  Transaction* tx_;
  std::size_t node_quota_;
};

}  // namespace xenrace::xs
