#include "harness/cli/dom0_options.hpp"

namespace xenrace::cli {

void Dom0Options::add_to(CLI::App& cmd) {
  cmd.add_option("--config", config, "dom0 config file (default /etc/xenrace/dom0.conf if present)");
  cmd.add_option("--xenstored-path", xenstored_path, "Socket for libxenstore (sets XENSTORED_PATH)");
  cmd.add_option("--blkback", blkback,
                 "simulated (fakes/blkback as a driven actor; default) | real (the host's xen-blkback, observed)");
  cmd.add_flag("--i-know-this-is-a-test-host", test_host, "Confirm that this host may be changed");
}

dom0::Dom0Config Dom0Options::load() const {
  dom0::Dom0Config c = dom0::load_config(config);
  if (test_host) {
    c.test_host = true;
    c.source = "--i-know-this-is-a-test-host";
  }
  if (!xenstored_path.empty()) c.xenstored_path = xenstored_path;
  if (!blkback.empty()) c.blkback = dom0::parse_blkback(blkback, "--blkback");
  return c;
}

}  // namespace xenrace::cli
