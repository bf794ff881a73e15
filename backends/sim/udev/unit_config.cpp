#include "backends/sim/udev/unit_config.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace xenrace {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void append_words(std::string_view value, std::vector<std::string>& list) {
  if (value.empty()) {
    list.clear();
    return;
  }
  while (!value.empty()) {
    const std::size_t space = value.find(' ');
    const std::string_view word = value.substr(0, space);
    if (!word.empty()) list.emplace_back(word);
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
  }
}

bool parse_bool(std::string_view v, int line) {
  if (v == "yes" || v == "true" || v == "1" || v == "on") return true;
  if (v == "no" || v == "false" || v == "0" || v == "off") return false;
  throw std::invalid_argument(fmt::format("unit config line {}: '{}' is not a boolean", line, v));
}

}  // namespace

void parse_units(std::string_view text, std::vector<UnitSpec>& units) {
  std::vector<UnitSpec> parsed;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3)
        throw std::invalid_argument(fmt::format("unit config line {}: bad section '{}'", line_no, line));
      parsed.emplace_back().name = std::string(line.substr(1, line.size() - 2));
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || parsed.empty())
      throw std::invalid_argument(fmt::format("unit config line {}: expected [unit] or Key=value, got '{}'", line_no, line));
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    UnitSpec& u = parsed.back();
    if (key == "Requires") append_words(value, u.requires_units);
    else if (key == "Wants") append_words(value, u.wants);
    else if (key == "After") append_words(value, u.after);
    else if (key == "Before") append_words(value, u.before);
    else if (key == "WantedBy") append_words(value, u.wanted_by);
    else if (key == "RequiredBy") append_words(value, u.required_by);
    else if (key == "DefaultDependencies") u.default_dependencies = parse_bool(value, line_no);
    else if (key == "RemainAfterExit") u.remain_after_exit = parse_bool(value, line_no);
    else if (key == "ExecStart") u.exec_start = std::string(value);
    else if (key == "Description") u.description = std::string(value);
    else if (key == "Type") {
      if (value == "simple") u.type = ServiceType::simple;
      else if (value == "oneshot") u.type = ServiceType::oneshot;
      else if (value == "notify") u.type = ServiceType::notify;
      else throw std::invalid_argument(fmt::format("unit config line {}: unknown Type={}", line_no, value));
    } else {
      throw std::invalid_argument(fmt::format("unit config line {}: unknown key '{}'", line_no, key));
    }
  }
  for (UnitSpec& u : parsed) {
    bool replaced = false;
    for (UnitSpec& existing : units) {
      if (existing.name == u.name) {
        existing = u;
        replaced = true;
      }
    }
    if (!replaced) units.push_back(std::move(u));
  }
}

std::vector<std::string> parse_unit_file(std::string_view name, std::string_view text, std::vector<UnitSpec>& units) {
  UnitSpec u;
  u.name = std::string(name);
  std::vector<std::string> not_modelled;
  std::string section;
  std::string pending;  // a line continued with a trailing backslash
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view raw = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (pending.empty() && (raw.empty() || raw.front() == '#' || raw.front() == ';')) continue;
    if (!raw.empty() && raw.back() == '\\') {
      raw.remove_suffix(1);
      pending += std::string(raw) + " ";
      continue;
    }
    const std::string joined = pending + std::string(raw);
    pending.clear();
    const std::string_view line = trim(joined);
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3)
        throw std::invalid_argument(fmt::format("{} line {}: bad section '{}'", name, line_no, line));
      section = std::string(line.substr(1, line.size() - 2));
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || section.empty())
      throw std::invalid_argument(
          fmt::format("{} line {}: expected [Section] or Key=value, got '{}'", name, line_no, line));
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    const bool unit = section == "Unit", service = section == "Service", install = section == "Install";
    if (unit && key == "Requires") append_words(value, u.requires_units);
    else if (unit && key == "Wants") append_words(value, u.wants);
    else if (unit && key == "After") append_words(value, u.after);
    else if (unit && key == "Before") append_words(value, u.before);
    else if (unit && key == "Description") u.description = std::string(value);
    else if (unit && key == "DefaultDependencies") u.default_dependencies = parse_bool(value, line_no);
    else if (install && key == "WantedBy") append_words(value, u.wanted_by);
    else if (install && key == "RequiredBy") append_words(value, u.required_by);
    else if (service && key == "RemainAfterExit") u.remain_after_exit = parse_bool(value, line_no);
    else if (service && key == "Type" && (value == "simple" || value == "oneshot" || value == "notify"))
      u.type = value == "simple" ? ServiceType::simple : value == "oneshot" ? ServiceType::oneshot : ServiceType::notify;
    else if (service && key == "ExecStart") {
      std::string_view program = value.substr(0, value.find(' '));
      while (!program.empty() && std::string_view("-@:+!").find(program.front()) != std::string_view::npos)
        program.remove_prefix(1);
      u.exec_start = std::string(program.substr(program.rfind('/') == std::string_view::npos ? 0 : program.rfind('/') + 1));
    } else {
      not_modelled.push_back(fmt::format("{}: {}={}", name, key, value));
    }
  }
  bool replaced = false;
  for (UnitSpec& existing : units)
    if (existing.name == u.name) {
      existing = u;
      replaced = true;
    }
  if (!replaced) units.push_back(std::move(u));
  return not_modelled;
}

std::string_view systemd_default_units() {
  return R"(
[sysinit.target]
Description=System Initialization

[basic.target]
Description=Basic System
Requires=sysinit.target
After=sysinit.target

[multi-user.target]
Description=Multi-User System
Requires=basic.target
After=basic.target

[systemd-modules-load.service]
Description=Load Kernel Modules
DefaultDependencies=no
Before=sysinit.target
WantedBy=sysinit.target
Type=oneshot
RemainAfterExit=yes
ExecStart=systemd-modules-load
)";
}

}  // namespace xenrace
