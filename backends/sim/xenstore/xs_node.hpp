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
  NodeMap nodes;
  AccessObserver* observer = nullptr;   // partial-order reduction's view of what requests touch, or none
  std::uint64_t generation = 0;         // the global counter; every change takes ++generation
  std::map<DomId, std::size_t> owned;  // nodes per owner domain (the node quota)

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
