// Report entries the writer tests share: a real failing execution of demo-counter's buggy variant (found
// by the explorer, shrunk, events kept) and hand-made ones whose trace text is as hostile as possible.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "reports/report_entry.hpp"

namespace xenrace::reports::testing {

// demo-counter/buggy explored until it fails (it always does), and demo-counter/fixed passing.
const std::vector<ReportEntry>& explored_demo_counter();

// For every built-in scenario, its first variant expected to fail, explored with the scenario's own budget and
// not shrunk: real traces of XenStore, watch, device and fault events, however many scenarios exist.
const std::vector<ReportEntry>& explored_builtin_failures();
// pci-attach/buggy alone, explored the same way: for the tests about its witness, which need not pay for every
// scenario's exploration (the real-program ones take seconds each).
const ReportEntry& explored_pci_attach_buggy();

// Text with markup, quotes, control characters, invalid UTF-8, U+FFFE, a CDATA end and a script tag.
std::string nasty_text();

// A failing entry whose actors, operations, arguments, results and check are all nasty_text() variants.
ReportEntry nasty_entry();

// A fresh empty directory under the system temporary directory, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);

// Runs a shell command; returns its exit status and fills `output` with its stdout (and stderr if 2>&1).
int run_command(const std::string& command, std::string& output);

// The full path of the first of `names` found on PATH, or "".
std::string find_program(const std::vector<std::string>& names);

}  // namespace xenrace::reports::testing
