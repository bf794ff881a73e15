#include "backends/sim/udev/udev_rules.hpp"

#include <fnmatch.h>

#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

namespace xenrace {

namespace {

bool is_match_key(std::string_view key) { return key == "ACTION" || key == "KERNEL" || key == "SUBSYSTEM"; }

[[noreturn]] void malformed(std::string_view file, int line, std::string_view why) {
  throw std::invalid_argument(fmt::format("{}:{}: {}", file, line, why));
}

// One rule's keys: KEY op "value", separated by commas and blanks.
UdevRule parse_rule(std::string_view file, int line_no, std::string_view line, std::vector<std::string>& not_modelled,
                    bool& keep) {
  UdevRule rule;
  std::size_t i = 0;
  auto skip_separators = [&] {
    while (i < line.size() && (line[i] == ',' || std::isspace(static_cast<unsigned char>(line[i])))) ++i;
  };
  for (skip_separators(); i < line.size(); skip_separators()) {
    const std::size_t key_start = i;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == '{' ||
                               line[i] == '}' || line[i] == '/' || line[i] == '.' || line[i] == '-'))
      ++i;
    const std::string_view key = line.substr(key_start, i - key_start);
    const std::size_t op_start = i;
    while (i < line.size() && (line[i] == '=' || line[i] == '!' || line[i] == '+' || line[i] == '-' || line[i] == ':')) ++i;
    const std::string_view op = line.substr(op_start, i - op_start);
    if (key.empty() || (op != "==" && op != "!=" && op != "=" && op != "+=" && op != "-=" && op != ":="))
      malformed(file, line_no, fmt::format("expected KEY==\"value\" at \"{}\"", line.substr(key_start)));
    if (i >= line.size() || line[i] != '"') malformed(file, line_no, fmt::format("{}{} has no quoted value", key, op));
    const std::size_t close = line.find('"', i + 1);
    if (close == std::string_view::npos) malformed(file, line_no, fmt::format("{}{} has an unterminated value", key, op));
    const std::string value(line.substr(i + 1, close - i - 1));
    i = close + 1;
    const bool match = op == "==" || op == "!=";
    if (match && is_match_key(key)) {
      rule.matches.push_back(UdevMatch{std::string(key), op == "==", value});
    } else if (key == "TAG" && (op == "+=" || op == "=") && value == "systemd") {
      rule.tags_systemd = true;
    } else {
      not_modelled.push_back(fmt::format("{}:{}: {}{}\"{}\"", file, line_no, key, op, value));
      if (match) keep = false;  // a condition the model cannot evaluate
    }
  }
  return rule;
}

}  // namespace

UdevRules parse_udev_rules(std::string_view file_name, std::string_view text) {
  UdevRules out;
  std::string joined;
  int line_no = 0, rule_line = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_no;
    if (joined.empty()) rule_line = line_no;
    if (!line.empty() && line.back() == '\\') {  // continued on the next line
      joined.append(line.substr(0, line.size() - 1));
      continue;
    }
    joined.append(line);
    std::string_view rule = joined;
    while (!rule.empty() && std::isspace(static_cast<unsigned char>(rule.front()))) rule.remove_prefix(1);
    if (!rule.empty() && rule.front() != '#') {
      bool keep = true;
      UdevRule parsed = parse_rule(file_name, rule_line, rule, out.not_modelled, keep);
      if (keep && parsed.tags_systemd) out.rules.push_back(std::move(parsed));
    }
    joined.clear();
  }
  return out;
}

bool udev_pattern_matches(std::string_view pattern, std::string_view value) {
  const std::string v(value);
  std::size_t start = 0;
  for (;;) {
    const std::size_t bar = pattern.find('|', start);
    const std::string alternative(pattern.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (fnmatch(alternative.c_str(), v.c_str(), 0) == 0) return true;
    if (bar == std::string_view::npos) return false;
    start = bar + 1;
  }
}

bool udev_rule_matches(const UdevRule& rule, std::string_view action, std::string_view kernel, std::string_view subsystem) {
  for (const UdevMatch& m : rule.matches) {
    const std::string_view value = m.key == "ACTION" ? action : m.key == "KERNEL" ? kernel : subsystem;
    if (udev_pattern_matches(m.pattern, value) != m.equal) return false;
  }
  return true;
}

}  // namespace xenrace
