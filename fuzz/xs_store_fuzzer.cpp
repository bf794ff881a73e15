// libFuzzer target: several clients of one simulated xenstored, interleaving requests, transactions and
// watches, with the store's invariants checked after every message. xs_message_fuzzer.cpp covers the
// framing of one byte stream; this one covers what several connections do to the shared tree, which is
// where transactions meet concurrent writes (a transaction's copy of a parent that does not list a child
// created outside it, for instance).
//
// Input (every read past the end yields 0, so any byte string decodes):
//   byte 0        connection count, 2 + b % 7 (2..8)
//   next n bytes  each connection's domain: kDomains[b % 4] (dom0 privileged; 5, 6, 7 unprivileged)
//   then commands, until the input ends:
//     op byte     low 3 bits: connection (mod n); high 5 bits: command (kCommands; OTHER: a byte
//                 follows picking one of the rare requests)
//     sel byte    low 4 bits: path (kPaths: /a, /a/x, /a/x/y, /a/y, /b, /b/x, relative a and a/x,
//                 @introduceDomain, @releaseDomain, /, /local/domain/5[/a], the invalid /a/);
//                 bits 4-6: transaction (0-2: none, 3-5: one of this connection's open transactions,
//                 6: one of another connection's, 7: a raw id byte follows); bit 7: the newest open
//                 transaction or the one before
//     arg byte    for commands with an argument: value, permission set, token, domid or offset
//   Escapes: RAW_MESSAGE (type byte, length byte, payload bytes: any type, any payload, framed) and
//   RAW_BYTES (length byte, bytes fed as they are: the connection's framing is then no longer ours, so
//   only framing is checked on its replies from then on). RECONNECT closes a client and opens a new one
//   for the same domain, aborting its transactions.
//
// Checked after every message:
//   - the committed tree: every non-root, non-@ node's parent exists and lists it exactly once, every
//     listed child exists, every node has permissions; "/" and the two special nodes exist;
//   - generations: the store's never decreases, no node's exceeds it;
//   - owned_nodes(d) equals a recount of first permission entries over nodes();
//   - replies: complete messages, len <= 4096; the sender gets exactly one reply echoing req_id and
//     tx_id, of the request's type or XS_ERROR ("E...\0"); everything else is a WATCH_EVENT with two
//     NUL-terminated strings; other connections get only WATCH_EVENTs;
//   - transactions, from the outside: per open transaction a shadow of what READ, DIRECTORY and
//     GET_PERMS answered inside it (and what it wrote or removed); asking again inside it must give the
//     same answer unless the transaction itself changed that node, a parent or a child since; its own
//     RM of a node takes exactly that name out of a listing of the parent it saw before.
// Only the public API of Store and ProtocolConnection is used.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sim/xenstore/xs_message.hpp"
#include "backends/sim/xenstore/xs_path.hpp"
#include "backends/sim/xenstore/xs_protocol.hpp"

namespace {
using namespace xenrace;
using namespace xenrace::xs;

std::string printable(std::string_view detail) {  // NULs as '|', other control bytes as \xNN, long values cut
  std::string shown;
  for (const char ch : detail.substr(0, 300)) {
    const auto u = static_cast<unsigned char>(ch);
    if (u == 0) shown += '|';
    else if (u < 0x20 || u >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      shown += hex;
    } else shown += ch;
  }
  return shown;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "xs_store_fuzzer: %s: %s\n", what, printable(detail).c_str());
  std::abort();
}

constexpr DomId kDomains[] = {0, 5, 6, 7};
constexpr const char* kPaths[16] = {  // /a and /a/x twice: parent and child meet more often
    "/a", "/a/x", "/a/x/y", "/a/y", "/b", "/b/x", "a", "a/x", "@introduceDomain", "@releaseDomain", "/",
    "/local/domain/5", "/local/domain/5/a", "/a/", "/a", "/a/x",
};
const std::vector<std::vector<std::string>> kPermSets = {
    {"n0"}, {"n5"}, {"n0", "r5"}, {"n5", "b6"}, {"n6", "w5"}, {"b0"}, {"r5", "w6", "n0"}, {"n7", "r5"},
};
constexpr DomId kArgDomains[] = {5, 6, 7, 0, 1, 9, 5, 6};
const char* const kTokens[] = {"t", "u", "tok", ""};

std::string value_for(std::uint8_t b) {
  switch (b % 8) {
    case 0: return "";
    case 1: return "1";
    case 2: return "x";
    case 3: return "hello";
    case 4: return std::string(1, static_cast<char>(b));  // any byte, NUL included
    case 5: return std::string(2047, 'v');                // over an unprivileged node_size with perms
    case 6: return std::string(3000, 'w');
    default: return "connected";
  }
}

enum Command : std::uint8_t {
  READ, WRITE, MKDIR, RM, DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS, WATCH, UNWATCH,
  TX_START, TX_COMMIT, TX_ABORT, INTRODUCE, RELEASE, GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED,
  RESET_WATCHES, RESUME, SET_TARGET, GET_FEATURE, SET_FEATURE, CONTROL, RAW_MESSAGE, RAW_BYTES,
  RECONNECT, OTHER,
};
// The op byte's 5 command bits index this table: the requests that make transactions race with other
// requests get more slots; the rare requests share one slot (OTHER, an argument byte picks one).
constexpr Command kCommands[32] = {
    READ, READ, READ, READ, WRITE, WRITE, WRITE, WRITE, RM, RM, RM, RM, TX_START, TX_START, TX_START,
    TX_COMMIT, TX_COMMIT, TX_ABORT, MKDIR, DIRECTORY, DIRECTORY_PART, GET_PERMS, SET_PERMS, WATCH, UNWATCH,
    INTRODUCE, RELEASE, RESET_WATCHES, RAW_MESSAGE, RAW_BYTES, RECONNECT, OTHER,
};
constexpr Command kOther[] = {GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED, RESUME, SET_TARGET, GET_FEATURE, SET_FEATURE, CONTROL};

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

struct Client {
  DomId domid = 0;
  std::unique_ptr<ProtocolConnection> conn;
  std::vector<TxId> open;  // transactions this client started and has not ended, oldest first
  bool desynced = false;   // raw bytes were fed: its framing is no longer known
};

// What a transaction answered to READ / DIRECTORY / GET_PERMS of a path, or must answer after its own
// WRITE / RM.
struct Expect {
  bool any_error = false;  // after its own RM: any error, no value
  bool allow_eacces = false;
  std::string reply;  // type byte + payload ("\x10ENOENT\0" for an error)
  std::vector<std::string> or_replies;  // other acceptable answers
};
using Shadow = std::map<std::pair<std::uint32_t, std::string>, Expect>;  // (request type, canonical path)

class Harness {
 public:
  explicit Harness(Input& in) : in_(in) {
    StoreOptions o;
    o.every_domain_exists = true;  // domains 5, 6, 7 exist for SET_PERMS, as in the simulator
    store_ = std::make_unique<Store>(o);
    const std::size_t n = 2 + in_.byte() % 7;
    clients_.resize(n);
    for (auto& c : clients_) {
      c.domid = kDomains[in_.byte() % 4];
      c.conn = std::make_unique<ProtocolConnection>(*store_, c.domid);
    }
    check_store();
  }

  ~Harness() {
    for (auto& c : clients_) c.conn.reset();  // every transaction aborts, every watch goes
    check_store();
  }

  void run() {
    while (!in_.done()) step();
  }

 private:
  void step() {
    const std::uint8_t op = in_.byte();
    const std::size_t ci = (op & 7) % clients_.size();
    Client& c = clients_[ci];
    Command cmd = kCommands[op >> 3];
    if (cmd == OTHER) cmd = kOther[in_.byte() % std::size(kOther)];
    if (cmd == RECONNECT) {
      c.conn.reset();
      c.conn = std::make_unique<ProtocolConnection>(*store_, c.domid);
      c.open.clear();
      c.desynced = false;
      drop_shadows(ci);
      check_store();
      drain_others(ci);
      return;
    }
    if (cmd == RAW_BYTES) {
      const std::string raw = in_.bytes(in_.byte());
      c.desynced = true;
      deliver(ci, raw, std::nullopt);
      return;
    }
    const std::uint8_t sel = in_.byte();
    const std::string path = kPaths[sel & 15];
    const TxId tx = pick_tx(ci, sel);
    std::uint32_t type = 0;
    std::string payload;
    auto arg = [&] { return in_.byte(); };
    auto z = [](std::string_view s) { return std::string(s) + '\0'; };
    switch (cmd) {
      case READ: type = wire::read; payload = z(path); break;
      case WRITE: type = wire::write; payload = z(path) + value_for(arg()); break;
      case MKDIR: type = wire::mkdir; payload = z(path); break;
      case RM: type = wire::rm; payload = z(path); break;
      case DIRECTORY: type = wire::directory; payload = z(path); break;
      case DIRECTORY_PART: type = wire::directory_part; payload = z(path) + z(std::to_string(arg() % 8)); break;
      case GET_PERMS: type = wire::get_perms; payload = z(path); break;
      case SET_PERMS: {
        type = wire::set_perms;
        payload = z(path);
        for (const auto& p : kPermSets[arg() % kPermSets.size()]) payload += z(p);
        break;
      }
      case WATCH: type = wire::watch; payload = z(path) + z(kTokens[arg() % 4]); break;
      case UNWATCH: type = wire::unwatch; payload = z(path) + z(kTokens[arg() % 4]); break;
      case TX_START: type = wire::transaction_start; payload = z(""); break;
      case TX_COMMIT: type = wire::transaction_end; payload = z("T"); break;
      case TX_ABORT: type = wire::transaction_end; payload = z("F"); break;
      case INTRODUCE: {
        const std::uint8_t a = arg();
        type = wire::introduce;
        payload = z(std::to_string(kArgDomains[a % 8])) + z("4660") + z(std::to_string(a >> 6));
        break;
      }
      case RELEASE: type = wire::release; payload = z(std::to_string(kArgDomains[arg() % 8])); break;
      case GET_DOMAIN_PATH: type = wire::get_domain_path; payload = z(std::to_string(kArgDomains[arg() % 8])); break;
      case IS_DOMAIN_INTRODUCED: type = wire::is_domain_introduced; payload = z(std::to_string(kArgDomains[arg() % 8])); break;
      case RESET_WATCHES: type = wire::reset_watches; payload = z(""); break;
      case RESUME: type = wire::resume; payload = z(std::to_string(kArgDomains[arg() % 8])); break;
      case SET_TARGET: {
        const std::uint8_t a = arg();
        type = wire::set_target;
        payload = z(std::to_string(kArgDomains[a % 8])) + z(std::to_string(kArgDomains[(a >> 3) % 8]));
        break;
      }
      case GET_FEATURE: type = wire::get_feature; payload = z(std::to_string(kArgDomains[arg() % 8])); break;
      case SET_FEATURE: {
        const std::uint8_t a = arg();
        type = wire::set_feature;
        payload = z(std::to_string(kArgDomains[a % 8])) + z(std::to_string(a >> 3));
        break;
      }
      case CONTROL: type = wire::control; payload = z(arg() & 1 ? "print" : "help"); break;
      case RAW_MESSAGE: {
        type = in_.byte();
        payload = in_.bytes(in_.byte());
        break;
      }
      default: return;
    }
    std::string bytes;
    const std::uint32_t req_id = ++req_id_;
    wire::append_message(bytes, type, req_id, tx, payload);
    Request r{type, req_id, tx, payload};
    deliver(ci, bytes, r);
  }

  TxId pick_tx(std::size_t ci, std::uint8_t sel) {
    const unsigned which = sel >> 7;
    switch ((sel >> 4) & 7) {
      case 0: case 1: case 2: return kNoTx;
      case 3: case 4: case 5: {
        const auto& open = clients_[ci].open;
        return open.empty() ? kNoTx : open[open.size() - 1 - which % open.size()];
      }
      case 6: {
        for (std::size_t k = 1; k < clients_.size(); ++k) {
          const auto& open = clients_[(ci + k + which) % clients_.size()].open;
          if (!open.empty()) return open[which % open.size()];
        }
        return kNoTx;
      }
      default: return in_.byte();
    }
  }

  struct Request {
    std::uint32_t type, req_id, tx_id;
    std::string payload;
  };
  struct Out {
    wire::Header h;
    std::string payload;
  };

  // Splits a connection's output into messages, checking the framing.
  static std::vector<Out> split(const std::string& bytes, std::size_t ci) {
    std::vector<Out> out;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      if (bytes.size() - pos < sizeof(wire::Header)) fail("truncated reply header", "conn " + std::to_string(ci));
      Out o;
      std::memcpy(&o.h, bytes.data() + pos, sizeof o.h);
      pos += sizeof o.h;
      if (o.h.len > wire::kPayloadMax) fail("reply over the payload limit", std::to_string(o.h.len));
      if (bytes.size() - pos < o.h.len) fail("truncated reply payload", "conn " + std::to_string(ci));
      o.payload = bytes.substr(pos, o.h.len);
      pos += o.h.len;
      if (o.h.type == wire::watch_event) {
        const auto s = strings(o.payload);
        std::size_t used = 0;
        for (auto x : s) used += x.size() + 1;
        if (s.size() != 2 || used != o.payload.size()) fail("malformed WATCH_EVENT", o.payload);
      } else if (o.h.type == wire::error) {
        if (o.payload.size() < 2 || o.payload[0] != 'E' || o.payload.back() != '\0' ||
            o.payload.find('\0') != o.payload.size() - 1)
          fail("malformed XS_ERROR", o.payload);
      } else if (o.h.type >= wire::type_count) {
        fail("reply of unknown type", std::to_string(o.h.type));
      }
      out.push_back(std::move(o));
    }
    return out;
  }

  void drain_others(std::size_t sender) {
    for (std::size_t k = 0; k < clients_.size(); ++k) {
      if (k == sender) continue;
      for (const auto& o : split(clients_[k].conn->take_output(), k))
        if (o.h.type != wire::watch_event)
          fail("a reply on a connection that sent nothing", std::string(wire::type_name(o.h.type)));
    }
  }

  void deliver(std::size_t ci, const std::string& bytes, const std::optional<Request>& req) {
    Client& c = clients_[ci];
    // The transaction state as the request finds it (the tx_id names one of this connection's).
    const bool in_tx = req && req->tx_id != kNoTx && store_->has_transaction(c.conn->id(), req->tx_id);
    if (trace_) {  // XS_FUZZ_TRACE=1: every request and what came back, to read a reproducer
      if (req)
        std::fprintf(stderr, "conn %zu dom%u > %s tx %u %s\n", ci, c.domid, wire::type_name(req->type), req->tx_id,
                     printable(req->payload).c_str());
      else
        std::fprintf(stderr, "conn %zu dom%u > raw %s\n", ci, c.domid, printable(bytes).c_str());
    }
    const bool ok = c.conn->receive(bytes);
    if (ok) c.conn->handle_all();
    const std::vector<Out> out = split(c.conn->take_output(), ci);
    if (trace_) {
      for (const auto& o : out)
        std::fprintf(stderr, "conn %zu      < %s tx %u %s\n", ci, wire::type_name(o.h.type), o.h.tx_id,
                     printable(o.payload).c_str());
    }
    check_store();
    drain_others(ci);
    if (!ok) {  // protocol error: the server closes the connection
      c.conn.reset();
      c.conn = std::make_unique<ProtocolConnection>(*store_, c.domid);
      c.open.clear();
      c.desynced = false;
      drop_shadows(ci);
      check_store();
      return;
    }
    if (c.desynced || !req) {
      for (const auto& o : out)
        if (o.h.type == wire::transaction_start) note_started(ci, o.payload);
      prune(ci);
      return;
    }
    const Out* reply = nullptr;
    for (const auto& o : out) {
      if (o.h.type == wire::watch_event) continue;
      if (reply) fail("two replies to one request", wire::type_name(req->type));
      reply = &o;
    }
    if (!reply) fail("no reply", wire::type_name(req->type));
    if (reply->h.type != req->type && reply->h.type != wire::error)
      fail("reply of another type", std::string(wire::type_name(req->type)) + " -> " + wire::type_name(reply->h.type));
    if (reply->h.req_id != req->req_id || reply->h.tx_id != req->tx_id) fail("reply ids not echoed", wire::type_name(req->type));
    if (reply->h.type == wire::transaction_start) note_started(ci, reply->payload);
    if (in_tx) check_transaction(ci, *req, *reply);
    prune(ci);
  }

  void note_started(std::size_t ci, const std::string& payload) {
    const auto arg = one_arg(payload);
    if (!arg) fail("TRANSACTION_START reply without one argument", payload);
    const TxId id = static_cast<TxId>(parse_number(*arg));
    if (id == kNoTx || !store_->has_transaction(clients_[ci].conn->id(), id))
      fail("TRANSACTION_START answered an id that is not open", payload);
    clients_[ci].open.push_back(id);
  }

  // Forgets the transactions that ended (TRANSACTION_END, RESET_WATCHES, ...) and their shadows.
  void prune(std::size_t ci) {
    auto& open = clients_[ci].open;
    std::erase_if(open, [&](TxId t) { return !store_->has_transaction(clients_[ci].conn->id(), t); });
    std::erase_if(shadows_, [&](const auto& kv) {
      return kv.first.first == ci && !store_->has_transaction(clients_[ci].conn->id(), kv.first.second);
    });
  }
  void drop_shadows(std::size_t ci) {
    std::erase_if(shadows_, [&](const auto& kv) { return kv.first.first == ci; });
  }

  static bool related(std::string_view a, std::string_view b) { return is_child(a, b) || is_child(b, a); }

  void check_transaction(std::size_t ci, const Request& req, const Out& reply) {
    Client& c = clients_[ci];
    std::string path;
    {
      const auto args = strings(req.payload);
      if (args.empty()) return;
      std::string canon;
      if (node_path(args[0], implicit_path(c.domid), 2048, canon)) return;  // EINVAL either way
      path = canon;
    }
    Shadow& sh = shadows_[{ci, req.tx_id}];
    std::string answer(1, static_cast<char>(reply.h.type));
    answer += reply.payload;
    const bool is_error = reply.h.type == wire::error;
    switch (req.type) {
      case wire::read:
      case wire::directory:
      case wire::get_perms: {
        const auto key = std::make_pair(req.type, path);
        auto it = sh.find(key);
        if (it == sh.end()) {
          if (!(is_error && reply.payload == std::string("ENOSPC") + '\0')) sh[key] = Expect{false, false, answer};
          return;
        }
        const Expect& e = it->second;
        const bool eacces = is_error && reply.payload == std::string("EACCES") + '\0';
        const bool listed = std::ranges::find(e.or_replies, answer) != e.or_replies.end();
        const bool same = e.any_error ? is_error : (answer == e.reply || listed || (e.allow_eacces && eacces));
        if (!same)
          fail("a transaction's view changed under it",
               std::string(wire::type_name(req.type)) + " " + path + " tx " + std::to_string(req.tx_id) + " on conn " +
                   std::to_string(ci) + ": expected " + (e.any_error ? "an error" : e.reply.substr(1)) + ", got " +
                   answer.substr(1));
        return;
      }
      case wire::write:
      case wire::mkdir:
      case wire::rm:
      case wire::set_perms: {
        // Whatever it did (even failing), forget what was seen of the node, its parents and children.
        std::optional<Expect> parent_dir;
        if (path != "/")
          if (auto it = sh.find({wire::directory, std::string(parent_of(path))}); it != sh.end()) parent_dir = it->second;
        std::erase_if(sh, [&](const auto& kv) { return related(kv.first.second, path); });
        if (is_error) return;
        // Its own RM of a child takes exactly that name out of the parent's listing, or leaves the listing
        // as it was: an RM of a child missing from the transaction's view answers OK and changes nothing,
        // even when the parent's copy still lists it (C xenstored's do_rm). After several, any listing each
        // could have left: every acceptable one before, with and without the name.
        if (req.type == wire::rm && parent_dir && !parent_dir->any_error &&
            parent_dir->reply[0] == static_cast<char>(wire::directory)) {
          auto without = [&](const std::string& reply) {
            std::string listing(1, static_cast<char>(wire::directory));
            for (auto name : strings(std::string_view(reply).substr(1)))
              if (name != basename_of(path)) (listing += name) += '\0';
            return listing;
          };
          Expect after{false, parent_dir->allow_eacces, without(parent_dir->reply), {}};
          std::vector<std::string> before = parent_dir->or_replies;
          before.push_back(parent_dir->reply);
          for (const std::string& r : before)
            for (const std::string& option : {r, without(r)})
              if (option != after.reply && std::ranges::find(after.or_replies, option) == after.or_replies.end())
                after.or_replies.push_back(option);
          sh[{wire::directory, std::string(parent_of(path))}] = std::move(after);
        }
        if (req.type == wire::write) {
          const std::size_t nul = req.payload.find('\0');
          sh[{wire::read, path}] = Expect{false, !store_->privileged(c.conn->id()),
                                          std::string(1, static_cast<char>(wire::read)) + req.payload.substr(nul + 1)};
        } else if (req.type == wire::rm && path != "/") {
          sh[{wire::read, path}] = Expect{true, false, {}};
          sh[{wire::directory, path}] = Expect{true, false, {}};
          sh[{wire::get_perms, path}] = Expect{true, false, {}};
        }
        return;
      }
      default: return;
    }
  }

  void check_store() {
    const Store& s = *store_;
    const std::uint64_t gen = s.generation();
    if (gen < last_generation_)
      fail("the store's generation went back", std::to_string(last_generation_) + " -> " + std::to_string(gen));
    last_generation_ = gen;
    if (!s.peek("/")) fail("a node that is always there is missing", "/");
    for (const char* special : {"@introduceDomain", "@releaseDomain"})  // permissions outside the tree
      if (!s.special_perms(special) || s.special_perms(special)->empty()) fail("special permissions missing", special);
    std::map<DomId, std::size_t> owned;
    for (const auto& [path, node] : s.nodes()) {
      if (node.perms.empty()) fail("node without permissions", path);
      ++owned[node.perms.front().domid];
      if (node.generation > gen)
        fail("node generation above the store's", path + " " + std::to_string(node.generation) + " > " + std::to_string(gen));
      std::set<std::string_view> seen;
      for (const auto& child : node.children) {
        if (!seen.insert(child).second) fail("child listed twice", path + " lists " + child);
        const std::string cp = path == "/" ? "/" + child : path + "/" + child;
        if (!s.peek(cp)) fail("listed child missing", path + " lists " + child);
      }
      if (is_special(path) || path == "/") continue;
      const Node* parent = s.peek(parent_of(path));
      if (!parent) fail("node without parent", path);
      std::size_t listed = 0;
      for (const auto& child : parent->children) listed += child == basename_of(path);
      if (listed != 1) fail("node not listed exactly once by its parent", path + " listed " + std::to_string(listed));
    }
    for (const auto& [d, n] : owned)
      if (s.owned_nodes(d) != n)
        fail("owned_nodes disagrees with a recount",
             "dom" + std::to_string(d) + " " + std::to_string(s.owned_nodes(d)) + " != " + std::to_string(n));
    for (DomId d : {0u, 1u, 5u, 6u, 7u, 9u})
      if (!owned.count(d) && s.owned_nodes(d) != 0)
        fail("owned_nodes counts nodes that do not exist", "dom" + std::to_string(d));
  }

  Input& in_;
  std::unique_ptr<Store> store_;  // declared before the clients: destroyed after them
  std::vector<Client> clients_;
  std::map<std::pair<std::size_t, TxId>, Shadow> shadows_;
  std::uint64_t last_generation_ = 0;
  std::uint32_t req_id_ = 0;
  const bool trace_ = std::getenv("XS_FUZZ_TRACE") != nullptr;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  Harness h(in);
  h.run();
  return 0;
}
