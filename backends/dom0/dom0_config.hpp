// What a dom0 run may touch, and the explicit consent that the host is a test host. Read from a config
// file (default /etc/xenrace/dom0.conf when it exists, or --config FILE), plus command-line overrides.
//
//   # /etc/xenrace/dom0.conf
//   test_host = yes                           # this machine may be changed by xenrace runs
//   xenstored_path = /run/xenrace/xs.sock     # XENSTORED_PATH for libxenstore (default: its own)
//   xenstore_root = /local/domain/0/xenrace   # runs live in ROOT/RUN-ID/...
//   work_dir = /var/tmp/xenrace               # ledgers, and backing files under WORK_DIR/RUN-ID/
//   allow_domain_management = no              # xenstore introduce/release (only against xenrace's own server)
//   allow_pci = 0000:03:00.0                  # PCI functions pciback may be given (repeatable; used in order)
//   allow_mdev_parent = 0000:00:02.0          # mdev parents on which mdevs may be created (repeatable)
//   blkback = simulated                       # simulated: backends/sim/blkback as a driven actor (default);
//                                             # real: the host's xen-blkback, observed (needs a Xen dom0)
//   pciback = simulated                       # simulated: backends/sim/pci's sysfs over simulated devices (default);
//                                             # real: the host's pciback sysfs on the allow_pci devices
//   block_script = modelled                   # modelled: the scenario's own steps of the block script (default);
//                                             # real: the host's script runs (needs blkback = real)
//   block_script_path = /etc/xen/scripts/block  # the script `block_script = real` runs (tests point it elsewhere)
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
  // Whose pciback sysfs files (new_slot, bind, ...) the run's PCI devices go through. "simulated" never
  // touches a host PCI device; "real" writes the host's, only for the allow_pci devices, and puts them back.
  // The xenbus half (and the guest's pcifront) is the simulator's either way: there is no guest.
  enum class Pciback { simulated, real };
  Pciback pciback = Pciback::simulated;
  // Who plays the block hotplug script's `add`: the scenario's model of its steps (losetup, xenstore writes,
  // each a visible operation), or the host's own script (block_script_path), run as libxl runs it. The real
  // script writes physical-device at the real backend path for the host's xen-blkback: it needs blkback = real.
  enum class BlockScript { modelled, real };
  BlockScript block_script = BlockScript::modelled;
  std::string block_script_path = "/etc/xen/scripts/block";
  // Where sysfs is mounted. Not a config key: tests point it at a temporary tree.
  std::string sysfs_root = "/sys";
};

// "simulated" / "real"; throws UsageError naming `where` for anything else.
Dom0Config::Blkback parse_blkback(const std::string& value, const std::string& where);

// "modelled" / "real"; throws UsageError naming `where` for anything else.
Dom0Config::BlockScript parse_block_script(const std::string& value, const std::string& where);

// "simulated" / "real"; throws UsageError naming `where` for anything else.
Dom0Config::Pciback parse_pciback(const std::string& value, const std::string& where);
// `value` as a canonical PCI function ("0000:00:01.0"; "00:01.0" means domain 0); throws UsageError naming
// `where` for anything else (a wildcard, junk, a field out of range).
std::string parse_allowed_pci(const std::string& value, const std::string& where);
// Throws UsageError when the settings contradict each other: pciback = real with no allow_pci, or a device
// allowed twice, block_script = real without blkback = real. Call once the file and the command line are both applied.
void check_config(const Dom0Config& config);

inline constexpr const char* kDefaultConfigPath = "/etc/xenrace/dom0.conf";

// Parses `text` (the file's contents) over `base`. Throws UsageError naming the line on a bad key or value.
Dom0Config parse_config(const std::string& text, const std::string& source, Dom0Config base = {});
// Reads `path`; an empty path reads kDefaultConfigPath if it exists, else returns the defaults.
Dom0Config load_config(const std::string& path);
// Throws UsageError saying how to confirm, unless the host was declared a test host.
void require_test_host(const Dom0Config& config);

}  // namespace xenrace::dom0
