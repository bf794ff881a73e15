// xs_campaign: stateful, multi-connection, raw-wire differential campaign for XenStore servers.
//
// For each sequence number (the seed), generates deterministically a list of raw XenStore wire
// requests spread over 2..8 Unix-socket connections, runs it against the server at --socket and
// writes a normalised log to stdout. The same program, run against the real C xenstored 4.17 (in a
// Xen VM, ci/xenstore-campaign) and against the simulated store (`xenrace serve-xenstore`), must give
// identical logs; `--compare EXPECTED ACTUAL` diffs two logs sequence by sequence.
//
// Execution model (what makes the log deterministic):
//   * One step = one request on one connection, then read that connection until its reply.
//   * After each step a barrier: on every connection send GET_DOMAIN_PATH "0" and read until its
//     reply. xenstored is single-threaded and queues a mutation's watch events on every watcher
//     before it replies to the mutator, so every event caused by the step is on the wire before the
//     barrier reply of each connection; events are logged per connection, in order of arrival,
//     events that arrived before the step's own reply are marked "[pre]".
//   * Generation never depends on replies: the program keeps its own model of which transactions and
//     watches it opened, so a misbehaving server gets the same requests as a correct one.
//   * Each sequence uses fresh connections and a fresh subtree /campaign/<seq> (and
//     /local/domain/0/campaign/<seq> for relative paths), removed at its end.
//
// Normalisations (what legitimately differs between servers or between runs of one server):
//   N1 DIRECTORY_PART generation: replaced by G<k>, k = order of first appearance of that value in
//      the sequence. The absolute value depends on the global generation counter (all earlier
//      sequences and every other client); equality between two replies in one sequence is kept.
//   N2 TRANSACTION_START reply: logged as the symbolic slot "tx<k>" (k numbered by the generator)
//      plus "(id N)" with the server's id. C xenstored numbers ids per connection from 1, so N is
//      deterministic there; oxenstored uses a global counter: compare with --ignore-txid-values
//      (strips "(id N)") for C vs OCaml.
//   N3 Long paths/values (> 120 bytes) are shown as prefix...[len=N fnv=H]: same information, readable.
//   N4 Request ids are the step number; the barrier uses its own ids. A reply whose req_id or tx_id
//      does not echo the request is flagged in the log (req_id!=, txid!=), not blanked.
//   Nothing else is blanked: values, child order (raw, as received), error names, events.
//
// Crashes: an unexpected EOF on a connection makes the program try a fresh connect. If the server
// still accepts, the step is logged "-> <closed>" and the connection is reopened ("reconnected").
// If it does not, the step is logged "-> <closed>", then "!!! server lost", the sequence ends with
// "=== aborted seq N" and the program exits 3 (the caller restarts the server and continues with
// --sequences N+1..B). A reply that takes longer than --timeout-ms is logged "<timeout>" and handled
// like a close.
//
// Usage:
//   xs_campaign --socket PATH (--seed N [--count K] | --sequences A..B) [--steps N] [--timeout-ms MS]
//   xs_campaign --compare EXPECTED.log ACTUAL.log [--ignore-txid-values] [--context N] [--max-show N]
//   xs_campaign --print (--seed N | --sequences A..B)   the generated requests, without a server
//   xs_campaign --socket PATH --script FILE               hand-written sequences (for shrinking)
//   --hazards: also generate the malformed READ/DIRECTORY/GET_PERMS/MKDIR/RM and the SET_PERMS of
//   '@' paths that C xenstored 4.17 answers with a stale errno or, when that errno is 0, by aborting
//   (see Gen::malformed and the SET_PERMS case of Gen::random_op).
// Exit: 0 ok / no divergence; 1 divergence (compare); 2 usage or I/O error; 3 server lost.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------- wire constants (xs_wire.h)
enum : uint32_t {
  XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3, XS_WATCH = 4, XS_UNWATCH = 5,
  XS_TRANSACTION_START = 6, XS_TRANSACTION_END = 7, XS_GET_DOMAIN_PATH = 10, XS_WRITE = 11,
  XS_MKDIR = 12, XS_RM = 13, XS_SET_PERMS = 14, XS_WATCH_EVENT = 15, XS_ERROR = 16,
  XS_IS_DOMAIN_INTRODUCED = 17, XS_RESET_WATCHES = 21, XS_DIRECTORY_PART = 22,
};
constexpr uint32_t kPayloadMax = 4096;
constexpr uint32_t kBarrierReqBase = 0xBA000000u;

const char* type_name(uint32_t t) {
  switch (t) {
    case 0: return "CONTROL"; case 1: return "DIRECTORY"; case 2: return "READ";
    case 3: return "GET_PERMS"; case 4: return "WATCH"; case 5: return "UNWATCH";
    case 6: return "TRANSACTION_START"; case 7: return "TRANSACTION_END"; case 8: return "INTRODUCE";
    case 9: return "RELEASE"; case 10: return "GET_DOMAIN_PATH"; case 11: return "WRITE";
    case 12: return "MKDIR"; case 13: return "RM"; case 14: return "SET_PERMS";
    case 15: return "WATCH_EVENT"; case 16: return "ERROR"; case 17: return "IS_DOMAIN_INTRODUCED";
    case 18: return "RESUME"; case 19: return "SET_TARGET"; case 21: return "RESET_WATCHES";
    case 22: return "DIRECTORY_PART"; default: return nullptr;
  }
}

// ---------------------------------------------------------------- PRNG (splitmix64)
struct Rng {
  uint64_t s;
  // The state starts at a hash of the seed: plain seed*constant would make the stream of seed N+1 the
  // stream of seed N shifted by one draw (splitmix64 adds the same constant each step).
  explicit Rng(uint64_t seed) : s(seed ^ 0x6A09E667F3BCC909ull) { s = next(); s = next(); }
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return n ? static_cast<uint32_t>(next() % n) : 0; }
  bool chance(uint32_t pct) { return below(100) < pct; }
  template <class T> const T& pick(const std::vector<T>& v) { return v[below(static_cast<uint32_t>(v.size()))]; }
};

uint32_t fnv(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) { h ^= c; h *= 16777619u; }
  return h;
}

// N3: printable, bounded rendering of a byte string.
std::string show(const std::string& s, bool quote) {
  std::string body;
  const std::string& src = s;
  size_t lim = src.size() > 120 ? 40 : src.size();
  for (size_t i = 0; i < lim; i++) {
    unsigned char c = static_cast<unsigned char>(src[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') body += static_cast<char>(c);
    else { char b[8]; snprintf(b, sizeof b, "\\x%02x", c); body += b; }
  }
  if (src.size() > 120) {
    char b[64]; snprintf(b, sizeof b, "...[len=%zu fnv=%08x]", src.size(), fnv(src)); body += b;
  }
  return quote ? "\"" + body + "\"" : body;
}

// ---------------------------------------------------------------- requests
enum class TxKind { None, Slot, Raw };
struct TxRef {
  TxKind kind = TxKind::None;
  int slot = -1;        // Slot: the generator's transaction number
  uint32_t raw = 0;     // Raw: this id, verbatim
};

struct Op {
  int conn = 0;
  TxRef tx;
  uint32_t type = 0;
  std::vector<std::string> args;   // joined with NULs, each terminated, unless raw is set
  std::optional<std::string> raw;  // verbatim payload
  bool oversize = false;           // header only, len > 4096: the server drops the connection
  int start_slot = -1;             // TRANSACTION_START: slot the new id goes into
  std::string note;                // what the request is, in the log
};

std::string payload_of(const Op& op) {
  if (op.raw) return *op.raw;
  std::string p;
  for (size_t i = 0; i < op.args.size(); i++) {
    p += op.args[i];
    // WRITE: the value (last argument) has no NUL terminator.
    if (!(op.type == XS_WRITE && i + 1 == op.args.size() && op.args.size() == 2)) p += '\0';
  }
  return p;
}

// ---------------------------------------------------------------- generator
struct Gen {
  Rng r;
  uint64_t seq;
  int nconn;
  std::string B, Rel;  // absolute base and the relative base (resolves under /local/domain/0)
  std::vector<Op> ops;
  int next_slot = 0;
  int next_tok = 0;
  bool hazards = false;                        // --hazards: also the malformed requests C answers with a stale errno
  std::vector<int> slot_owner;                 // slot -> conn
  std::vector<std::vector<int>> open;          // conn -> open slots (as planned)
  std::vector<std::vector<std::pair<std::string, std::string>>> watches;  // conn -> (path, token)

  Gen(uint64_t s, bool hz = false) : r(s), seq(s), hazards(hz) {
    nconn = 2 + static_cast<int>(r.below(7));
    B = "/campaign/" + std::to_string(seq);
    Rel = "campaign/" + std::to_string(seq);
    open.resize(nconn);
    watches.resize(nconn);
  }

  // Path alphabet: depth <= 3 below the base, names a b c.
  std::string rel_path(int maxdepth = 3) {
    static const std::vector<std::string> names = {"a", "b", "c"};
    int d = 1 + static_cast<int>(r.below(static_cast<uint32_t>(maxdepth)));
    std::string p;
    for (int i = 0; i < d; i++) p += "/" + r.pick(names);
    return p;
  }
  std::string path() { return B + rel_path(); }
  std::string parent_path() {  // B or a node of depth 1..2
    int k = static_cast<int>(r.below(3));
    return k == 0 ? B : B + rel_path(k);
  }
  std::string child(const std::string& p) {
    static const std::vector<std::string> names = {"a", "b", "c", "x"};
    return p + "/" + r.pick(names);
  }
  std::string long_path(size_t len, bool absolute) {
    std::string p = absolute ? B : Rel;
    while (p.size() < len) {
      size_t room = len - p.size();
      if (room == 1) { p.back() = 'z'; p += 'z'; break; }  // avoid a trailing '/'
      size_t seg = std::min<size_t>(room - 1, 99);
      p += "/" + std::string(seg, 'l');
    }
    return p;
  }
  // root_ok: "/" may be generated. Only for requests whose answer does not depend on the rest of the
  // store (READ, GET_PERMS, RM): DIRECTORY "/" lists the whole system and a watch on "/" sees every
  // client of the real server, which differ between environments.
  std::string any_path(bool root_ok = false) {
    uint32_t k = r.below(100);
    if (k < 78) return path();
    if (k < 86) return Rel + rel_path();                 // relative
    if (k < 89) return "@foo";
    if (k < 90) return "@introduceDomain";
    if (k < 91) return B + "/a/";                        // trailing slash
    if (k < 92) return B + "//a";
    if (k < 93) return B + "/a b";
    if (k < 94) return "";
    if (k < 95) return root_ok ? "/" : B + "/";
    static const std::vector<size_t> rl = {2047, 2048, 2049}, al = {3000, 3071, 3072, 3073};
    if (k < 97) return long_path(r.pick(rl), false);
    return long_path(r.pick(al), true);
  }
  std::string value() {
    uint32_t k = r.below(100);
    if (k < 80) return "v" + std::to_string(r.below(50));
    if (k < 88) return "";
    if (k < 95) return std::string("b\0i\x01n\xff", 6);
    return std::string(900 + r.below(2000), 'V');
  }
  std::string domid_str() {
    static const std::vector<std::string> d = {"0", "0", "1", "2", "7", "32752", "32767", "4294967295"};
    return r.pick(d);
  }
  std::vector<std::string> perms() {
    static const std::string letters = "nrwb";
    std::vector<std::string> p;
    int n = 1 + static_cast<int>(r.below(4));
    for (int i = 0; i < n; i++) {
      std::string e(1, letters[r.below(4)]);
      e += (i == 0 && r.chance(55)) ? "0" : domid_str();
      p.push_back(e);
    }
    if (r.chance(4)) p.push_back("x5");   // bad letter
    if (r.chance(3)) p.push_back("r");    // no domid
    return p;
  }

  TxRef slot_ref(int s) { TxRef t; t.kind = TxKind::Slot; t.slot = s; return t; }
  TxRef maybe_tx(int c) {
    if (!open[c].empty() && r.chance(60)) return slot_ref(r.pick(open[c]));
    if (r.chance(3)) {  // foreign: another connection's transaction
      for (int i = 0; i < nconn; i++) {
        int o = (c + 1 + i) % nconn;
        if (o != c && !open[o].empty()) return slot_ref(r.pick(open[o]));
      }
    }
    if (r.chance(2)) { TxRef t; t.kind = TxKind::Raw; t.raw = r.chance(50) ? 4000000000u : 77u; return t; }
    return {};
  }

  Op mk(int c, TxRef tx, uint32_t type, std::vector<std::string> args) {
    Op o; o.conn = c; o.tx = tx; o.type = type; o.args = std::move(args); return o;
  }
  void push(Op o) { ops.push_back(std::move(o)); }

  void start(int c, TxRef onto = {}) {
    Op o = mk(c, onto, XS_TRANSACTION_START, {""});
    if (onto.kind == TxKind::None) {
      o.start_slot = next_slot++;
      slot_owner.push_back(c);
      open[c].push_back(o.start_slot);
    }
    push(o);
  }
  int start_new(int c) { start(c); return open[c].back(); }
  void end(int c, int slot, bool commit) {
    push(mk(c, slot_ref(slot), XS_TRANSACTION_END, {commit ? "T" : "F"}));
    auto& v = open[slot_owner[slot]];
    for (size_t i = 0; i < v.size(); i++) if (v[i] == slot) { v.erase(v.begin() + static_cast<long>(i)); break; }
  }
  void watch(int c, const std::string& p, bool dup_ok = true) {
    std::string tok;
    if (dup_ok && !watches[c].empty() && r.chance(15)) tok = r.pick(watches[c]).second;
    else tok = "tok" + std::to_string(next_tok++);
    push(mk(c, {}, XS_WATCH, {p, tok}));
    watches[c].push_back({p, tok});
  }
  void close_conn_model(int c) {  // after an oversized message the server drops the connection
    for (int s : std::vector<int>(open[c])) {
      auto& v = open[c];
      for (size_t i = 0; i < v.size(); i++) if (v[i] == s) { v.erase(v.begin() + static_cast<long>(i)); break; }
    }
    watches[c].clear();
  }

  // An access of a node, for transaction scripts.
  Op access(int c, TxRef tx, const std::string& p, bool mutate) {
    uint32_t k = r.below(100);
    if (!mutate) {
      if (k < 45) return mk(c, tx, XS_READ, {p});
      if (k < 75) return mk(c, tx, XS_DIRECTORY, {p});
      if (k < 88) return mk(c, tx, XS_GET_PERMS, {p});
      return mk(c, tx, XS_DIRECTORY_PART, {p, "0"});
    }
    if (k < 40) return mk(c, tx, XS_WRITE, {p, value()});
    if (k < 60) return mk(c, tx, XS_MKDIR, {p});
    if (k < 90) return mk(c, tx, XS_RM, {p});
    return mk(c, tx, XS_SET_PERMS, [&] { auto v = perms(); v.insert(v.begin(), p); return v; }());
  }

  int other(int c) { int o = static_cast<int>(r.below(static_cast<uint32_t>(nconn - 1))); return o >= c ? o + 1 : o; }

  // A single random request.
  void random_op() {
    int c = static_cast<int>(r.below(static_cast<uint32_t>(nconn)));
    uint32_t k = r.below(1000);
    TxRef tx = maybe_tx(c);
    if (k < 150) { push(mk(c, tx, XS_READ, {any_path(true)})); return; }
    if (k < 330) { push(mk(c, tx, XS_WRITE, {any_path(), value()})); return; }
    if (k < 390) { push(mk(c, tx, XS_MKDIR, {any_path()})); return; }
    if (k < 470) { push(mk(c, tx, XS_RM, {r.chance(90) ? path() : any_path(true)})); return; }
    if (k < 530) { push(mk(c, tx, XS_DIRECTORY, {r.chance(80) ? parent_path() : any_path()})); return; }
    if (k < 560) {
      static const std::vector<std::string> off = {"0", "0", "1", "2", "3", "100", "x", ""};
      push(mk(c, tx, XS_DIRECTORY_PART, {r.chance(85) ? parent_path() : any_path(), r.pick(off)})); return;
    }
    if (k < 600) { push(mk(c, tx, XS_GET_PERMS, {r.chance(85) ? path() : any_path(true)})); return; }
    if (k < 660) {
      auto v = perms();
      std::string p = r.chance(85) ? path() : any_path();
      // C xenstored 4.17 do_set_perms answers a special path with `return errno` where it means the
      // value set_perms_special() returned: "@foo" gets a stale errno, or no reply and an abort when
      // that errno is 0 (the real server died on it in sequence 1505 of the first recording); and an
      // accepted SET_PERMS @introduceDomain changes global state that outlives the sequence. So '@'
      // paths become "<base>/@..." (a valid node name) unless --hazards.
      if (!hazards && !p.empty() && p[0] == '@') p = B + "/" + p;
      v.insert(v.begin(), p);
      push(mk(c, tx, XS_SET_PERMS, v)); return;
    }
    if (k < 740) {
      uint32_t w = r.below(100);
      std::string p = w < 55 ? (r.chance(50) ? B : path()) : w < 70 ? Rel + rel_path(2)
                    : w < 78 ? "@introduceDomain" : w < 86 ? "@releaseDomain" : w < 90 ? "@foo"
                    : w < 94 ? any_path() : parent_path();
      if (!watches[c].empty() && r.chance(20)) {  // exact duplicate
        auto wt = r.pick(watches[c]);
        push(mk(c, tx, XS_WATCH, {wt.first, wt.second})); return;
      }
      Op o; watch(c, p); if (tx.kind != TxKind::None) ops.back().tx = tx;  // WATCH ignores tx_id
      return;
    }
    if (k < 780) {
      if (!watches[c].empty() && r.chance(75)) {
        size_t i = r.below(static_cast<uint32_t>(watches[c].size()));
        auto wt = watches[c][i];
        push(mk(c, tx, XS_UNWATCH, {wt.first, wt.second}));
        watches[c].erase(watches[c].begin() + static_cast<long>(i));
      } else {
        push(mk(c, tx, XS_UNWATCH, {path(), "tok" + std::to_string(r.below(40))}));
      }
      return;
    }
    if (k < 830) {
      if (r.chance(80) || open[c].empty()) { start(c); return; }
      start(c, slot_ref(r.pick(open[c])));  // nested: TRANSACTION_START with tx_id != 0
      return;
    }
    if (k < 880) {
      if (!open[c].empty()) { end(c, r.pick(open[c]), r.chance(75)); return; }
      static const std::vector<std::string> a = {"T", "F", "X", ""};
      push(mk(c, maybe_tx(c), XS_TRANSACTION_END, {r.pick(a)})); return;
    }
    if (k < 895) { push(mk(c, tx, XS_RESET_WATCHES, {})); watches[c].clear(); return; }
    if (k < 905) {
      static const std::vector<std::string> d = {"0", "1", "7", "abc", "", "4294967295", "-1"};
      push(mk(c, tx, XS_GET_DOMAIN_PATH, {r.pick(d)})); return;
    }
    if (k < 920) {
      static const std::vector<std::string> d = {"0", "1", "2", "7", "abc", "", "32767"};
      push(mk(c, tx, XS_IS_DOMAIN_INTRODUCED, {r.pick(d)})); return;
    }
    malformed(c);
  }

  // Malformed raw messages. C xenstored 4.17 answers READ, DIRECTORY, GET_PERMS, MKDIR and RM whose
  // payload is not exactly one NUL-terminated string (no NUL, two strings, empty) with whatever errno
  // was left over (onearg() gives NULL, canonicalize(NULL) fails without setting errno); when that
  // stale errno is 0 it sends no reply and dies on assert(conn->in == NULL) in consider_message. Both
  // are unspecified behaviour that no other server can reproduce, so those five are generated only
  // with --hazards; the others below have a defined answer.
  void malformed(int c) {
    uint32_t k = r.below(100);
    Op o; o.conn = c;
    if (hazards && k < 20) {
      static const std::vector<uint32_t> t = {XS_READ, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_RM};
      o.type = r.pick(t);
      uint32_t h = r.below(3);
      if (h == 0) { o.raw = path(); o.note = "no-NUL"; }
      else if (h == 1) { o.raw = path() + std::string(1, '\0') + "a" + std::string(1, '\0'); o.note = "2-args"; }
      else { o.raw = std::string(); o.note = "empty"; }
    }
    else if (k < 12) { o.type = XS_WRITE; o.raw = std::string(); o.note = "empty"; }
    else if (k < 20) { o.type = XS_WRITE; o.raw = path(); o.note = "no-NUL"; }
    else if (k < 28) { o.type = XS_WATCH; o.raw = path() + std::string(1, '\0'); o.note = "1-arg"; }
    else if (k < 34) { o.type = XS_SET_PERMS; o.raw = path() + std::string(1, '\0'); o.note = "no-perms"; }
    else if (k < 40) { o.type = XS_DIRECTORY_PART; o.raw = B + std::string(1, '\0'); o.note = "no-offset"; }
    else if (k < 44) { o.type = XS_DIRECTORY_PART; o.raw = B + std::string(1, '\0') + "0" + std::string(1, '\0') + "1" + std::string(1, '\0'); o.note = "3-args"; }
    else if (k < 50) { o.type = XS_TRANSACTION_END; o.raw = std::string("T"); o.note = "no-NUL"; }
    else if (k < 56) { o.type = XS_WATCH; o.raw = path() + std::string(1, '\0') + "t"; o.note = "token-no-NUL"; }
    else if (k < 60) { o.type = XS_UNWATCH; o.raw = std::string(); o.note = "empty"; }
    else if (k < 64) { o.type = XS_GET_DOMAIN_PATH; o.raw = std::string("0"); o.note = "no-NUL"; }
    else if (k < 66) { o.type = XS_IS_DOMAIN_INTRODUCED; o.raw = std::string(); o.note = "empty"; }
    else if (k < 88) {
      static const std::vector<uint32_t> t = {20, 23, 24, 25, 99, 27, 0xffff};
      o.type = r.pick(t); o.raw = B + std::string(1, '\0'); o.note = "unknown-type";
    } else {
      o.type = XS_READ; o.oversize = true; o.note = "len>4096";
      close_conn_model(c);
    }
    push(o);
  }

  // ---- the deliberate patterns: transaction scripts over a small alphabet interleaved with others
  void pattern() {
    int t = static_cast<int>(r.below(static_cast<uint32_t>(nconn)));
    int o = other(t);
    std::string P = parent_path();
    std::string X = child(P);
    std::string Y = child(X);
    if (r.chance(40)) watch(r.chance(50) ? o : static_cast<int>(r.below(static_cast<uint32_t>(nconn))), r.chance(50) ? P : B, false);
    if (r.chance(50)) push(mk(o, {}, XS_WRITE, {r.chance(50) ? X : P, value()}));  // pre-state
    int s = start_new(t);
    TxRef T = slot_ref(s);
    uint32_t k = r.below(9);
    switch (k) {
      case 0:  // tx reads parent; other writes/removes child; tx rm/writes child
        push(access(t, T, P, false));
        push(r.chance(60) ? mk(o, {}, XS_WRITE, {X, value()}) : mk(o, {}, r.chance(50) ? XS_RM : XS_MKDIR, {X}));
        push(r.chance(55) ? mk(t, T, XS_RM, {X}) : access(t, T, r.chance(50) ? X : Y, r.chance(60)));
        break;
      case 1:  // tx creates children while the other creates/deletes siblings
        push(mk(t, T, r.chance(50) ? XS_WRITE : XS_MKDIR, r.chance(50) ? std::vector<std::string>{X, value()} : std::vector<std::string>{X}));
        if (ops.back().type == XS_MKDIR) ops.back().args.resize(1);
        push(r.chance(50) ? mk(o, {}, XS_WRITE, {child(P), value()}) : mk(o, {}, XS_RM, {child(P)}));
        push(access(t, T, child(P), true));
        push(mk(t, T, XS_DIRECTORY, {P}));
        break;
      case 2:  // node created and removed inside one tx, with outside traffic in between
        push(mk(t, T, XS_WRITE, {Y, value()}));
        if (r.chance(60)) push(access(o, {}, r.chance(50) ? X : P, r.chance(60)));
        push(mk(t, T, XS_RM, {r.chance(50) ? X : Y}));
        push(access(t, T, r.chance(50) ? Y : X, r.chance(40)));
        break;
      case 3: {  // two transactions racing on the same parent; second commit should EAGAIN
        int t2 = o;
        int s2 = start_new(t2);
        push(access(t, T, r.chance(50) ? X : child(P), true));
        push(access(t2, slot_ref(s2), r.chance(50) ? X : child(P), r.chance(70)));
        if (r.chance(50)) { end(t, s, true); push(access(t2, slot_ref(s2), P, false)); end(t2, s2, r.chance(85)); return; }
        end(t2, s2, r.chance(85));
        break;
      }
      case 4:  // commit after the parent went away
        push(mk(t, T, XS_WRITE, {Y, value()}));
        push(mk(o, {}, XS_RM, {r.chance(50) ? X : P}));
        if (r.chance(50)) push(mk(t, T, XS_READ, {Y}));
        break;
      case 5:  // tx reads a missing node; the other creates it
        push(mk(t, T, XS_READ, {Y}));
        push(mk(o, {}, XS_WRITE, {r.chance(50) ? Y : X, value()}));
        push(access(t, T, r.chance(50) ? Y : X, r.chance(50)));
        break;
      case 6:  // nested and foreign transaction ids
        push(access(t, T, X, true));
        start(t, T);  // nested: EBUSY
        push(access(o, T, X, r.chance(50)));  // foreign id on o
        if (r.chance(40)) { TxRef bad; bad.kind = TxKind::Raw; bad.raw = 4000000000u; push(access(t, bad, X, false)); }
        break;
      case 7:  // other transaction's commit lands between parent and child accesses
      {
        int o2 = nconn > 2 ? other(t) : o;
        int s2 = start_new(o2);
        push(access(o2, slot_ref(s2), X, true));
        push(access(t, T, P, false));
        end(o2, s2, true);
        push(access(t, T, X, r.chance(60)));
        if (r.chance(50)) push(access(t, T, Y, true));
        break;
      }
      default:  // free script: 2..6 accesses of P/X/Y interleaved with other connections' ops
      {
        int n = 2 + static_cast<int>(r.below(5));
        for (int i = 0; i < n; i++) {
          std::string q = r.pick(std::vector<std::string>{P, X, Y, child(P)});
          if (r.chance(45)) push(access(t, T, q, r.chance(50)));
          else push(access(other(t), r.chance(15) ? T : TxRef{}, q, r.chance(65)));
        }
      }
    }
    if (r.chance(90)) end(t, s, r.chance(85));
  }

  // Setup creates both bases, so that every sequence starts from the same state whatever ran before on
  // the server (the parents /campaign and /local/domain/0/campaign are never removed; an RM of a missing
  // node answers OK or ENOENT depending on whether its parent exists).
  void generate(int steps) {
    push(mk(0, {}, XS_MKDIR, {B}));
    push(mk(0, {}, XS_MKDIR, {"/local/domain/0/" + Rel}));
    while (static_cast<int>(ops.size()) < steps) {
      if (r.chance(12)) pattern(); else random_op();
    }
    // Teardown (logged like any step): remove both subtrees.
    push(mk(0, {}, XS_RM, {B}));
    push(mk(0, {}, XS_RM, {"/local/domain/0/" + Rel}));
  }
};

// ---------------------------------------------------------------- hand-written scripts (--script)
// For shrinking: blocks "=== seq N conns K" followed by request lines in the log's own syntax,
//   c<conn> [tx<slot>|txid=<n>] TYPE arg... ("" is an empty argument; a WRITE value may be quoted)
// TRANSACTION_START without a tx opens the next slot (tx0, tx1, ... in order). No teardown is added.
uint32_t type_of(const std::string& n) {
  for (uint32_t t = 0; t < 32; t++) if (type_name(t) && n == type_name(t)) return t;
  if (n.rfind("TYPE", 0) == 0) return static_cast<uint32_t>(strtoul(n.c_str() + 4, nullptr, 10));
  return 0xffffffffu;
}

std::vector<Gen> load_script(const std::string& file) {
  std::vector<Gen> v;
  std::ifstream in(file);
  if (!in) { std::cerr << "xs_campaign: cannot read " << file << "\n"; exit(2); }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::vector<std::string> w;
    for (std::string x; ls >> x;) w.push_back(x);
    if (w.size() >= 5 && w[0] == "===" && w[1] == "seq") {
      v.emplace_back(strtoull(w[2].c_str(), nullptr, 10));
      Gen& g = v.back();
      g.nconn = atoi(w[4].c_str());
      g.open.assign(static_cast<size_t>(g.nconn), {});
      g.watches.assign(static_cast<size_t>(g.nconn), {});
      continue;
    }
    if (v.empty() || w.size() < 2 || w[0][0] != 'c') { std::cerr << "xs_campaign: bad script line: " << line << "\n"; exit(2); }
    Gen& g = v.back();
    Op o;
    o.conn = atoi(w[0].c_str() + 1);
    size_t i = 1;
    if (w[i].rfind("txid=", 0) == 0) { o.tx.kind = TxKind::Raw; o.tx.raw = static_cast<uint32_t>(strtoul(w[i].c_str() + 5, nullptr, 10)); i++; }
    else if (w[i].rfind("tx", 0) == 0) { o.tx.kind = TxKind::Slot; o.tx.slot = atoi(w[i].c_str() + 2); i++; }
    if (i >= w.size() || (o.type = type_of(w[i])) == 0xffffffffu) { std::cerr << "xs_campaign: bad type in: " << line << "\n"; exit(2); }
    for (i++; i < w.size(); i++) {
      std::string a = w[i];
      if (a.size() >= 2 && a.front() == '"' && a.back() == '"') a = a.substr(1, a.size() - 2);
      o.args.push_back(a);
    }
    if (o.type == XS_TRANSACTION_START) {
      o.args = {""};
      if (o.tx.kind == TxKind::None) { o.start_slot = g.next_slot++; g.slot_owner.push_back(o.conn); }
    }
    g.ops.push_back(o);
  }
  return v;
}

// ---------------------------------------------------------------- connections
struct Msg { uint32_t type, req_id, tx_id; std::string payload; };

struct Conn {
  int fd = -1;
  std::string buf;
  bool dead = false;
};

std::string g_socket;
int g_timeout_ms = 10000;

int connect_sock() {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", g_socket.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { close(fd); return -1; }
  return fd;
}

bool send_all(int fd, const std::string& d) {
  size_t off = 0;
  while (off < d.size()) {
    ssize_t n = send(fd, d.data() + off, d.size() - off, MSG_NOSIGNAL);
    if (n < 0) { if (errno == EINTR) continue; return false; }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool send_msg(Conn& c, uint32_t type, uint32_t req, uint32_t tx, const std::string& payload, uint32_t len_override = 0) {
  uint32_t h[4] = {type, req, tx, len_override ? len_override : static_cast<uint32_t>(payload.size())};
  std::string d(reinterpret_cast<const char*>(h), 16);
  if (!len_override) d += payload;
  return send_all(c.fd, d);
}

enum class RecvStatus { Ok, Closed, Timeout };
RecvStatus recv_msg(Conn& c, Msg& m) {
  for (;;) {
    if (c.buf.size() >= 16) {
      uint32_t h[4];
      memcpy(h, c.buf.data(), 16);
      if (c.buf.size() >= 16 + static_cast<size_t>(h[3])) {
        m = {h[0], h[1], h[2], c.buf.substr(16, h[3])};
        c.buf.erase(0, 16 + h[3]);
        return RecvStatus::Ok;
      }
    }
    pollfd p{c.fd, POLLIN, 0};
    int pr = poll(&p, 1, g_timeout_ms);
    if (pr == 0) return RecvStatus::Timeout;
    if (pr < 0) { if (errno == EINTR) continue; return RecvStatus::Closed; }
    char tmp[8192];
    ssize_t n = recv(c.fd, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return RecvStatus::Closed;
    c.buf.append(tmp, static_cast<size_t>(n));
  }
}

std::vector<std::string> split0(const std::string& p) {
  std::vector<std::string> v;
  size_t s = 0;
  for (size_t i = 0; i < p.size(); i++) if (p[i] == '\0') { v.push_back(p.substr(s, i - s)); s = i + 1; }
  if (s < p.size()) v.push_back(p.substr(s) + "<no-NUL>");
  return v;
}

// ---------------------------------------------------------------- runner
struct Runner {
  std::ostream& out;
  std::vector<Conn> conns;
  std::map<int, uint32_t> slot_id;      // slot -> server's id
  std::map<std::string, int> gens;      // N1
  bool server_lost = false;

  explicit Runner(std::ostream& o) : out(o) {}

  std::string norm_gen(const std::string& g) {
    auto it = gens.find(g);
    if (it == gens.end()) it = gens.emplace(g, static_cast<int>(gens.size())).first;
    return "G" + std::to_string(it->second);
  }

  std::string render_event(const Msg& m) {
    auto v = split0(m.payload);
    std::string s = "event";
    for (auto& x : v) s += " " + show(x, false);
    if (v.size() != 2) s += " (" + std::to_string(v.size()) + " fields)";
    return s;
  }

  std::string render_reply(const Op& op, uint32_t sent_req, uint32_t sent_tx, const Msg& m) {
    std::string s;
    if (m.type == XS_ERROR) {
      auto v = split0(m.payload);
      s = v.empty() ? "ERROR()" : show(v[0], false);
      if (v.size() != 1) s += " (" + std::to_string(v.size()) + " fields)";
    } else {
      if (m.type != op.type) s = "type=" + std::to_string(m.type) + " ";
      auto v = split0(m.payload);
      switch (op.type) {
        case XS_READ: s += show(m.payload, true); break;
        case XS_DIRECTORY: {
          s += "[";
          for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + show(v[i], false);
          s += "]";
          break;
        }
        case XS_DIRECTORY_PART: {
          if (v.empty()) { s += "<empty>"; break; }
          s += norm_gen(v[0]) + " [";
          for (size_t i = 1; i < v.size(); i++) s += (i > 1 ? "," : "") + (v[i].empty() ? std::string("<end>") : show(v[i], false));
          s += "]";
          break;
        }
        case XS_GET_PERMS: {
          for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + show(v[i], false);
          break;
        }
        case XS_TRANSACTION_START: {
          std::string id = v.empty() ? "" : v[0];
          if (op.start_slot >= 0) {
            s += "tx" + std::to_string(op.start_slot) + " (id " + show(id, false) + ")";
            char* e = nullptr;
            unsigned long n = strtoul(id.c_str(), &e, 10);
            if (!id.empty() && e && !*e) slot_id[op.start_slot] = static_cast<uint32_t>(n);
          } else {
            s += "(id " + show(id, false) + ")";
          }
          break;
        }
        default:
          if (m.payload == std::string("OK", 3)) s += "OK";
          else s += show(m.payload, true);
      }
    }
    if (m.req_id != sent_req) s += " req_id!=" + std::to_string(m.req_id);
    if (m.tx_id != sent_tx) s += " txid!=" + std::to_string(m.tx_id);
    return s;
  }

  bool reopen(int c) {
    if (conns[static_cast<size_t>(c)].fd >= 0) close(conns[static_cast<size_t>(c)].fd);
    conns[static_cast<size_t>(c)] = Conn{};
    int fd = connect_sock();
    if (fd < 0) return false;
    conns[static_cast<size_t>(c)].fd = fd;
    // A connect alone does not prove the server is alive (a backlog may accept); ask it something.
    if (!send_msg(conns[static_cast<size_t>(c)], XS_GET_DOMAIN_PATH, kBarrierReqBase - 1, 0, std::string("0\0", 2))) return false;
    Msg m;
    for (;;) {
      if (recv_msg(conns[static_cast<size_t>(c)], m) != RecvStatus::Ok) return false;
      if (m.type != XS_WATCH_EVENT) return true;
    }
  }

  // A connection failed (EOF or timeout): reconnect it, or declare the server lost.
  void conn_failed(int c, const char* why) {
    if (reopen(c)) out << "  c" << c << " reconnected after " << why << "\n";
    else { server_lost = true; out << "!!! server lost (c" << c << " " << why << ", no new connection answers)\n"; }
  }

  std::string op_text(const Op& op, const Gen& g) {
    std::ostringstream o;
    o << "c" << op.conn << " ";
    switch (op.tx.kind) {
      case TxKind::None: break;
      case TxKind::Slot:
        o << "tx" << op.tx.slot;
        if (g.slot_owner[static_cast<size_t>(op.tx.slot)] != op.conn) o << "(c" << g.slot_owner[static_cast<size_t>(op.tx.slot)] << ")";
        o << " ";
        break;
      case TxKind::Raw: o << "txid=" << op.tx.raw << " "; break;
    }
    const char* tn = type_name(op.type);
    if (tn) o << tn; else o << "TYPE" << op.type;
    if (op.oversize) o << " <" << op.note << ">";
    else if (op.raw) o << " <" << op.note << "> " << show(*op.raw, true);
    else for (auto& a : op.args) o << " " << (op.type == XS_WRITE && &a == &op.args.back() && op.args.size() == 2 ? show(a, true) : show(a, false));
    return o.str();
  }

  // Returns false when the server is lost.
  bool run(Gen& g) {
    out << "=== seq " << g.seq << " conns " << g.nconn << "\n";
    conns.assign(static_cast<size_t>(g.nconn), Conn{});
    for (int c = 0; c < g.nconn; c++) {
      if (!reopen(c)) {
        out << "!!! server lost (cannot connect c" << c << ")\n=== aborted seq " << g.seq << "\n";
        server_lost = true;
        return false;
      }
    }
    for (size_t i = 0; i < g.ops.size() && !server_lost; i++) {
      const Op& op = g.ops[i];
      Conn& cn = conns[static_cast<size_t>(op.conn)];
      uint32_t txid = 0;
      if (op.tx.kind == TxKind::Slot) {
        auto it = slot_id.find(op.tx.slot);
        txid = it == slot_id.end() ? 0x7ffffff0u : it->second;  // a start that failed: an id never given
      } else if (op.tx.kind == TxKind::Raw) {
        txid = op.tx.raw;
      }
      uint32_t req = static_cast<uint32_t>(i + 1);
      out << "s" << i << " " << op_text(op, g) << " -> ";
      std::vector<std::string> pre;
      std::string result;
      bool failed = false;
      const char* why = "";
      if (!send_msg(cn, op.type, req, txid, payload_of(op), op.oversize ? kPayloadMax + 1000 : 0)) {
        result = "<send failed>"; failed = true; why = "send failure";
      } else {
        for (;;) {
          Msg m;
          RecvStatus st = recv_msg(cn, m);
          if (st == RecvStatus::Closed) { result = "<closed>"; failed = true; why = "EOF"; break; }
          if (st == RecvStatus::Timeout) { result = "<timeout>"; failed = true; why = "timeout"; break; }
          if (m.type == XS_WATCH_EVENT) { pre.push_back(render_event(m)); continue; }
          result = render_reply(op, req, txid, m);
          break;
        }
      }
      out << result << "\n";
      for (auto& e : pre) out << "  c" << op.conn << " " << e << " [pre]\n";
      if (failed) conn_failed(op.conn, why);
      if (server_lost) break;
      barrier();
    }
    for (auto& c : conns) if (c.fd >= 0) close(c.fd);
    conns.clear();
    slot_id.clear();
    gens.clear();
    if (server_lost) { out << "=== aborted seq " << g.seq << "\n"; return false; }
    out << "=== end seq " << g.seq << "\n";
    return true;
  }

  void barrier() {
    for (int c = 0; c < static_cast<int>(conns.size()) && !server_lost; c++) {
      Conn& cn = conns[static_cast<size_t>(c)];
      uint32_t req = kBarrierReqBase + static_cast<uint32_t>(c);
      if (!send_msg(cn, XS_GET_DOMAIN_PATH, req, 0, std::string("0\0", 2))) {
        out << "  c" << c << " barrier: <send failed>\n"; conn_failed(c, "barrier send failure"); continue;
      }
      for (;;) {
        Msg m;
        RecvStatus st = recv_msg(cn, m);
        if (st != RecvStatus::Ok) {
          out << "  c" << c << " barrier: " << (st == RecvStatus::Closed ? "<closed>" : "<timeout>") << "\n";
          conn_failed(c, st == RecvStatus::Closed ? "EOF" : "timeout");
          break;
        }
        if (m.type == XS_WATCH_EVENT) { out << "  c" << c << " " << render_event(m) << "\n"; continue; }
        if (m.req_id != req || m.type != XS_GET_DOMAIN_PATH)
          out << "  c" << c << " barrier: unexpected reply type " << m.type << " req " << m.req_id << " " << show(m.payload, true) << "\n";
        break;
      }
    }
  }
};

// ---------------------------------------------------------------- compare
struct Seq { std::string header; std::vector<std::string> lines; bool aborted = false; };

std::map<uint64_t, Seq> load(const std::string& file, bool strip_txid) {
  std::map<uint64_t, Seq> m;
  std::ifstream in(file);
  if (!in) { std::cerr << "xs_campaign: cannot read " << file << "\n"; exit(2); }
  std::string line;
  Seq* cur = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("=== seq ", 0) == 0) {
      uint64_t n = strtoull(line.c_str() + 8, nullptr, 10);
      cur = &m[n];
      *cur = Seq{};
      cur->header = line;
      continue;
    }
    if (!cur) continue;
    if (line.rfind("=== end seq", 0) == 0) { cur = nullptr; continue; }
    if (line.rfind("=== aborted seq", 0) == 0) { cur->aborted = true; cur = nullptr; continue; }
    if (strip_txid) {
      size_t p;
      while ((p = line.find(" (id ")) != std::string::npos) {
        size_t e = line.find(')', p);
        if (e == std::string::npos) break;
        line.erase(p, e - p + 1);
      }
    }
    cur->lines.push_back(line);
  }
  return m;
}

int compare(const std::string& a, const std::string& b, bool strip, int context, int max_show, const std::string& label) {
  auto A = load(a, strip), Bm = load(b, strip);
  int diverging = 0, same = 0, missing = 0, crashes = 0, shown = 0;
  for (auto& [n, sa] : A) {
    auto it = Bm.find(n);
    if (it == Bm.end()) { missing++; if (shown++ < max_show) std::cout << label << "seq " << n << ": missing from " << b << "\n"; continue; }
    const Seq& sb = it->second;
    size_t i = 0;
    while (i < sa.lines.size() && i < sb.lines.size() && sa.lines[i] == sb.lines[i]) i++;
    bool eq = i == sa.lines.size() && i == sb.lines.size() && sa.header == sb.header && sa.aborted == sb.aborted;
    if (eq) { same++; continue; }
    diverging++;
    bool crash = false;
    for (auto& l : sb.lines) if (l.rfind("!!! server lost", 0) == 0) crash = true;
    if (crash) crashes++;
    if (shown++ >= max_show) continue;
    std::cout << label << "seq " << n << ": diverges at line " << (i + 1) << (crash ? " (server crashed/lost in this sequence)" : "") << "\n";
    size_t from = i > static_cast<size_t>(context) ? i - static_cast<size_t>(context) : 0;
    for (size_t k = from; k < i; k++) std::cout << "    " << sa.lines[k] << "\n";
    std::cout << "  expected: " << (i < sa.lines.size() ? sa.lines[i] : std::string("<end of sequence>")) << "\n";
    std::cout << "  actual:   " << (i < sb.lines.size() ? sb.lines[i] : std::string("<end of sequence>")) << "\n";
  }
  std::cout << label << "tally: " << A.size() << " sequences, " << same << " identical, " << diverging
            << " diverging (" << crashes << " with a server crash/loss), " << missing << " missing\n";
  return (diverging || missing) ? 1 : 0;
}

bool parse_range(const std::string& s, uint64_t& a, uint64_t& b) {
  size_t p = s.find("..");
  if (p == std::string::npos) return false;
  a = strtoull(s.substr(0, p).c_str(), nullptr, 10);
  b = strtoull(s.substr(p + 2).c_str(), nullptr, 10);
  return a <= b;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  uint64_t first = 1, last = 1;
  int steps = 60;
  bool print_only = false, strip = false;
  std::string cmp_a, cmp_b, label;
  int context = 4, max_show = 1000000;
  bool hazards = false;
  bool have_seq = false;
  uint64_t count = 1;
  std::optional<uint64_t> seed;
  std::string script;
  for (size_t i = 0; i < args.size(); i++) {
    auto need = [&](const char* what) -> std::string {
      if (i + 1 >= args.size()) { std::cerr << "xs_campaign: " << what << " needs a value\n"; exit(2); }
      return args[++i];
    };
    const std::string& a = args[i];
    if (a == "--socket") g_socket = need("--socket");
    else if (a == "--seed") seed = strtoull(need("--seed").c_str(), nullptr, 10);
    else if (a == "--count") count = strtoull(need("--count").c_str(), nullptr, 10);
    else if (a == "--sequences") { if (!parse_range(need("--sequences"), first, last)) { std::cerr << "xs_campaign: --sequences A..B\n"; return 2; } have_seq = true; }
    else if (a == "--steps") steps = atoi(need("--steps").c_str());
    else if (a == "--timeout-ms") g_timeout_ms = atoi(need("--timeout-ms").c_str());
    else if (a == "--print") print_only = true;
    else if (a == "--script") script = need("--script");
    else if (a == "--hazards") hazards = true;
    else if (a == "--compare") { cmp_a = need("--compare"); cmp_b = need("--compare"); }
    else if (a == "--ignore-txid-values") strip = true;
    else if (a == "--context") context = atoi(need("--context").c_str());
    else if (a == "--max-show") max_show = atoi(need("--max-show").c_str());
    else if (a == "--label") label = need("--label") + ": ";
    else if (a == "-h" || a == "--help") {
      std::cout << "usage: xs_campaign --socket PATH (--seed N [--count K] | --sequences A..B) [--steps N] [--timeout-ms MS]\n"
                   "       xs_campaign --compare EXPECTED ACTUAL [--ignore-txid-values] [--context N] [--max-show N] [--label L]\n"
                   "       xs_campaign --print (--seed N | --sequences A..B) [--steps N]\n";
      return 0;
    } else { std::cerr << "xs_campaign: unknown argument " << a << "\n"; return 2; }
  }
  if (!cmp_a.empty()) return compare(cmp_a, cmp_b, strip, context, max_show, label);
  if (!script.empty()) {
    if (g_socket.empty()) { std::cerr << "xs_campaign: --socket PATH is required\n"; return 2; }
    for (Gen& g : load_script(script)) {
      Runner r(std::cout);
      if (!r.run(g)) return 3;
    }
    return 0;
  }
  if (seed) { first = *seed; last = *seed + (count ? count - 1 : 0); }
  else if (!have_seq) { std::cerr << "xs_campaign: give --seed N or --sequences A..B\n"; return 2; }
  if (!print_only && g_socket.empty()) { std::cerr << "xs_campaign: --socket PATH is required\n"; return 2; }
  std::ios::sync_with_stdio(false);
  for (uint64_t s = first; s <= last; s++) {
    Gen g(s, hazards);
    g.generate(steps);
    if (print_only) {
      Runner r(std::cout);
      std::cout << "=== seq " << s << " conns " << g.nconn << "\n";
      for (size_t i = 0; i < g.ops.size(); i++) std::cout << "s" << i << " " << r.op_text(g.ops[i], g) << "\n";
      continue;
    }
    Runner r(std::cout);
    bool ok = r.run(g);
    std::cout.flush();
    if (!ok) { std::cerr << "xs_campaign: server lost in sequence " << s << "; continue with --sequences " << s + 1 << ".." << last << "\n"; return 3; }
  }
  return 0;
}
