// A XenStore node and the committed tree, as C xenstored 4.17 keeps them in its TDB (core.c struct node,
// xs_tdb_record_hdr): a binary value, a permission list, the child names in creation order and the
// generation of the last change.
#pragma once
#include "backends/sim/xenstore/xs_access_observer.hpp"
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/state_key.hpp"
#include "world/xenstore.hpp"

namespace xenrace::xs {

class AccessObserver;

inline constexpr std::uint64_t kNoGeneration = ~std::uint64_t{0};  // a node that does not exist

struct Node {
  std::string value;
  XsPerms perms;
  std::vector<std::string> children;  // names, in creation order (add_child appends, removal keeps order)
  std::size_t children_bytes = 0;     // sum of name + NUL over `children`: childlen, kept so no check walks them
  std::uint64_t generation = 0;
  // Bit i: entry i named a domain that did not exist when it was set (XS_PERM_IGNORE): kept and shown,
  // never granting anything. Entries past the 64th are never marked.
  std::uint64_t ignored_entries = 0;
  // The node's part of the state key while it is in the tree (Tree::changed). It belongs to the tree's slot, not
  // to the content: a copy starts without it, and an assignment keeps the slot's.
  struct KeyPart {
    enum class Summed : std::uint8_t { no, yes, pending };
    StateKey part{};
    Summed summed = Summed::no;
    std::uint32_t pending_at = 0;  // its place in Tree::pending while pending

    KeyPart() = default;
    KeyPart(const KeyPart&) {}
    KeyPart& operator=(const KeyPart&) { return *this; }
  };
  mutable KeyPart key_part;

  void add_child(std::string_view name) {
    children.emplace_back(name);
    children_bytes += name.size() + 1;
  }
  // delete_child(): false when `name` is not listed (C xenstored then answers EIO).
  bool remove_child(std::string_view name) {
    auto it = std::find(children.begin(), children.end(), name);
    if (it == children.end()) return false;
    children_bytes -= it->size() + 1;
    children.erase(it);
    return true;
  }
  // The record's size as write_node_raw() counts it for the node-size quota.
  std::size_t record_size() const {
    constexpr std::size_t kHeader = 24;  // xs_tdb_record_hdr: generation, num_perms, datalen, childlen
    return kHeader + 8 * perms.size() + value.size() + children_bytes;
  }
};

// Transparent hashing, so a lookup by string_view allocates nothing.
struct PathHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NodeMap = std::unordered_map<std::string, Node, PathHash, std::equal_to<>>;

// The committed tree: what every request outside a transaction sees and changes.
struct Tree {
  Tree() { pending.reserve(16); }
  Tree(const Tree&) = delete;  // `pending` and `newest` point into this tree's nodes
  Tree& operator=(const Tree&) = delete;

  NodeMap nodes;
  AccessObserver* observer = nullptr;   // partial-order reduction's view of what requests touch, or none
  std::uint64_t generation = 0;         // the global counter; every change takes ++generation
  std::map<DomId, std::size_t> owned;  // nodes per owner domain (the node quota)

  // The nodes' part of the state key (xs_state_key.cpp), kept up to date as nodes change, so that a key costs
  // what changed since the last one, not a walk of the tree: the sum, lane by lane, of each summed node's part;
  // the nodes changed since, whose parts the next key computes; the node the last change stamped.
  mutable StateKey sum{};
  mutable std::uint64_t sum_domains = 0;  // the domains the parts were computed against (they name them)
  mutable std::vector<NodeMap::value_type*> pending;
  NodeMap::value_type* newest = nullptr;

  // Every change to `nodes` outside a transaction tells the sum: `changed` after a node entered the tree or
  // changed in place or by assignment (it holds the generation just stamped), `leaving` before one is erased.
  void changed(NodeMap::value_type& entry) {
    leaving(entry.second);
    Node::KeyPart& k = entry.second.key_part;
    k.summed = Node::KeyPart::Summed::pending;
    k.pending_at = static_cast<std::uint32_t>(pending.size());
    pending.push_back(&entry);
    newest = &entry;
  }
  void changed(std::string_view path) { changed(*nodes.find(path)); }
  void leaving(const Node& n) {
    if (newest && &newest->second == &n) newest = nullptr;
    Node::KeyPart& k = n.key_part;
    if (k.summed == Node::KeyPart::Summed::yes) {
      sum.a -= k.part.a;
      sum.b -= k.part.b;
    } else if (k.summed == Node::KeyPart::Summed::pending) {  // the last pending node takes its place
      pending[k.pending_at] = pending.back();
      pending[k.pending_at]->second.key_part.pending_at = k.pending_at;
      pending.pop_back();
    }
    k.summed = Node::KeyPart::Summed::no;
  }

  const Node* find(std::string_view path) const {
    auto it = nodes.find(path);
    return it == nodes.end() ? nullptr : &it->second;
  }
  Node* find(std::string_view path) {
    auto it = nodes.find(path);
    return it == nodes.end() ? nullptr : &it->second;
  }
  void count_owner(DomId owner, long delta) {
    if (observer) observer->quota_touched(owner);
    auto& n = owned[owner];
    n = static_cast<std::size_t>(static_cast<long>(n) + delta);
  }
};

}  // namespace xenrace::xs
