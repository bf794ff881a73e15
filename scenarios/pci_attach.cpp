// pci-attach: parallel `xl pci-attach` (two by default; `--param attaches=N` for up to six) run at the same
// time against one running PV guest (or a stubdomain: both run xen-pcifront), each hot-adding a different,
// assignable PCI device: 0000:04:00.0, 0000:05:00.0, ... in order.
//
// The real bug. libxl's libxl__device_pci_add_xenstore (tools/libs/light/libxl_pci.c) reads the
// backend's num_devs outside any transaction and outside the per-domain userdata lock, decides on it
// whether to create the backend and which index N to use, waits for the backend, and only then takes
// the lock and retries a transaction that rewrites the same precomputed dev-N on EAGAIN. Threads:
// "[PATCH v2] libxl: Fix stubdom PCI passthrough" (Jason Andryuk, Ian Jackson, xen-devel, August 2021;
// ../shared/seeds/001). Commits: 0fdb48ffe7a1 "libxl: Make sure devices added by pci-attach are
// reflected in the config" moved the backend creation into the transaction but left
// libxl__wait_for_backend before it, so every hot-add to a PV domain without a PCI backend failed with
// "Backend ... does not exist"; 73ee2795aa (2022) guarded the wait with `num_devs &&`, which is today's
// code and still carries Ian Jackson's TOCTOU. Facts: ../shared/docs/fidelity.md §2.
//
// The code paths, step by step (each XenStore access is a visible operation of the attaching actor; the
// userdata lock's acquire and release are too; libxl__wait_for_backend polls be_path/state up to 100
// times, sleeping 100 ms of virtual time in between, and fails with "Backend <be_path> does not exist"
// when the node is missing):
//   libxl 0fdb48ffe7a1  read num_devs; wait_for_backend(4) always (running PV guest); lock; transaction
//                       { create the backend if there was no num_devs; write dev-N... }; EAGAIN: retry
//                       the same writes; unlock.
//   libxl 73ee2795aa    the same, but wait only when num_devs was there (today's libxl).
//   fixed               lock; transaction { read num_devs, and the backend's and frontend's state,
//                       inside it; backend there but either end not Connected: abort, wait for 4,
//                       start again; create the backend if missing; write dev-N... }; EAGAIN: start
//                       again, re-reading; wait for both ends to be 4 after the add; unlock.
//
// What the simulator found beyond the thread: waiting for the *backend* to be Connected (all that
// libxl__wait_for_backend looks at) is not enough. pciback goes to 4 as soon as it sees pcifront
// Initialised; pcifront reaches 4 only when its xenwatch thread handles that change. If the next hot-add
// writes state=7 in between, pcifront reads 7 while still Initialised, pcifront_detach_devices ignores
// it (it acts only when Connected), and the backend stays Reconfiguring for ever. So the fix also waits
// for the frontend (variant buggy-backend-wait-only shows the hazard).
//
// Variants (the guest either has no PCI device yet, or booted with 0000:03:00.0 at dev-0):
//   buggy                   73ee2795aa, first devices: both see no num_devs, both create the backend
//                           (xs_rm + mkdir), and the second wipes the first's dev-0.
//   buggy-existing-backend  73ee2795aa, the guest has one device: both compute N=1, the second
//                           overwrites the first's dev-1 (without EAGAIN when serialised by the lock).
//   buggy-0fdb48ffe7a1      the regression: waiting for a backend nobody created yet.
//   buggy-backend-wait-only the fix without the frontend wait, first devices.
//   fixed, fixed-existing-backend: the same starting points with the fix.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <xenrace/scenario.hpp>
#include "toolstack/flock.hpp"
#include "toolstack/pv_pci_guest.hpp"
#include "world/pci.hpp"
#include "world/world.hpp"
#include "world/xenstore.hpp"

namespace xenrace::scenario_pci_attach {  // names of its own (CI builds in unity batches)
namespace {

using pv_pci_guest::kBackendPath;
using pv_pci_guest::kBootDevice;
using pv_pci_guest::kFrontendPath;
using pv_pci_guest::kGuest;
using pv_pci_guest::kGuestName;
constexpr int kFirstAttachBus = 0x04;  // the attaches hot-add 0000:04:00.0, 0000:05:00.0, ...
constexpr int kMaxAttaches = 6;
constexpr VirtualTime kPollInterval = 100'000'000;  // libxl__wait_for_backend: usleep(100000)
constexpr int kPollAttempts = 100;

enum class LibxlCode {
  after_0fdb48ffe7a1,  // wait for the backend first, always
  after_73ee2795aa,    // wait for the backend first, when num_devs was there (today's libxl)
  backend_wait_only,   // reads in the transaction, but only the backend's state is waited for
  fixed,               // reads in the transaction, both ends waited for
};

// What one execution shares: the world's parts, the guest's libxl-json config, the attaches' outcomes.
struct AttachState {
  AttachState(Execution& ex, World& world) : ex(ex), world(world),
        lock(ex, {"libxl.lock_domain_userdata", "libxl.unlock_domain_userdata", "dom1", "libxl userdata lock of dom1"}) {}
  Execution& ex;
  World& world;
  FlockLock lock;  // libxl__lock_domain_userdata
  std::unique_ptr<XsConnection> observer;  // used by invariants only (never scheduled)
  std::vector<std::string> initial;        // devices the guest booted with
  std::vector<std::string> config;         // libxl-json pcidevs of the domain
  std::vector<std::string> attached;       // BDFs whose `xl pci-attach` succeeded
  std::vector<std::string> committed;      // BDFs whose dev-N a transaction committed
  std::vector<std::string> failures;       // "xl pci-attach BDF: message"
  std::string missing_backend;             // the first "Backend ... does not exist" failure
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// One `xl pci-attach 1 <bdf>`: libxl_device_pci_add for a running PV domain, down to
// libxl__device_pci_add_xenstore, in the chosen code.
class PciAttach {
 public:
  PciAttach(AttachState& st, LibxlCode code, std::string bdf) : st_(st), code_(code), bdf_(std::move(bdf)) {}

  void run() {
    xs_ = st_.world.xenstore().connect(0);
    std::string error = attach();
    if (error.empty()) {
      st_.attached.push_back(bdf_);
      return;
    }
    st_.failures.push_back(fmt::format("xl pci-attach {} {}: {}", kGuest, bdf_, error));
    if (error.find("does not exist") != std::string::npos && st_.missing_backend.empty())
      st_.missing_backend = st_.failures.back();
  }

 private:
  std::string attach() {
    // libxl_pci_assignable: the device must be bound to pciback (xl pci-assignable-add). Described: the other
    // attaches may run their whole course before this first step.
    auto drv = [&] {
      Scheduler::Rest starting(st_.ex.sched(), rest_point(kStartPath));
      return st_.world.pci().driver(bdf_);
    }();
    if (!drv.ok() || drv.value != "pciback") return fmt::format("PCI device {} is not assignable", bdf_);
    const bool released = code_ == LibxlCode::after_0fdb48ffe7a1 || code_ == LibxlCode::after_73ee2795aa;
    return released ? add_xenstore_as_released() : add_xenstore_in_transaction();
  }

  // libxl__device_pci_add_xenstore as 0fdb48ffe7a1 and 73ee2795aa left it (fidelity.md §2.1).
  std::string add_xenstore_as_released() {
    auto num_devs = xs_->read(kNoTx, fmt::format("{}/num_devs", kBackendPath));  // outside everything
    const bool backend_exists = num_devs.ok();
    // libxl__domain_type: PV. Not starting: the guest runs.
    // What this path keeps on its stack across its waits: whether the backend was there, and num_devs.
    const std::uint64_t here = rest_point(kReleasedPath, backend_exists, backend_exists ? num_devs.value : "");
    if (backend_exists || code_ == LibxlCode::after_0fdb48ffe7a1)
      if (auto err = wait_for_backend(false, here); !err.empty()) return err;
    const int num = backend_exists ? std::atoi(num_devs.value.c_str()) : 0;
    KeyValues back = device_entries(num);
    {
      Scheduler::Rest waiting(st_.ex.sched(), here);
      st_.lock.acquire();
    }
    for (;;) {
      Result<TxId> t = xs_->transaction_start();
      if (!t.ok()) return unlock_with(fmt::format("xs_transaction_start: {}", errno_name(t.err)));
      store_config();
      if (!backend_exists) create_backend(t.value);
      writev(t.value, kBackendPath, back);
      Errno err = xs_->transaction_end(t.value, true);
      if (err == EAGAIN) continue;  // retried with the same, precomputed entries
      if (err) return unlock_with(fmt::format("xs_transaction_end: {}", errno_name(err)));
      break;
    }
    st_.committed.push_back(bdf_);
    st_.lock.release();
    return {};
  }

  // The fix the thread asks for: every read inside the transaction loop, wait after the add. The wait
  // covers the frontend too (fixed): pciback reaching Connected does not mean pcifront has seen it, and
  // pcifront_detach_devices ignores a Reconfiguring backend unless the frontend is Connected.
  std::string add_xenstore_in_transaction() {
    const bool with_frontend = code_ == LibxlCode::fixed;
    {
      Scheduler::Rest waiting(st_.ex.sched(), rest_point(kLockInTransactionPath));
      st_.lock.acquire();
    }
    for (;;) {
      // One pass of the loop, described for the state cache: the operations begun in it place the attach on its
      // way through the transaction, and what it read there decides the branches (kept as it is read).
      Scheduler::Rest pass(st_.ex.sched(), rest_point(kTransactionPath));
      Result<TxId> t = xs_->transaction_start();
      pass.keep(t.ok(), t.value);
      if (!t.ok()) return unlock_with(fmt::format("xs_transaction_start: {}", errno_name(t.err)));
      auto num_devs = xs_->read(t.value, fmt::format("{}/num_devs", kBackendPath));
      pass.keep(num_devs.ok(), num_devs.value);
      const bool backend_exists = num_devs.ok();
      if (backend_exists) {
        auto state = xs_->read(t.value, fmt::format("{}/state", kBackendPath));
        bool connected = state.ok() && state.value == "4";
        pass.keep(connected);
        if (connected && with_frontend) {
          auto front = xs_->read(t.value, fmt::format("{}/state", kFrontendPath));
          connected = front.ok() && front.value == "4";
          pass.keep(connected);
        }
        if (!connected) {
          // Another reconfiguration is under way: let it finish, then look again.
          xs_->transaction_end(t.value, false);
          if (auto err = wait_for_backend(with_frontend, rest_point(kRetryWaitPath)); !err.empty())
            return unlock_with(err);
          continue;
        }
      }
      const int num = backend_exists ? std::atoi(num_devs.value.c_str()) : 0;
      store_config();
      if (!backend_exists) create_backend(t.value);
      writev(t.value, kBackendPath, device_entries(num));
      Errno err = xs_->transaction_end(t.value, true);
      pass.keep(err);
      if (err == EAGAIN) continue;
      if (err) return unlock_with(fmt::format("xs_transaction_end: {}", errno_name(err)));
      break;
    }
    st_.committed.push_back(bdf_);
    // Hot-add is done when pciback (and pcifront) are Connected again.
    if (auto err = wait_for_backend(with_frontend, rest_point(kAddedWaitPath)); !err.empty())
      return unlock_with(err);
    Scheduler::Rest releasing(st_.ex.sched(), rest_point(kReleasePath));
    st_.lock.release();
    return {};
  }

  // libxl_create_pci_backend_device plus num_devs and, for a hot-add to an existing backend, state=7.
  KeyValues device_entries(int num) const {
    KeyValues kv = {
        {fmt::format("key-{}", num), bdf_},
        {fmt::format("dev-{}", num), bdf_},
        {fmt::format("opts-{}", num), "msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict"},
        {fmt::format("state-{}", num), "1"},
        {"num_devs", std::to_string(num + 1)},
    };
    if (num) kv.emplace_back("state", "7");  // Reconfiguring
    return kv;
  }

  // libxl__create_pci_backend -> libxl__device_generic_add: rm, mkdir, permissions, entries; front first.
  void create_backend(TxId t) {
    xs_->rm(t, kFrontendPath);
    xs_->mkdir(t, kFrontendPath);
    xs_->set_perms(t, kFrontendPath, {{XsPerm::Access::none, kGuest}, {XsPerm::Access::read, 0}});
    writev(t, kFrontendPath, {{"backend", kBackendPath}, {"backend-id", "0"}, {"state", "1"}});
    xs_->rm(t, kBackendPath);
    xs_->mkdir(t, kBackendPath);
    xs_->set_perms(t, kBackendPath, {{XsPerm::Access::none, 0}, {XsPerm::Access::read, kGuest}});
    writev(t, kBackendPath,
           {{"frontend", kFrontendPath}, {"frontend-id", std::to_string(kGuest)}, {"online", "1"}, {"state", "1"},
            {"domain", kGuestName}});
  }

  void writev(TxId t, const std::string& dir, const KeyValues& kv) {
    for (const auto& [key, value] : kv) xs_->write(t, fmt::format("{}/{}", dir, key), value);
  }

  // libxl__set_domain_configuration, inside the loop: the JSON gets this device (once).
  void store_config() {
    if (std::find(st_.config.begin(), st_.config.end(), bdf_) == st_.config.end()) st_.config.push_back(bdf_);
  }

  // The points an attach describes for the state cache (Scheduler::Rest): where it blocks, where it starts, each
  // pass of its transaction loop and its release. What the stack holds there is the site and the values passed
  // along (and, inside a pass, the values kept as they are read).
  enum RestPath : int {
    kReleasedPath = 1, kLockInTransactionPath, kRetryWaitPath, kAddedWaitPath, kTransactionPath, kReleasePath,
    kStartPath
  };
  static std::uint64_t rest_point(RestPath path, bool flag = false, std::string_view value = {}) {
    StateHasher h;
    h.add(static_cast<int>(path));
    h.add(flag);
    h.add(value);
    return h.key().a;
  }

  // libxl__wait_for_backend(be_path, "4"), libxl_device.c; `with_frontend`: the frontend's state too.
  // `caller`: the rest point of the code that called it (what it does once this returns).
  std::string wait_for_backend(bool with_frontend, std::uint64_t caller) {
    const std::string path = fmt::format("{}/state", kBackendPath);
    std::string front_state;
    // Each poll's look and its sleep is a point the attach describes for the state cache: the caller, the
    // attempts left, the frontend's state last seen, and which of the three it is at.
    auto rest = [&](int watchdog, int which) {
      StateHasher at;
      at.add(caller);
      at.add(watchdog);
      at.add(front_state);
      at.add(which);
      return at.key().a;
    };
    for (int watchdog = kPollAttempts; watchdog > 0; --watchdog) {
      auto p = [&] {
        Scheduler::Rest looking(st_.ex.sched(), rest(watchdog, 0));
        return xs_->read_one_of(path, {"4"});  // acts only on "4", another value, or missing
      }();
      if (!p.ok() && p.err != ENOENT) return fmt::format("reading {}: {}", path, errno_name(p.err));
      if (!p.ok()) return fmt::format("libxl__wait_for_backend: Backend {} does not exist", kBackendPath);
      if (p.value == "4") {
        if (!with_frontend) return {};
        auto f = [&] {
          Scheduler::Rest looking(st_.ex.sched(), rest(watchdog, 1));
          return xs_->read_one_of(fmt::format("{}/state", kFrontendPath), {"4"});
        }();
        front_state = f.ok() ? f.value : errno_name(f.err);
        if (front_state == "4") return {};
      }
      Scheduler::Rest sleeping(st_.ex.sched(), rest(watchdog, 2));
      st_.ex.sched().sleep(kPollInterval);
    }
    if (!front_state.empty()) return fmt::format("frontend {} not connected (state {})", kFrontendPath, front_state);
    return fmt::format("libxl__wait_for_backend: Backend {} not ready", kBackendPath);
  }

  std::string unlock_with(std::string error) {
    st_.lock.release();
    return error;
  }

  AttachState& st_;
  LibxlCode code_;
  std::string bdf_;
  std::unique_ptr<XsConnection> xs_;
};

// --- setup: toolstack/pv_pci_guest.hpp ---

using pv_pci_guest::coldplugged_backend;
using pv_pci_guest::create_guest;
using pv_pci_guest::make_assignable;

// --- invariants ---

std::string check_slots(AttachState& st) {
  XsConnection& xs = *st.observer;
  std::vector<std::string> expected = st.initial;
  expected.insert(expected.end(), st.committed.begin(), st.committed.end());
  const std::string num_text = read_or(xs, fmt::format("{}/num_devs", kBackendPath), "");
  const int num = num_text.empty() ? 0 : std::atoi(num_text.c_str());
  std::vector<std::string> slots;
  for (int i = 0; i < num; ++i) slots.push_back(read_or(xs, fmt::format("{}/dev-{}", kBackendPath, i), "(missing)"));
  auto listing = [&] {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < slots.size(); ++i) parts.push_back(fmt::format("dev-{}={}", i, slots[i]));
    return parts.empty() ? std::string("no dev-N at all") : fmt::format("{}", fmt::join(parts, ", "));
  };
  for (const auto& bdf : expected)
    if (std::count(slots.begin(), slots.end(), bdf) != 1)
      return fmt::format(
          "xl pci-attach {} {} committed it and the domain's config lists it, but {} has {} for it ({}, num_devs={}): "
          "another attach's writes replaced its entry",
          kGuest, bdf, kBackendPath, std::count(slots.begin(), slots.end(), bdf) ? "two dev-N" : "no dev-N", listing(),
          num_text.empty() ? "missing" : num_text);
  if (num != static_cast<int>(expected.size()))
    return fmt::format("num_devs is {} but {} devices were attached ({})", num, expected.size(), listing());
  return {};
}

std::string state_name(const std::string& value) {
  static const char* const kNames[] = {"Unknown",   "Initialising", "InitWait",      "Initialised", "Connected",
                                       "Closing",   "Closed",       "Reconfiguring", "Reconfigured"};
  int v = value.empty() || value.size() > 1 ? -1 : value[0] - '0';
  return v >= 0 && v <= 8 ? fmt::format("{} ({})", value, kNames[v]) : value;
}

std::string check_connected(AttachState& st) {
  XsConnection& xs = *st.observer;
  if (st.initial.empty() && st.committed.empty()) return {};
  const std::string be = read_or(xs, fmt::format("{}/state", kBackendPath), "missing");
  const std::string fe = read_or(xs, fmt::format("{}/state", kFrontendPath), "missing");
  if (be != "4" || fe != "4")
    return fmt::format("after every attach finished, backend state is {} and frontend state is {}, not 4 (Connected): "
                       "pciback and pcifront never finished the hot-plug",
                       state_name(be), state_name(fe));
  const int num = std::atoi(read_or(xs, fmt::format("{}/num_devs", kBackendPath), "0").c_str());
  for (int i = 0; i < num; ++i) {
    const std::string sub = read_or(xs, fmt::format("{}/state-{}", kBackendPath, i), "missing");
    if (sub != "3")
      return fmt::format("state-{} is {}, not 3: pciback never exported dev-{} ({}) to the guest", i, sub, i,
                         read_or(xs, fmt::format("{}/dev-{}", kBackendPath, i), "missing"));
  }
  return {};
}

struct VariantSetup {
  LibxlCode code;
  bool existing_backend;
};

VariantSetup setup_for(std::string_view variant) {
  if (variant == "buggy") return {LibxlCode::after_73ee2795aa, false};
  if (variant == "buggy-existing-backend") return {LibxlCode::after_73ee2795aa, true};
  if (variant == "buggy-0fdb48ffe7a1") return {LibxlCode::after_0fdb48ffe7a1, false};
  if (variant == "buggy-backend-wait-only") return {LibxlCode::backend_wait_only, false};
  if (variant == "fixed") return {LibxlCode::fixed, false};
  if (variant == "fixed-existing-backend") return {LibxlCode::fixed, true};
  throw UsageError(fmt::format("pci-attach has no variant '{}'", variant));
}

XENRACE_SCENARIO({
    .name = "pci-attach",
    .description = "Parallel `xl pci-attach` (two by default) on one running PV guest: libxl reads num_devs outside its "
        "transaction and waits for a backend that may not exist yet.",
    .source = "\"libxl: Fix stubdom PCI passthrough\" (xen-devel, Aug 2021); regression 0fdb48ffe7a1, guard 73ee2795aa",
    .tags = {"xenstore", "pci", "libxl"},
    .variants = {
        {"buggy", Expect::fail, "libxl 73ee2795aa, first devices: the second backend creation (xs_rm) wipes the first"},
        {"buggy-existing-backend", Expect::fail,
         "libxl 73ee2795aa, guest has one device: both attaches take dev-1, one overwrites the other"},
        {"buggy-0fdb48ffe7a1", Expect::fail,
         "libxl 0fdb48ffe7a1: waits for backend state 4 before creating the backend"},
        {"buggy-backend-wait-only", Expect::fail,
         "reads inside the transaction, but waits for the backend only: the next hot-add's Reconfiguring reaches a "
         "pcifront that never saw Connected"},
        {"fixed", Expect::pass, "reads inside the transaction loop, wait after the add for both ends: first devices"},
        {"fixed-existing-backend", Expect::pass,
         "reads inside the transaction loop, wait after the add: guest has one device"},
    },
    .default_iterations = 1000,  // pct finds the slowest bug (backend-wait-only) in at most ~300
    .max_steps = 20000,
    .params = {integer_param("attaches", 2,
                             "how many `xl pci-attach` run in parallel, each hot-adding its own device "
                             "(0000:04:00.0, 0000:05:00.0, ...)",
                             2, kMaxAttaches)},
}) {
  Execution& ex = race.ex;
  World& world = race.world;
  const std::string_view variant = race.variant;
  const VariantSetup setup = setup_for(variant);
  auto& st = ex.make<AttachState>(ex, world);
  st.observer = world.xenstore().connect(0);
  XsConnection& xs = *st.observer;
  PciBack& pci = world.pci();

  // The devices the attaches hot-add, one each: 0000:04:00.0, 0000:05:00.0, ... (bus 0x04 onwards).
  const int attaches = race.param<int>("attaches");
  std::vector<std::string> bdfs;
  for (int i = 0; i < attaches; ++i) bdfs.push_back(fmt::format("0000:{:02x}:00.0", kFirstAttachBus + i));

  create_guest(xs);
  for (const std::string& bdf : bdfs) make_assignable(pci, bdf);
  if (setup.existing_backend) {
    make_assignable(pci, kBootDevice);
    coldplugged_backend(xs, kBootDevice);
    st.initial = {kBootDevice};
    st.config = {kBootDevice};
  }
  pci.start_xenbus_drivers(kGuest);

  for (const std::string& bdf : bdfs) {
    auto& attach = ex.make<PciAttach>(st, setup.code, bdf);
    ex.spawn(fmt::format("xl pci-attach {} {}", kGuest, bdf), [&attach] { attach.run(); });
  }

  // Everything the scenario keeps outside the world, for the state cache: the libxl-json config, the
  // outcomes so far and the userdata lock.
  ex.scenario_state([&st](StateHasher& h) {
    h.add_all(st.initial);
    h.add_all(st.config);
    h.add_all(st.attached);
    h.add_all(st.committed);
    h.add_all(st.failures);
    h.add(st.missing_backend);
    st.lock.hash_state(h);
    return true;
  });

  ex.always("no attach fails on a missing backend", [&st] {
    return st.missing_backend.empty()
               ? std::string()
               : st.missing_backend + " (the request was valid: the device is assignable and the guest runs)";
  });
  ex.at_end("each attached device has its own dev-N", [&st] { return check_slots(st); });
  ex.at_end("the guest is connected to every device", [&st] { return check_connected(st); });
  ex.at_end("every attach succeeds", [&st] {
    return st.failures.empty() ? std::string() : fmt::format("{}", fmt::join(st.failures, "; "));
  });
}

}  // namespace

}  // namespace xenrace::scenario_pci_attach
