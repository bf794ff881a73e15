#include "backends/sim/blkback/sim_blkback.hpp"

#include <fmt/format.h>

#include "backends/sim/blkback/physical_device.hpp"
#include "world/visible_op.hpp"

namespace xenrace {
namespace {

constexpr std::string_view kDom0Home = "/local/domain/0/";

// Where a backend's daemon can be between steps, for the state cache (Scheduler::Rest).
enum RestSite : std::uint64_t { kProbing = 1, kHandling, kChanging };

// "/local/domain/0/backend/vbd/1/51712" -> "backend/vbd/1/51712", the xenbus device's nodename.
std::string_view nodename(std::string_view path) {
  if (path.substr(0, kDom0Home.size()) == kDom0Home) path.remove_prefix(kDom0Home.size());
  return path;
}

}  // namespace

SimBlockBackends::SimBlockBackends(Execution& ex, XenStore& xenstore, KernelBlockOpen& block)
    : ex_(ex), xenstore_(xenstore), loop_(block) {}

Errno SimBlockBackends::probe(std::string_view backend_path) {
  if (backends_.count(backend_path)) return EEXIST;
  Backend& be = backends_[std::string(backend_path)];
  be.path = std::string(backend_path);
  std::string_view name = nodename(backend_path);
  if (name.substr(0, 8) == "backend/") name.remove_prefix(8);
  ex_.spawn_daemon(fmt::format("blkback {}", name), [this, &be] { run(be); });
  return 0;
}

void SimBlockBackends::probe_as_created() {
  ex_.spawn_daemon("xenbus backend/vbd", [this] { watch_backend_tree(); });
}

void SimBlockBackends::watch_backend_tree() {
  constexpr std::string_view kRoot = "/local/domain/0/backend/vbd";
  // Not described for the state cache (no Scheduler::Rest): a scenario with this daemon takes no state keys.
  auto xs = xenstore_.connect(0);
  // xenbus_probe_node: only a device not probed yet, whose state is Initialising, is new.
  auto device_changed = [this, &xs](const std::string& device) {
    if (backends_.count(device)) return;
    auto state = xs->read(kNoTx, device + "/state");
    if (state.ok() && state.value == "1") probe(device);
  };
  xs->watch(std::string(kRoot), "backend");
  for (;;) {
    auto ev = xs->read_watch();
    if (!ev.ok()) continue;
    // xenbus_dev_changed: the device directory is the event path's first two components below the root.
    std::string_view rest = ev.value.path;
    const bool below = rest.size() > kRoot.size() + 1 && rest.substr(0, kRoot.size()) == kRoot;
    if (below) rest.remove_prefix(kRoot.size() + 1);
    const std::size_t domid_end = below ? rest.find('/') : std::string_view::npos;
    if (domid_end != std::string_view::npos) {
      device_changed(std::string(kRoot) + "/" + std::string(rest.substr(0, rest.find('/', domid_end + 1))));
      continue;
    }
    // The event at registration, or one for the root or a domain's directory: look at every device, as
    // xenbus_probe_devices does when the bus starts (the kernel's watch is older than any toolstack's write).
    auto domains = xs->directory(kNoTx, std::string(kRoot));
    if (!domains.ok()) continue;
    for (const auto& dom : domains.value) {
      auto devices = xs->directory(kNoTx, fmt::format("{}/{}", kRoot, dom));
      if (!devices.ok()) continue;
      for (const auto& dev : devices.value) device_changed(fmt::format("{}/{}/{}", kRoot, dom, dev));
    }
  }
}

std::optional<ExportedDisk> SimBlockBackends::exported(std::string_view backend_path) const {
  auto it = backends_.find(backend_path);
  return it == backends_.end() ? std::nullopt : it->second.exported;
}

void SimBlockBackends::run(Backend& be) {
  // For the state cache: between events the daemon's stack holds nothing but which event it handles and
  // what it read of it; the rest is its Backend (hash_state).
  Scheduler& sched = ex_.sched();
  auto xs = [&] {
    Scheduler::Rest probing(sched, kProbing);
    auto conn = xenstore_.connect(0);
    // xen_blkbk_probe
    if (writes_opened()) conn->write(kNoTx, be.path + "/opened", "0");
    conn->watch(be.path + "/physical-device", "physical-device");
    conn->watch(be.path + "/online", "online");  // the xenbus core's removal path, reduced to this node
    conn->write(kNoTx, be.path + "/state", "2");  // XenbusStateInitWait
    return conn;
  }();
  for (;;) {
    Scheduler::Rest handling(sched, kHandling);
    auto ev = xs->read_watch();
    if (!ev.ok()) continue;
    handling.keep(ev.value.token);
    if (ev.value.token == "physical-device") {
      backend_changed(be, *xs);
    } else if (ev.value.token == "online") {
      auto online = xs->read(kNoTx, be.path + "/online");
      if (!online.ok() || online.value != "0") continue;
      xs->write(kNoTx, be.path + "/state", "6");  // XenbusStateClosed, then device_unregister
      if (be.ref >= 0) {
        loop_.kernel_close(be.ref);  // xen_vbd_free -> blkdev_put
        be.ref = -1;
        if (be.exported) be.exported->released = true;
      }
      return;
    }
  }
}

void SimBlockBackends::fatal(Backend& be, XsConnection& xs, Errno err, const std::string& message) {
  // xenbus_dev_fatal: the error node under dom0's error/ tree, then Closing.
  xs.write(kNoTx, fmt::format("{}error/{}/error", kDom0Home, nodename(be.path)), fmt::format("{} {}", err, message));
  xs.write(kNoTx, be.path + "/state", "5");
}

void SimBlockBackends::backend_changed(Backend& be, XsConnection& xs) {
  // What this frame keeps across its points: the nodes it read (everything after is derived from them).
  Scheduler::Rest changing(ex_.sched(), kChanging, Scheduler::Rest::callee);
  auto text = xs.read(kNoTx, be.path + "/physical-device");
  if (!text.ok()) return;  // XENBUS_EXIST_ERR: the event at registration, before the script wrote it
  changing.keep(text.value);
  Result<PhysicalDevice> pd = diskseq_ == BlkbackDiskseq::in_physical_device
                                  ? parse_physical_device_with_diskseq(text.value)
                                  : parse_major_minor(text.value);
  if (!pd.ok()) {
    if (diskseq_ == BlkbackDiskseq::in_physical_device) {
      fatal(be, xs, pd.err, "reading physical-device");
    } else {  // xenbus_dev_error: an error node, no state change
      xs.write(kNoTx, fmt::format("{}error/{}/error", kDom0Home, nodename(be.path)),
               fmt::format("{} reading physical-device", pd.err));
    }
    return;
  }
  if (diskseq_ == BlkbackDiskseq::node) {
    auto seq = xs.read(kNoTx, be.path + "/diskseq");
    changing.keep(seq.ok(), seq.ok() ? seq.value : std::string());
    if (seq.ok()) {
      DiskseqError why;
      auto parsed = parse_diskseq(seq.value, &why);
      if (!parsed.ok()) {
        fatal(be, xs, why.err, why.message);
        return;
      }
      pd.value.diskseq = parsed.value;
    }
  }
  const PhysicalDevice want = pd.value;
  if (be.major || be.minor || be.diskseq) {
    if (be.major != want.major || be.minor != want.minor || be.diskseq != want.diskseq) {
      note_event(ex_, "blkback.warn",
                 fmt::format("changing physical device (from {:x}:{:x} to {:x}:{:x}) not supported.", be.major,
                             be.minor, want.major, want.minor),
                 "ignored");
    }
    return;
  }
  auto mode = xs.read(kNoTx, be.path + "/mode");
  changing.keep(mode.ok(), mode.err);  // its value is not used
  if (!mode.ok()) {
    fatal(be, xs, mode.err, "reading mode");
    return;
  }
  be.major = want.major;
  be.minor = want.minor;
  be.diskseq = want.diskseq;
  // xen_vbd_create: open by number, now.
  auto ref = loop_.kernel_open(want.major, want.minor);
  changing.keep(ref.ok(), ref.ok() ? ref.value : -1);  // the medium is the reference's (no scheduling point)
  Errno err = ref.ok() ? 0 : ENOENT;
  LoopMedium medium;
  if (ref.ok()) {
    medium = loop_.medium_of_ref(ref.value);
    if (want.diskseq != 0 && medium.diskseq != want.diskseq) {
      note_event(ex_, "blkback.warn",
                 fmt::format("device {:x}:{:x} has incorrect sequence number {:#x} (expected {:#x})", want.major,
                             want.minor, medium.diskseq, want.diskseq),
                 "ENODEV");
      changing.keep(ENODEV);  // decided before the put, acted on after it
      loop_.kernel_close(ref.value);
      err = ENODEV;
    }
  }
  if (err) {
    fatal(be, xs, err, "creating vbd structure");
    be.major = be.minor = 0;
    be.diskseq = 0;
    return;
  }
  be.ref = ref.value;
  be.exported = ExportedDisk{want.major, want.minor, medium.bound, medium.backing_file, medium.file, medium.diskseq, false};
  if (writes_opened()) xs.write(kNoTx, be.path + "/opened", "1");
  xs.write(kNoTx, be.path + "/state", "4");  // connect(): XenbusStateConnected
}

void SimBlockBackends::hash_state(StateHasher& h) const {
  h.add(static_cast<int>(diskseq_));
  h.add(backends_.size());
  for (const auto& [path, be] : backends_) {
    h.add(path);
    h.add(be.major);
    h.add(be.minor);
    h.add(be.diskseq);
    h.add(be.ref);
    h.add(be.exported.has_value());
    if (!be.exported) continue;
    const ExportedDisk& e = *be.exported;
    h.add(e.major);
    h.add(e.minor);
    h.add(e.has_medium);
    h.add(e.backing_file);
    h.add(e.file.dev);
    h.add(e.file.ino);
    h.add(e.diskseq);
    h.add(e.released);
  }
}

}  // namespace xenrace
