#include "backends/dom0/cleanup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "backends/dom0/host_ops.hpp"
#include "backends/dom0/ledger.hpp"
#include "backends/dom0/real_pci_device.hpp"
#include "backends/dom0/real_vbd.hpp"
#include "backends/dom0/xs_handle.hpp"

namespace xenrace::dom0 {
namespace {

constexpr int kBlkbackReleaseWaitMs = 10000;  // xenwatch unregisters the device; generous under TCG

std::string read_run_id(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // magic, checked by read_ledger
  while (std::getline(in, line))
    if (line.rfind("run\t", 0) == 0) return line.substr(4, line.find('\t', 4) - 4);
  throw std::runtime_error(path + " names no run");
}

bool names_run(const std::string& path, const std::string& run_id) {
  return path.find("/" + run_id + "/") != std::string::npos ||
         (path.size() > run_id.size() && path.compare(path.size() - run_id.size(), run_id.size(), run_id) == 0 &&
          path[path.size() - run_id.size() - 1] == '/');
}

CleanupItem undo(const LedgerEntry& e, const std::string& run_id) {
  CleanupItem item;
  auto field = [&](std::size_t i) -> const std::string& {
    static const std::string empty;
    return i < e.fields.size() ? e.fields[i] : empty;
  };
  auto refuse = [&](std::string why) {
    item.result = "left alone: " + why;
    item.ok = false;
    return item;
  };
  auto outcome = [&](int err, int gone_err) {
    if (err == 0)
      item.result = "removed";
    else if (err == gone_err || err == ENOENT)
      item.result = "already gone";
    else {
      item.result = fmt::format("failed: {}", std::strerror(err));
      item.ok = false;
    }
    return item;
  };
  if (e.kind == "xs-tree") {
    item.what = "xenstore " + field(0);
    if (!names_run(field(0), run_id)) return refuse("the path does not end in the run id " + run_id);
    const std::string socket = field(1) == "-" ? std::string() : field(1);
    XsHandle h(socket);
    if (!h) return outcome(h.open_error(), -1);
    return outcome(h.rm(field(0)), ENOENT);
  }
  if (e.kind == "xs-parent") {
    // A parent of the run's subtrees that the run brought into being: removed only while empty, in one
    // transaction, so another run's node written meanwhile makes the commit fail (EAGAIN) and is kept.
    item.what = "xenstore " + field(0);
    const std::string socket = field(1) == "-" ? std::string() : field(1);
    XsHandle h(socket);
    if (!h) return outcome(h.open_error(), -1);
    for (int attempt = 0; attempt < 8; ++attempt) {
      Result<TxId> tx = h.transaction_start();
      if (!tx.ok()) return outcome(tx.err, -1);
      Result<std::vector<std::string>> children = h.directory(tx.value, field(0));
      if (!children.ok()) {
        h.transaction_end(tx.value, false);
        return outcome(children.err, ENOENT);
      }
      if (!children.value.empty()) {
        h.transaction_end(tx.value, false);
        item.result = fmt::format("kept: {} other node(s) below it", children.value.size());
        return item;
      }
      if (Errno e = h.rm(field(0), tx.value)) {
        h.transaction_end(tx.value, false);
        return outcome(e, ENOENT);
      }
      const Errno committed = h.transaction_end(tx.value, true);
      if (committed != EAGAIN) return outcome(committed, ENOENT);
    }
    return outcome(EAGAIN, -1);
  }
  if (e.kind == "file" || e.kind == "dir") {
    item.what = e.kind + " " + field(0);
    if (!names_run(field(0), run_id)) return refuse("the path does not carry the run id " + run_id);
    return outcome(e.kind == "file" ? (::unlink(field(0).c_str()) == 0 ? 0 : errno)
                                    : (::rmdir(field(0).c_str()) == 0 ? 0 : errno),
                   ENOENT);
  }
  if (e.kind == "loop") {
    item.what = fmt::format("loop {} (backing {})", field(0), field(1));
    int index = -1;
    if (!parse_loop_path(field(0), index)) return refuse("not a loop device path");
    if (!names_run(field(1), run_id)) return refuse("its backing file does not carry the run id " + run_id);
    std::string bound;
    int err = loop_backing_file(index, bound);
    if (err == ENXIO || err == ENODEV) return outcome(ENOENT, ENOENT);  // unbound or gone: nothing of ours
    if (err) return outcome(err, -1);
    // "(deleted)" is appended when the backing file was unlinked while bound.
    if (bound != field(1) && bound != field(1) + " (deleted)")
      return outcome(ENOENT, ENOENT);  // reused by someone else since: not ours any more
    return outcome(loop_clear(index), ENXIO);
  }
  if (e.kind == "loop-in") {
    // Devices another program (the host's block script) bound to the run's files: found by their backing file.
    item.what = fmt::format("loop devices bound to files in {}", field(0));
    if (!names_run(field(0), run_id)) return refuse("the directory does not carry the run id " + run_id);
    std::vector<std::string> cleared, failed;
    for (const auto& [index, file] : loops_bound_in(field(0))) {
      const int err = loop_clear(index);
      if (err == 0 || err == ENXIO)
        cleared.push_back(loop_path(index));
      else
        failed.push_back(fmt::format("{}: {}", loop_path(index), std::strerror(err)));
    }
    if (!failed.empty()) {
      item.result = fmt::format("failed: {}", fmt::join(failed, ", "));
      item.ok = false;
    } else {
      item.result = cleared.empty() ? "already gone" : fmt::format("removed {}", fmt::join(cleared, ", "));
    }
    return item;
  }
  if (e.kind == kRealVbdLedgerKind) {
    // A real backend path carries no run id: its xenrace-run marker says whose it is.
    try {
      return remove_real_vbd(RealVbdPaths::from_ledger(e.fields), run_id, kBlkbackReleaseWaitMs);
    } catch (const std::exception& ex) {
      item.what = "xenstore " + field(0);
      return refuse(ex.what());
    }
  }
  if (e.kind == kPciDeviceLedgerKind) {
    // A device carries no run id: the entry is the run's record of what it was before the run's writes.
    try {
      return restore_pci_device(PciDeviceRecord::from_ledger(e.fields));
    } catch (const std::exception& ex) {
      item.what = "pci " + field(1);
      return refuse(ex.what());
    }
  }
  if (e.kind == "mdev") {
    item.what = "mdev " + field(0);
    return outcome(write_file("/sys/bus/mdev/devices/" + field(0) + "/remove", "1"), ENOENT);
  }
  if (e.kind == "pci-slot") {
    item.what = "pciback slot " + field(0);
    return outcome(write_file("/sys/bus/pci/drivers/pciback/remove_slot", field(0)), ENOENT);
  }
  item.what = e.kind;
  return refuse("unknown kind (made by a newer xenrace?)");
}

}  // namespace

CleanupReport clean_up_ledger(const std::string& ledger_path) {
  std::vector<LedgerEntry> entries = read_ledger(ledger_path);
  CleanupReport report;
  report.run_id = read_run_id(ledger_path);
  int fd = ::open(ledger_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->released) continue;
    CleanupItem item = undo(*it, report.run_id);
    if (item.ok && fd >= 0) {
      const std::string line = fmt::format("released\t{}\n", it->id);
      if (::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) ::fsync(fd);
    }
    report.items.push_back(std::move(item));
  }
  if (fd >= 0) ::close(fd);
  return report;
}

std::string format_cleanup(const CleanupReport& r) {
  // What was already gone (each execution's subtree, removed when the execution ended) is a tally, not a
  // list: an interrupted run of many executions would otherwise print one identical line for each.
  std::size_t gone = 0;
  const CleanupItem* first_gone = nullptr;
  const CleanupItem* last_gone = nullptr;
  std::string listed;
  for (const auto& i : r.items) {
    if (i.ok && i.result == "already gone") {
      if (gone++ == 0) first_gone = &i;
      last_gone = &i;
      continue;
    }
    listed += fmt::format("  {}: {}\n", i.what, i.result);
  }
  std::string out = fmt::format("cleanup of run {}: {} item(s)\n", r.run_id, r.items.size());
  out += listed;
  if (gone == 1) out += fmt::format("  {}: already gone\n", first_gone->what);
  if (gone > 1)
    out += fmt::format("  {} items already gone ({} ... {})\n", gone, first_gone->what, last_gone->what);
  return out;
}

}  // namespace xenrace::dom0
