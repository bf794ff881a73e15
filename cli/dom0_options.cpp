#include "cli/dom0_options.hpp"

namespace xenrace::cli {
namespace {

// A word the shell reads back unchanged: bare when it is made of safe characters, else single-quoted.
std::string shell_word(const std::string& w) {
  const bool bare = !w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                      "0123456789_./:=@%+,-") == std::string::npos;
  if (bare) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void Dom0Options::add_to(CLI::App& cmd) {
  cmd.add_option("--config", config, "dom0 config file (default /etc/xenrace/dom0.conf if present)");
  cmd.add_option("--xenstored-path", xenstored_path, "Socket for libxenstore (sets XENSTORED_PATH)");
  cmd.add_option("--blkback", blkback,
                 "simulated (backends/sim/blkback as a driven actor; default) | real (the host's xen-blkback, observed)");
  cmd.add_option("--block-script", block_script,
                 "modelled (the scenario's steps of the block script; default) | real (the host's "
                 "/etc/xen/scripts/block, run as libxl runs it; needs --blkback real)");
  cmd.add_option("--pciback", pciback,
                 "simulated (backends/sim/pci's sysfs over simulated devices; default) | real (the host's pciback sysfs on "
                 "the --allow-pci devices)");
  cmd.add_option("--allow-pci", allow_pci,
                 "A host PCI function (DDDD:BB:SS.F) the run may give to pciback; repeatable, used in order; replaces "
                 "the config's allow_pci");
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
  if (!pciback.empty()) c.pciback = dom0::parse_pciback(pciback, "--pciback");
  if (!block_script.empty()) c.block_script = dom0::parse_block_script(block_script, "--block-script");
  if (!allow_pci.empty()) {
    c.allow_pci.clear();
    for (const auto& bdf : allow_pci) c.allow_pci.push_back(dom0::parse_allowed_pci(bdf, "--allow-pci"));
  }
  dom0::check_config(c);
  return c;
}

std::string Dom0Options::arguments() const {
  std::string out;
  if (!config.empty()) out += " --config " + shell_word(config);
  if (!xenstored_path.empty()) out += " --xenstored-path " + shell_word(xenstored_path);
  if (!blkback.empty()) out += " --blkback " + shell_word(blkback);
  if (!pciback.empty()) out += " --pciback " + shell_word(pciback);
  if (!block_script.empty()) out += " --block-script " + shell_word(block_script);
  for (const auto& bdf : allow_pci) out += " --allow-pci " + shell_word(bdf);
  if (test_host) out += " --i-know-this-is-a-test-host";
  return out;
}

}  // namespace xenrace::cli
