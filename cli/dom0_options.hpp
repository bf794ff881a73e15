// The options every command that touches a real host shares (`run`, `compare`): where the dom0 settings
// come from, the consent flag and the per-invocation overrides.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "backends/dom0/dom0_config.hpp"

namespace xenrace::cli {

struct Dom0Options {
  std::string config;
  std::string xenstored_path;
  std::string blkback;
  std::string pciback;
  std::string block_script;
  std::vector<std::string> allow_pci;
  bool test_host = false;

  void add_to(CLI::App& cmd);
  // The config file's settings with the command line's overrides. Throws UsageError on a bad value.
  dom0::Dom0Config load() const;
  // The options as given, shell-quoted, each with a leading space: what a printed command must repeat to
  // reach the same host with the same settings.
  std::string arguments() const;
};

}  // namespace xenrace::cli
