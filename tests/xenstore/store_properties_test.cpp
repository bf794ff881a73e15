// Properties of the store model (rapidcheck): it agrees with a naive tree; committed transactions are
// serialisable in commit order; every change in a watched subtree yields its event.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "backends/sim/xenstore/xs_path.hpp"
#include "backends/sim/xenstore/xs_store.hpp"

namespace xenrace::xs {
namespace {

enum class Op { write, mkdir, rm, read, directory };
struct Step {
  Op op;
  std::string path;
  std::string value;
};

rc::Gen<std::string> gen_path() {
  return rc::gen::map(rc::gen::container<std::vector<char>>(rc::gen::element('a', 'b', 'c')),
                      [](const std::vector<char>& parts) {
                        std::string p;
                        for (std::size_t i = 0; i < std::min<std::size_t>(parts.size(), 3); ++i) p += std::string("/") + parts[i];
                        return p.empty() ? std::string("/a") : p;
                      });
}

rc::Gen<Step> gen_step() {
  return rc::gen::build<Step>(rc::gen::set(&Step::op, rc::gen::element(Op::write, Op::mkdir, Op::rm, Op::read, Op::directory)),
                              rc::gen::set(&Step::path, gen_path()),
                              rc::gen::set(&Step::value, rc::gen::element<std::string>("", "1", "xyz")));
}

// The reference: a map from path to value; children are the paths one level below.
struct NaiveTree {
  std::map<std::string, std::string> nodes{{"/", ""}, {"/tool", ""}, {"/tool/xenstored", ""}};
  void create(const std::string& p, const std::string& v) {
    if (p != "/" && !nodes.count(std::string(parent_of(p)))) create(std::string(parent_of(p)), "");
    nodes[p] = v;
  }
  std::string apply(const Step& s) {  // returns "OK", a value, a child set or an errno name
    switch (s.op) {
      case Op::write: create(s.path, s.value); return "OK";
      case Op::mkdir:
        if (!nodes.count(s.path)) create(s.path, "");
        return "OK";
      case Op::rm:
        if (!nodes.count(s.path)) return nodes.count(std::string(parent_of(s.path))) ? "OK" : "ENOENT";
        for (auto it = nodes.begin(); it != nodes.end();) it = is_child(it->first, s.path) ? nodes.erase(it) : std::next(it);
        return "OK";
      case Op::read: return nodes.count(s.path) ? nodes[s.path] : "ENOENT";
      case Op::directory: {
        if (!nodes.count(s.path)) return "ENOENT";
        std::set<std::string> kids;
        for (const auto& [p, v] : nodes)
          if (p != s.path && parent_of(p) == s.path) kids.insert(std::string(basename_of(p)));
        std::string out;
        for (const auto& k : kids) out += k + ",";
        return out;
      }
    }
    return "";
  }
};

std::string apply(Store& st, ConnId c, TxId tx, const Step& s) {
  switch (s.op) {
    case Op::write: return errno_name(st.write(c, tx, s.path, s.value));
    case Op::mkdir: return errno_name(st.mkdir(c, tx, s.path));
    case Op::rm: return errno_name(st.rm(c, tx, s.path));
    case Op::read: {
      auto r = st.read(c, tx, s.path);
      return r.ok() ? r.value : errno_name(r.err);
    }
    case Op::directory: {
      auto r = st.directory(c, tx, s.path);
      if (!r.ok()) return errno_name(r.err);
      std::set<std::string> kids(r.value.begin(), r.value.end());
      std::string out;
      for (const auto& k : kids) out += k + ",";
      return out;
    }
  }
  return "";
}

std::map<std::string, std::string> contents(const Store& st) {
  std::map<std::string, std::string> out;
  for (const auto& [p, n] : st.nodes())
    if (!is_special(p)) out[p] = n.value;
  return out;
}

RC_GTEST_PROP(StoreProperties, AgreesWithANaiveTree, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(gen_step());
  Store st;
  ConnId c = st.open_connection(0);
  NaiveTree ref;
  for (const auto& s : steps) RC_ASSERT(apply(st, c, kNoTx, s) == ref.apply(s));
  RC_ASSERT(contents(st) == ref.nodes);
  // Child lists name exactly the nodes one level below, with no duplicates.
  for (const auto& [p, n] : st.nodes()) {
    if (is_special(p)) continue;
    std::set<std::string> kids(n.children.begin(), n.children.end());
    RC_ASSERT(kids.size() == n.children.size());
    for (const auto& k : kids) RC_ASSERT(st.peek(p == "/" ? "/" + k : p + "/" + k) != nullptr);
  }
}

RC_GTEST_PROP(StoreProperties, CommittedTransactionsAreSerialisableInCommitOrder, ()) {
  const auto setup = *rc::gen::container<std::vector<Step>>(gen_step());
  const int n = *rc::gen::inRange(2, 4);
  std::vector<std::vector<Step>> bodies;
  for (int i = 0; i < n; ++i) bodies.push_back(*rc::gen::container<std::vector<Step>>(gen_step()));
  // Interleave the transactions' steps in a generated order, then commit in a generated order.
  std::vector<int> order;
  for (int i = 0; i < n; ++i) order.insert(order.end(), bodies[static_cast<std::size_t>(i)].size(), i);
  order = *rc::gen::just(order);
  const auto shuffled = *rc::gen::map(rc::gen::container<std::vector<int>>(order.size(), rc::gen::arbitrary<int>()),
                                      [order](std::vector<int> keys) {
                                        std::vector<std::pair<int, int>> k;
                                        for (std::size_t i = 0; i < order.size(); ++i) k.push_back({keys[i], order[i]});
                                        std::stable_sort(k.begin(), k.end(), [](auto& a, auto& b) { return a.first < b.first; });
                                        std::vector<int> out;
                                        for (auto& p : k) out.push_back(p.second);
                                        return out;
                                      });
  Store st, serial;
  ConnId setup_c = st.open_connection(0), serial_c = serial.open_connection(0);
  for (const auto& s : setup) {
    apply(st, setup_c, kNoTx, s);
    apply(serial, serial_c, kNoTx, s);
  }
  std::vector<ConnId> conns;
  std::vector<TxId> txs;
  std::vector<std::vector<std::string>> seen(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    conns.push_back(st.open_connection(0));
    txs.push_back(st.transaction_start(conns.back()).value);
  }
  std::vector<std::size_t> next(static_cast<std::size_t>(n), 0);
  for (int i : shuffled) {
    const auto u = static_cast<std::size_t>(i);
    seen[u].push_back(apply(st, conns[u], txs[u], bodies[u][next[u]++]));
  }
  const auto commit_order = *rc::gen::map(rc::gen::arbitrary<unsigned>(), [n](unsigned r) {
    std::vector<int> o;
    for (int i = 0; i < n; ++i) o.push_back(i);
    std::rotate(o.begin(), o.begin() + static_cast<long>(r % static_cast<unsigned>(n)), o.end());
    return o;
  });
  for (int i : commit_order) {
    const auto u = static_cast<std::size_t>(i);
    const Errno e = st.transaction_end(conns[u], txs[u], true);
    RC_ASSERT(e == 0 || e == EAGAIN);
    if (e) continue;
    // Its reads are what the serial run reads at this point, and its writes land the same way.
    for (std::size_t k = 0; k < bodies[u].size(); ++k) RC_ASSERT(apply(serial, serial_c, kNoTx, bodies[u][k]) == seen[u][k]);
  }
  RC_ASSERT(contents(st) == contents(serial));
}

RC_GTEST_PROP(StoreProperties, EveryChangeInAWatchedSubtreeYieldsItsEvent, ()) {
  const auto watched = *gen_path();
  const auto steps = *rc::gen::container<std::vector<Step>>(gen_step());
  Store st;
  ConnId c = st.open_connection(0), w = st.open_connection(0);
  RC_ASSERT(st.watch(w, watched, "t") == 0);
  RC_ASSERT(st.pop_event(w)->path == watched);
  for (const auto& s : steps) {
    const bool existed = st.peek(s.path) != nullptr;
    const bool watched_existed = st.peek(watched) != nullptr;
    RC_ASSERT(apply(st, c, kNoTx, s) != "EINVAL");
    std::vector<std::string> expected;
    const bool changes = s.op == Op::write || (s.op == Op::mkdir && !existed) || (s.op == Op::rm && existed);
    if (changes && is_child(s.path, watched)) expected.push_back(s.path);
    if (s.op == Op::rm && existed && is_child(watched, s.path) && watched != s.path && watched_existed)
      expected.insert(expected.begin(), watched);  // the watched node itself went, before the root
    // Nodes below the watch removed with it: each fires exactly.
    std::vector<std::string> got;
    while (auto e = st.pop_event(w)) got.push_back(e->path);
    if (s.op == Op::rm && existed && is_child(s.path, watched)) {
      RC_ASSERT(!got.empty());
      RC_ASSERT(got.back() == s.path);
    } else {
      RC_ASSERT(got == expected);
    }
  }
}

}  // namespace
}  // namespace xenrace::xs
