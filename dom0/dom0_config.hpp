// What a dom0 run may touch, and the explicit consent that the host is a test host. Read from a config
// file (default /etc/xenrace/dom0.conf when it exists, or --config FILE), plus command-line overrides.
//
//   # /etc/xenrace/dom0.conf
//   test_host = yes                           # this machine may be changed by xenrace runs
//   xenstored_path = /run/xenrace/xs.sock     # XENSTORED_PATH for libxenstore (default: its own)
//   xenstore_root = /local/domain/0/xenrace   # runs live in ROOT/RUN-ID/...
//   work_dir = /var/tmp/xenrace               # ledgers, and backing files under WORK_DIR/RUN-ID/
//   allow_domain_management = no              # xenstore introduce/release (only against xenrace's own server)
//   allow_pci = 0000:03:00.0                  # PCI functions pciback may be given (repeatable)
//   allow_mdev_parent = 0000:00:02.0          # mdev parents on which mdevs may be created (repeatable)
//   blkback = simulated                       # simulated: fakes/blkback as a driven actor (default);
//                                             # real: the host's xen-blkback, observed (needs a Xen dom0)
//
// Loop devices need no allowance: a run only binds devices it obtained from LOOP_CTL_GET_FREE to backing
// files it created itself, and only ever detaches those.
#pragma once
#include <string>
#include <vector>

namespace xenrace::dom0 {

struct Dom0Config {
  bool test_host = false;
  std::string source = "built-in defaults";  // where the settings came from, for messages
  std::string xenstored_path;
  std::string xenstore_root = "/local/domain/0/xenrace";
  std::string work_dir = "/var/tmp/xenrace";
  bool allow_domain_management = false;
  std::vector<std::string> allow_pci;
  std::vector<std::string> allow_mdev_parent;
  // Which xen-blkback serves the run's vbd backends. The run's XenStore nodes live in its own subtree, which
  // the host's xen-blkback never watches, so "simulated" is safe on any host (and replays step for step);
  // "real" puts the vbd backends where the host's driver sees them and observes what it opens.
  enum class Blkback { simulated, real };
  Blkback blkback = Blkback::simulated;
};

// "simulated" / "real"; throws UsageError naming `where` for anything else.
Dom0Config::Blkback parse_blkback(const std::string& value, const std::string& where);

inline constexpr const char* kDefaultConfigPath = "/etc/xenrace/dom0.conf";

// Parses `text` (the file's contents) over `base`. Throws UsageError naming the line on a bad key or value.
Dom0Config parse_config(const std::string& text, const std::string& source, Dom0Config base = {});
// Reads `path`; an empty path reads kDefaultConfigPath if it exists, else returns the defaults.
Dom0Config load_config(const std::string& path);
// Throws UsageError saying how to confirm, unless the host was declared a test host.
void require_test_host(const Dom0Config& config);

}  // namespace xenrace::dom0
