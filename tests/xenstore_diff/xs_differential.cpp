// xs_differential: the differential fidelity check of the simulated XenStore (issue 9).
//
// From a seed, generates a sequence of XenStore operations and runs it through the real
// libxenstore against whatever server XENSTORED_PATH (or the default socket) points to: C
// xenstored, oxenstored, or `xenrace serve-xenstore`. It prints a canonical log, one block per
// operation: the operation, its result or errno name, and the watch events each handle received
// after it. Two servers are faithful to each other for a seed when their logs are equal, and
// `xs_differential --compare A B` lists the operations whose blocks differ.
//
// Determinism: the sequence depends only on the seed; transaction ids are renamed T1, T2... in
// start order; paths are printed relative to the per-run prefix (shown as P). Watch events are
// drained after every operation by a barrier (a request on each handle: a connection's replies
// and events arrive in order, so once the barrier's reply is in, every event queued before it has
// been received) followed by a quiet period on xs_fileno() with poll(). Event order per handle is
// recorded, timing is not. Directory listings keep the server's raw order.
//
// Over the Unix socket every client is dom0 and privileged: permissions are set and read back,
// but their enforcement against an unprivileged domain cannot be exercised (XS_RESTRICT is gone
// from 4.17, and libxenstore's xs_restrict() is a stub).
extern "C" {  // xenstore.h has no C++ guards
#include <xenstore.h>
}

#include <poll.h>

#include <algorithm>
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
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ------------------------------------------------------------------ deterministic generator

class Rng {
 public:
  // The seed goes through the finaliser first: splitmix64 states one increment apart would give
  // seed N+1 the sequence of seed N shifted by one draw.
  explicit Rng(uint64_t seed) : s_(mix(seed ^ 0x632BE59BD9B4E019ull)) {}
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t next() { return mix(s_ += 0x9E3779B97F4A7C15ull); }  // splitmix64
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  bool chance(int pct) { return below(100) < pct; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(below(static_cast<int>(v.size())))]; }

 private:
  uint64_t s_;
};

// ------------------------------------------------------------------ formatting

std::string errno_name(int e) {
  switch (e) {
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EIO: return "EIO";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    case EROFS: return "EROFS";
    case EBUSY: return "EBUSY";
    case EAGAIN: return "EAGAIN";
    case EISCONN: return "EISCONN";
    case E2BIG: return "E2BIG";
    case EPERM: return "EPERM";
    case EBADF: return "EBADF";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    default: return "errno" + std::to_string(e);
  }
}

uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

std::string quote(std::string_view v) {
  if (v.size() > 64) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "<%zu bytes fnv %08x>", v.size(), fnv1a(v));
    return buf;
  }
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string perms_to_string(const xs_permissions* p, unsigned n) {
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    if (i) out += ',';
    unsigned t = p[i].perms;
    switch (t & (XS_PERM_READ | XS_PERM_WRITE)) {
      case XS_PERM_READ: out += 'r'; break;
      case XS_PERM_WRITE: out += 'w'; break;
      case XS_PERM_READ | XS_PERM_WRITE: out += 'b'; break;
      default: out += 'n'; break;
    }
    out += std::to_string(p[i].id);
    unsigned extra = t & ~static_cast<unsigned>(XS_PERM_READ | XS_PERM_WRITE);
    if (extra) out += "+flags" + std::to_string(extra);
  }
  return out;
}

// ------------------------------------------------------------------ the run

struct Perm {
  unsigned id;
  char kind;  // n r w b
};

struct Handle {
  std::string name;
  xs_handle* h = nullptr;
  int fd = -1;
  std::set<std::pair<std::string, std::string>> watches;  // (path as given, token)
};

class Run {
 public:
  Run(uint64_t seed, int ops, std::string prefix, int drain_ms, std::ostream& out)
      : rng_(seed), seed_(seed), ops_(ops), prefix_(std::move(prefix)), drain_ms_(drain_ms), out_(out) {}

  int main() {
    ha_.name = "ha";
    hb_.name = "hb";
    ha_.h = xs_open(0);
    hb_.h = xs_open(0);
    if (!ha_.h || !hb_.h) {
      std::cerr << "xs_differential: xs_open failed: " << std::strerror(errno)
                << " (XENSTORED_PATH=" << (std::getenv("XENSTORED_PATH") ? std::getenv("XENSTORED_PATH") : "unset")
                << ")\n";
      return 2;
    }
    // xs_fileno starts libxenstore's reader thread and its event pipe up front.
    ha_.fd = xs_fileno(ha_.h);
    hb_.fd = xs_fileno(hb_.h);
    out_ << "# xs_differential seed=" << seed_ << " ops=" << ops_ << " prefix=" << prefix_ << " (shown as P)\n";
    xs_rm(ha_.h, XBT_NULL, prefix_.c_str());  // leftovers of an interrupted run: not logged

    begin_op();
    log_bool(ha_, 0, "mkdir P", xs_mkdir(ha_.h, XBT_NULL, prefix_.c_str()));
    end_op();
    // hb watches the whole prefix for the whole run: every change, committed transaction and
    // removal shows up as events, in the server's order.
    begin_op();
    do_watch(hb_, prefix_, "all");
    end_op();
    for (int i = 0; i < ops_; ++i) step();

    // Cleanup, logged: removing the prefix fires the watches still registered under it.
    begin_op();
    log_bool(ha_, 0, "rm P", xs_rm(ha_.h, XBT_NULL, prefix_.c_str()));
    end_op();
    begin_op();
    do_read(ha_, 0, prefix_);
    end_op();
    // The parent /xenrace-diff goes too when no other run uses it (not logged).
    std::string parent = prefix_.substr(0, prefix_.rfind('/'));
    if (!parent.empty()) {
      unsigned n = 0;
      char** d = xs_directory(ha_.h, XBT_NULL, parent.c_str(), &n);
      if (d && n == 0) xs_rm(ha_.h, XBT_NULL, parent.c_str());
      std::free(d);
    }
    xs_close(ha_.h);
    xs_close(hb_.h);
    return 0;
  }

 private:
  // ---- log helpers
  std::string show(const std::string& path) const {
    std::string s = path;
    if (path.compare(0, prefix_.size(), prefix_) == 0 &&
        (path.size() == prefix_.size() || path[prefix_.size()] == '/'))
      s = "P" + path.substr(prefix_.size());
    if (s.size() > 96) {  // the over-long path case: its start, length and hash
      char buf[64];
      std::snprintf(buf, sizeof buf, "...<%zu chars fnv %08x>", s.size(), fnv1a(s));
      s = s.substr(0, 24) + buf;
    }
    return s;
  }
  std::string head(const Handle& h, xs_transaction_t t) {
    std::string s = h.name;
    if (t != XBT_NULL) {
      auto it = tx_names_.find({h.name, t});
      s += "[" + (it == tx_names_.end() ? std::string("T-unknown") : it->second) + "]";
    }
    return s;
  }
  void line(const std::string& s) {
    char idx[16];
    std::snprintf(idx, sizeof idx, "%04d ", op_);
    out_ << idx << s << '\n';
  }
  void log_bool(const Handle& h, xs_transaction_t t, const std::string& what, bool ok) {
    int e = errno;
    line(head(h, t) + " " + what + " -> " + (ok ? std::string("ok") : errno_name(e)));
  }

  void begin_op() { ++op_; }
  // Barrier + quiet period on both handles; events printed per handle, in arrival order.
  void end_op() {
    for (Handle* h : {&ha_, &hb_}) {
      unsigned n = 0;
      char** r = xs_directory(h->h, XBT_NULL, "/", &n);  // barrier: its reply follows every earlier event
      std::free(r);
      for (;;) {
        char** ev = xs_check_watch(h->h);
        if (!ev) {
          pollfd p{h->fd, POLLIN, 0};
          if (poll(&p, 1, drain_ms_) <= 0) break;
          continue;
        }
        line("  ev " + h->name + " " + show(ev[XS_WATCH_PATH]) + " " + ev[XS_WATCH_TOKEN]);
        std::free(ev);
      }
    }
    out_.flush();
  }

  // ---- paths, values, permissions
  std::string rand_rel() {
    static const std::vector<std::string> l1{"a", "b", "c"}, l2{"x", "y"}, l3{"p", "q"};
    std::string s = "/" + rng_.pick(l1);
    int depth = 1 + rng_.below(3);
    if (depth >= 2) s += "/" + rng_.pick(l2);
    if (depth >= 3) s += "/" + rng_.pick(l3);
    return s;
  }
  std::string rand_path() {
    if (rng_.chance(4)) return prefix_;
    return prefix_ + rand_rel();
  }
  std::string rand_value() {
    switch (rng_.below(10)) {
      case 0: return "";
      case 1: return std::string("bin\0\x01\xff", 6);
      case 2: return std::string(3000, 'x');
      case 3: return "with space";
      default: return "v" + std::to_string(rng_.below(100));
    }
  }
  std::vector<Perm> rand_perms() {
    static const std::vector<unsigned> owners{0, 0, 1, 5};
    static const std::vector<unsigned> others{0, 1, 5, 7};
    static const std::string kinds = "nrwb";
    std::vector<Perm> p;
    p.push_back({rng_.pick(owners), kinds[static_cast<size_t>(rng_.below(4))]});
    int extra = rng_.below(3);
    for (int i = 0; i < extra; ++i) p.push_back({rng_.pick(others), kinds[static_cast<size_t>(rng_.below(4))]});
    return p;
  }
  std::string rand_token() { return "t" + std::to_string(rng_.below(6)); }
  Handle& rand_handle() { return rng_.chance(65) ? ha_ : hb_; }
  Handle& other(const Handle& h) { return &h == &ha_ ? hb_ : ha_; }

  // ---- single operations (each logs one line; the caller brackets with begin_op/end_op)
  void do_read(Handle& h, xs_transaction_t t, const std::string& path) {
    unsigned len = 0;
    char* v = static_cast<char*>(xs_read(h.h, t, path.c_str(), &len));
    int e = errno;
    line(head(h, t) + " read " + show(path) + " -> " + (v ? quote(std::string_view(v, len)) : errno_name(e)));
    std::free(v);
  }
  void do_write(Handle& h, xs_transaction_t t, const std::string& path, const std::string& value) {
    log_bool(h, t, "write " + show(path) + " " + quote(value),
             xs_write(h.h, t, path.c_str(), value.data(), static_cast<unsigned>(value.size())));
  }
  void do_mkdir(Handle& h, xs_transaction_t t, const std::string& path) {
    log_bool(h, t, "mkdir " + show(path), xs_mkdir(h.h, t, path.c_str()));
  }
  void do_rm(Handle& h, xs_transaction_t t, const std::string& path) {
    log_bool(h, t, "rm " + show(path), xs_rm(h.h, t, path.c_str()));
  }
  void do_directory(Handle& h, xs_transaction_t t, const std::string& path) {
    unsigned n = 0;
    char** d = xs_directory(h.h, t, path.c_str(), &n);
    int e = errno;
    std::string r;
    if (d) {
      r = "[";
      for (unsigned i = 0; i < n; ++i) r += (i ? "," : "") + std::string(d[i]);
      r += "]";
    } else {
      r = errno_name(e);
    }
    line(head(h, t) + " directory " + show(path) + " -> " + r);
    std::free(d);
  }
  void do_get_perms(Handle& h, xs_transaction_t t, const std::string& path) {
    unsigned n = 0;
    xs_permissions* p = xs_get_permissions(h.h, t, path.c_str(), &n);
    int e = errno;
    line(head(h, t) + " get_perms " + show(path) + " -> " + (p ? perms_to_string(p, n) : errno_name(e)));
    std::free(p);
  }
  void do_set_perms(Handle& h, xs_transaction_t t, const std::string& path, const std::vector<Perm>& perms) {
    std::vector<xs_permissions> p;
    for (const Perm& q : perms) {
      xs_permissions x{};
      x.id = q.id;
      x.perms = q.kind == 'r' ? XS_PERM_READ
                : q.kind == 'w' ? XS_PERM_WRITE
                : q.kind == 'b' ? XS_PERM_READ | XS_PERM_WRITE
                                : XS_PERM_NONE;
      p.push_back(x);
    }
    bool ok = xs_set_permissions(h.h, t, path.c_str(), p.data(), static_cast<unsigned>(p.size()));
    int e = errno;
    errno = e;
    log_bool(h, t, "set_perms " + show(path) + " " + perms_to_string(p.data(), static_cast<unsigned>(p.size())), ok);
  }
  void do_watch(Handle& h, const std::string& path, const std::string& token) {
    bool ok = xs_watch(h.h, path.c_str(), token.c_str());
    int e = errno;
    if (ok) h.watches.insert({path, token});
    errno = e;
    log_bool(h, 0, "watch " + show(path) + " " + token, ok);
  }
  void do_unwatch(Handle& h, const std::string& path, const std::string& token) {
    bool ok = xs_unwatch(h.h, path.c_str(), token.c_str());
    int e = errno;
    if (ok) h.watches.erase({path, token});
    errno = e;
    log_bool(h, 0, "unwatch " + show(path) + " " + token, ok);
  }
  xs_transaction_t do_tx_start(Handle& h) {
    xs_transaction_t t = xs_transaction_start(h.h);
    int e = errno;
    if (t != XBT_NULL) {
      std::string name = "T" + std::to_string(++tx_count_);
      tx_names_[{h.name, t}] = name;
      line(h.name + " tx_start -> " + name);
    } else {
      line(h.name + " tx_start -> " + errno_name(e));
    }
    return t;
  }
  void do_tx_end(Handle& h, xs_transaction_t t, bool abort) {
    bool ok = xs_transaction_end(h.h, t, abort);
    int e = errno;
    errno = e;
    log_bool(h, t, abort ? "tx_abort" : "tx_commit", ok);
    tx_names_.erase({h.name, t});  // ids are per connection (C xenstored) and may come again
  }

  // A random data operation, inside transaction t or not.
  void random_data_op(Handle& h, xs_transaction_t t) {
    std::string p = rand_path();
    switch (rng_.below(8)) {
      case 0:
      case 1: {
        std::string v = rand_value();
        do_write(h, t, p, v);
        break;
      }
      case 2: do_read(h, t, p); break;
      case 3: do_mkdir(h, t, p); break;
      case 4: do_rm(h, t, p == prefix_ ? prefix_ + rand_rel() : p); break;  // keep the prefix itself
      case 5: do_directory(h, t, p); break;
      case 6: do_get_perms(h, t, p); break;
      default: do_set_perms(h, t, p, rand_perms()); break;
    }
  }

  // ---- the operation mix
  void step() {
    int k = rng_.below(100);
    // Every random draw is its own statement: argument evaluation order is unspecified.
    if (k < 53) {
      Handle& h = rand_handle();
      std::string p = k < 30 || k >= 36 ? rand_path() : prefix_ + rand_rel();
      begin_op();
      if (k < 14) do_write(h, 0, p, rand_value());
      else if (k < 24) do_read(h, 0, p);
      else if (k < 30) do_mkdir(h, 0, p);
      else if (k < 36) do_rm(h, 0, p);
      else if (k < 44) do_directory(h, 0, p);
      else if (k < 48) do_get_perms(h, 0, p);
      else do_set_perms(h, 0, p, rand_perms());
      end_op();
    } else if (k < 60) {
      watch_op();
    } else if (k < 72) {
      tx_block();
    } else if (k < 78) {
      conflict_block();
    } else if (k < 82) {
      two_tx_block();
    } else if (k < 86) {
      tx_missing_block();
    } else if (k < 92) {
      invalid_op();
    } else if (k < 94) {
      domain_op();
    } else if (k < 97) {
      perms_block();
    } else {
      subtree_block();
    }
  }

  void watch_op() {
    Handle& h = rand_handle();
    begin_op();
    if (!h.watches.empty() && rng_.chance(30)) {
      auto it = h.watches.begin();
      std::advance(it, rng_.below(static_cast<int>(h.watches.size())));
      auto w = *it;
      do_unwatch(h, w.first, w.second);
    } else if (rng_.chance(5)) {
      std::string p = rand_path();
      do_unwatch(h, p, rand_token());  // usually unknown: ENOENT
    } else if (rng_.chance(6)) {
      do_watch(h, rng_.chance(50) ? "@introduceDomain" : "@releaseDomain", rand_token());
    } else {
      std::string p = rand_path();
      do_watch(h, p, rand_token());  // may repeat a (path, token): EEXIST
    }
    end_op();
  }

  // A transaction with 1-4 operations, maybe an outside operation, then commit or abort.
  void tx_block() {
    Handle& h = rand_handle();
    begin_op();
    xs_transaction_t t = do_tx_start(h);
    end_op();
    if (t == XBT_NULL) return;
    int n = 1 + rng_.below(4);
    for (int i = 0; i < n; ++i) {
      begin_op();
      random_data_op(h, t);
      end_op();
      if (rng_.chance(20)) {  // an outside operation in the middle of the transaction
        Handle& o = rng_.chance(70) ? other(h) : h;
        begin_op();
        random_data_op(o, 0);
        end_op();
      }
    }
    begin_op();
    do_tx_end(h, t, rng_.chance(15));
    end_op();
  }

  // The textbook conflict: the transaction reads (or writes) a node, someone else writes it
  // (or, sometimes, an untouched node, or creates a sibling), then the commit.
  void conflict_block() {
    Handle& h = rand_handle();
    Handle& o = rng_.chance(80) ? other(h) : h;
    std::string node = prefix_ + rand_rel();
    begin_op();
    xs_transaction_t t = do_tx_start(h);
    end_op();
    if (t == XBT_NULL) return;
    begin_op();
    if (rng_.chance(50)) {
      do_read(h, t, node);
    } else {
      std::string v = rand_value();
      do_write(h, t, node, v);
    }
    end_op();
    std::string second = prefix_ + rand_rel();
    std::string v2 = rand_value();
    begin_op();
    do_write(h, t, second, v2);
    end_op();
    begin_op();
    switch (rng_.below(4)) {
      case 0:
      case 1: do_write(o, 0, node, "outside"); break;                 // touched node: EAGAIN
      case 2: do_write(o, 0, prefix_ + "/c/y/q", "untouched"); break;  // maybe untouched
      default: do_mkdir(o, 0, node.substr(0, node.rfind('/')) + "/sib"); break;  // a sibling
    }
    end_op();
    begin_op();
    do_tx_end(h, t, false);
    end_op();
  }

  // Two transactions on two connections, interleaved, committed one after the other.
  void two_tx_block() {
    begin_op();
    xs_transaction_t t1 = do_tx_start(ha_);
    end_op();
    begin_op();
    xs_transaction_t t2 = do_tx_start(hb_);
    end_op();
    std::string shared = prefix_ + rand_rel();
    bool same = rng_.chance(60);
    if (t1 != XBT_NULL) {
      begin_op(); do_write(ha_, t1, shared, "from-T1"); end_op();
    }
    if (t2 != XBT_NULL) {
      begin_op();
      std::string p2 = same ? shared : prefix_ + rand_rel();
      do_write(hb_, t2, p2, "from-T2");
      end_op();
      begin_op(); do_read(hb_, t2, shared); end_op();
    }
    bool first_a = rng_.chance(50);
    for (int i = 0; i < 2; ++i) {
      bool a = (i == 0) == first_a;
      xs_transaction_t t = a ? t1 : t2;
      if (t == XBT_NULL) continue;
      begin_op(); do_tx_end(a ? ha_ : hb_, t, false); end_op();
    }
    begin_op(); do_read(ha_, 0, shared); end_op();
  }

  // A transaction reads a node that does not exist; the node is created outside (or not).
  void tx_missing_block() {
    Handle& h = rand_handle();
    std::string node = prefix_ + "/m" + std::to_string(rng_.below(3)) + "/n";
    begin_op();
    xs_transaction_t t = do_tx_start(h);
    end_op();
    if (t == XBT_NULL) return;
    begin_op(); do_read(h, t, node); end_op();
    begin_op(); do_directory(h, t, node.substr(0, node.rfind('/'))); end_op();
    if (rng_.chance(60)) {
      begin_op(); do_write(other(h), 0, node, "appeared"); end_op();
    }
    if (rng_.chance(50)) {
      begin_op(); do_write(h, t, prefix_ + "/m-other", "x"); end_op();
    }
    begin_op(); do_tx_end(h, t, false); end_op();
    begin_op(); do_rm(other(h), 0, node.substr(0, node.rfind('/'))); end_op();
  }

  // Malformed requests: the error codes must match.
  void invalid_op() {
    Handle& h = rand_handle();
    begin_op();
    switch (rng_.below(9)) {
      case 0: do_write(h, 0, prefix_ + "/bad char", "x"); break;
      case 1: do_write(h, 0, prefix_ + "/a/", "x"); break;
      case 2: do_read(h, 0, prefix_ + "//a"); break;
      case 3: do_write(h, 0, prefix_ + "/" + std::string(3100, 'L'), "x"); break;
      case 4: do_read(h, 0, "xenrace-diff-relative-missing"); break;
      case 5: do_read(h, 0x7ffffff0u, prefix_); break;  // unknown transaction id
      case 6: {
        xs_transaction_t t = 0x7ffffff1u;
        log_bool(h, 0, "tx_commit <unknown id>", xs_transaction_end(h.h, t, false));
        break;
      }
      case 7: do_mkdir(h, 0, prefix_ + "/a/b@c"); break;
      default: do_rm(h, 0, prefix_ + "/no/such/node"); break;
    }
    end_op();
  }

  void domain_op() {
    Handle& h = rand_handle();
    unsigned dom = rng_.chance(50) ? 0 : 3;
    begin_op();
    if (rng_.chance(50)) {
      char* p = xs_get_domain_path(h.h, dom);
      int e = errno;
      line(h.name + " get_domain_path " + std::to_string(dom) + " -> " + (p ? quote(p) : errno_name(e)));
      std::free(p);
    } else {
      bool r = xs_is_domain_introduced(h.h, dom);
      line(h.name + " is_domain_introduced " + std::to_string(dom) + " -> " + (r ? "true" : "false"));
    }
    end_op();
  }

  // Permissions on a node that exists: set, read back, inherited by a new child, and the
  // change of owner (all as dom0, which the socket makes every client).
  void perms_block() {
    Handle& h = rand_handle();
    std::string node = prefix_ + "/perm" + std::to_string(rng_.below(2));
    std::vector<Perm> p = rand_perms();
    begin_op(); do_write(h, 0, node, "p"); end_op();
    begin_op(); do_set_perms(h, 0, node, p); end_op();
    begin_op(); do_get_perms(h, 0, node); end_op();
    begin_op(); do_write(other(h), 0, node + "/child", "c"); end_op();
    begin_op(); do_get_perms(h, 0, node + "/child"); end_op();
    begin_op(); do_read(other(h), 0, node + "/child"); end_op();
    if (rng_.chance(50)) {
      begin_op(); do_rm(h, 0, node); end_op();
    }
  }

  // A watched subtree is filled, listed, then removed as a whole.
  void subtree_block() {
    Handle& w = rand_handle();
    Handle& h = rand_handle();
    std::string top = prefix_ + "/s" + std::to_string(rng_.below(2));
    begin_op(); do_watch(w, top, "sub"); end_op();
    begin_op(); do_write(h, 0, top + "/k1/leaf", "1"); end_op();
    begin_op(); do_write(h, 0, top + "/k2", "2"); end_op();
    begin_op(); do_mkdir(h, 0, top + "/k0"); end_op();
    begin_op(); do_directory(h, 0, top); end_op();
    begin_op(); do_rm(h, 0, top); end_op();
    if (rng_.chance(50)) {
      begin_op(); do_unwatch(w, top, "sub"); end_op();
    }
  }

  Rng rng_;
  uint64_t seed_;
  int ops_;
  std::string prefix_;
  int drain_ms_;
  std::ostream& out_;
  int op_ = -1;
  int tx_count_ = 0;
  std::map<std::pair<std::string, xs_transaction_t>, std::string> tx_names_;
  Handle ha_, hb_;
};

// ------------------------------------------------------------------ comparing two logs

using Blocks = std::map<int, std::vector<std::string>>;

std::optional<Blocks> load(const std::string& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  Blocks b;
  std::string l;
  while (std::getline(in, l)) {
    if (l.size() < 5 || l[0] == '#') continue;
    b[std::atoi(l.substr(0, 4).c_str())].push_back(l.substr(5));
  }
  return b;
}

// The same block up to the order of directory listings (C xenstored lists children in
// insertion order, oxenstored sorted).
std::string sorted_listings(std::string s) {
  auto arrow = s.find(" directory ");
  auto lb = s.rfind(" -> [");
  if (arrow == std::string::npos || lb == std::string::npos || s.back() != ']') return s;
  std::string inner = s.substr(lb + 5, s.size() - lb - 6);
  std::vector<std::string> items;
  std::stringstream ss(inner);
  std::string it;
  while (std::getline(ss, it, ',')) items.push_back(it);
  std::sort(items.begin(), items.end());
  std::string r;
  for (size_t i = 0; i < items.size(); ++i) r += (i ? "," : "") + items[i];
  return s.substr(0, lb + 5) + r + "]";
}

int compare(const std::string& expected_file, const std::string& got_file, const std::string& label) {
  auto a = load(expected_file), b = load(got_file);
  if (!a || !b) {
    std::cout << label << ": cannot read " << (!a ? expected_file : got_file) << "\n";
    return 2;
  }
  std::set<int> ops;
  for (auto& [k, v] : *a) ops.insert(k);
  for (auto& [k, v] : *b) ops.insert(k);
  int diverging = 0, order_only = 0;
  std::ostringstream detail;
  for (int op : ops) {
    const auto& x = (*a)[op];
    const auto& y = (*b)[op];
    if (x == y) continue;
    bool same_sorted = x.size() == y.size();
    for (size_t i = 0; same_sorted && i < x.size(); ++i) same_sorted = sorted_listings(x[i]) == sorted_listings(y[i]);
    ++diverging;
    if (same_sorted) ++order_only;
    char idx[16];
    std::snprintf(idx, sizeof idx, "%04d", op);
    detail << "  op " << idx << (same_sorted ? " (directory order only)" : "") << ":\n";
    for (auto& l : x) detail << "    - " << l << "\n";
    for (auto& l : y) detail << "    + " << l << "\n";
  }
  std::cout << label << ": " << diverging << " diverging operations of " << ops.size();
  if (order_only) std::cout << " (" << order_only << " only in directory order)";
  std::cout << "\n" << detail.str();
  return diverging ? 1 : 0;
}

int usage(int rc) {
  (rc ? std::cerr : std::cout)
      << "Usage: xs_differential [--seed N] [--ops N] [--prefix PATH] [--drain-ms MS]\n"
         "         runs a generated sequence through libxenstore against XENSTORED_PATH (or the\n"
         "         default socket) and prints the canonical log (default: seed 1, 60 steps,\n"
         "         prefix /xenrace-diff/<seed>, 5 ms quiet period after each barrier)\n"
         "       xs_differential --compare EXPECTED.log GOT.log [--label TEXT]\n"
         "         lists the operations whose blocks differ; exit 0 if none, 1 if some\n";
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  int ops = 60, drain_ms = 5;
  std::string prefix, label = "compare";
  std::vector<std::string> cmp;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) std::exit(usage(2));
      return argv[++i];
    };
    if (a == "--seed") seed = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--ops") ops = std::atoi(val().c_str());
    else if (a == "--prefix") prefix = val();
    else if (a == "--drain-ms") drain_ms = std::atoi(val().c_str());
    else if (a == "--label") label = val();
    else if (a == "--compare") { cmp.push_back(val()); cmp.push_back(val()); }
    else if (a == "-h" || a == "--help") return usage(0);
    else return usage(2);
  }
  if (!cmp.empty()) return compare(cmp[0], cmp[1], label);
  if (prefix.empty()) prefix = "/xenrace-diff/" + std::to_string(seed);
  Run run(seed, ops, prefix, drain_ms, std::cout);
  return run.main();
}
