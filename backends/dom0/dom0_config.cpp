#include "backends/dom0/dom0_config.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "backends/dom0/pci_sysfs.hpp"
#include "runtime/types.hpp"

namespace xenrace::dom0 {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool parse_bool(const std::string& v, const std::string& where) {
  if (v == "yes" || v == "true" || v == "1") return true;
  if (v == "no" || v == "false" || v == "0") return false;
  throw UsageError(fmt::format("{}: expected yes or no, got '{}'", where, v));
}

}  // namespace

Dom0Config::Blkback parse_blkback(const std::string& value, const std::string& where) {
  if (value == "simulated") return Dom0Config::Blkback::simulated;
  if (value == "real") return Dom0Config::Blkback::real;
  throw UsageError(fmt::format("{}: blkback must be 'simulated' or 'real', got '{}'", where, value));
}

Dom0Config::BlockScript parse_block_script(const std::string& value, const std::string& where) {
  if (value == "modelled") return Dom0Config::BlockScript::modelled;
  if (value == "real") return Dom0Config::BlockScript::real;
  throw UsageError(fmt::format("{}: block script must be 'modelled' or 'real', got '{}'", where, value));
}

Dom0Config::Pciback parse_pciback(const std::string& value, const std::string& where) {
  if (value == "simulated") return Dom0Config::Pciback::simulated;
  if (value == "real") return Dom0Config::Pciback::real;
  throw UsageError(fmt::format("{}: pciback must be 'simulated' or 'real', got '{}'", where, value));
}

std::string parse_allowed_pci(const std::string& value, const std::string& where) {
  std::string bdf = canonical_bdf(value);
  if (bdf.empty())
    throw UsageError(fmt::format("{}: '{}' is not a PCI function (expected DDDD:BB:SS.F in hex, e.g. 0000:00:01.0)",
                                 where, value));
  return bdf;
}

void check_config(const Dom0Config& c) {
  for (std::size_t i = 0; i < c.allow_pci.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (c.allow_pci[i] == c.allow_pci[j])
        throw UsageError(fmt::format("allow_pci: {} is given twice ({}); each host device can stand for one scenario "
                                     "device only",
                                     c.allow_pci[i], c.source));
  if (c.pciback == Dom0Config::Pciback::real && c.allow_pci.empty())
    throw UsageError(fmt::format("pciback = real needs at least one host PCI device the run may use: --allow-pci BDF or "
                                 "'allow_pci = BDF' in the config ({})",
                                 c.source));
  // The real script writes physical-device where the host's xen-blkback reads it; with the simulated driver
  // the run's backend is in its private subtree, so nothing would ever open what the script set up.
  if (c.block_script == Dom0Config::BlockScript::real && c.blkback != Dom0Config::Blkback::real)
    throw UsageError(fmt::format("block script = real needs blkback = real (--blkback real --block-script real): the "
                                 "host's block script writes physical-device at the real backend path for the host's "
                                 "xen-blkback, and the simulated blkback's backend lives in the run's own subtree ({})",
                                 c.source));
}

Dom0Config parse_config(const std::string& text, const std::string& source, Dom0Config c) {
  c.source = source;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string where = fmt::format("{}:{}", source, n);
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw UsageError(where + ": expected KEY = VALUE");
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "test_host")
      c.test_host = parse_bool(value, where);
    else if (key == "xenstored_path")
      c.xenstored_path = value;
    else if (key == "xenstore_root") {
      if (value.size() < 2 || value[0] != '/' || value.back() == '/')
        throw UsageError(where + ": xenstore_root must be an absolute path without a trailing '/'");
      c.xenstore_root = value;
    } else if (key == "work_dir") {
      if (value.empty() || value[0] != '/') throw UsageError(where + ": work_dir must be an absolute path");
      c.work_dir = value;
    } else if (key == "allow_domain_management")
      c.allow_domain_management = parse_bool(value, where);
    else if (key == "allow_pci")
      c.allow_pci.push_back(parse_allowed_pci(value, where + ": allow_pci"));
    else if (key == "allow_mdev_parent")
      c.allow_mdev_parent.push_back(value);
    else if (key == "blkback")
      c.blkback = parse_blkback(value, where);
    else if (key == "pciback")
      c.pciback = parse_pciback(value, where);
    else if (key == "block_script")
      c.block_script = parse_block_script(value, where);
    else if (key == "block_script_path") {
      if (value.empty() || value[0] != '/') throw UsageError(where + ": block_script_path must be an absolute path");
      c.block_script_path = value;
    }
    else
      throw UsageError(fmt::format("{}: unknown setting '{}'", where, key));
  }
  return c;
}

Dom0Config load_config(const std::string& path) {
  const std::string p = path.empty() ? kDefaultConfigPath : path;
  if (path.empty() && ::access(p.c_str(), F_OK) != 0) return {};
  std::ifstream in(p);
  if (!in) throw UsageError("cannot read dom0 config " + p);
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), p);
}

void require_test_host(const Dom0Config& config) {
  if (config.test_host) return;
  throw UsageError(fmt::format(
      "refusing to run on this host: a dom0 run creates loop devices, backing files and xenstore nodes and may "
      "race the host's own toolstack. If this is a disposable test host, pass --i-know-this-is-a-test-host or "
      "put 'test_host = yes' in {} (settings now from: {})",
      kDefaultConfigPath, config.source));
}

}  // namespace xenrace::dom0
