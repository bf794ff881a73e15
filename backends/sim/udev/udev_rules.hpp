// udev rules files, as systemd-udevd reads them (udev(7)): one rule per line (a trailing backslash joins the
// next), comma-separated keys, each KEY op "value". The model applies what decides whether a device is tagged
// for systemd, and so whether systemd gets a .device unit for it:
//   match keys   ACTION, KERNEL, SUBSYSTEM, with == or != against a pattern ('|' alternatives, * ? [] globs)
//   assignment   TAG+="systemd"
// Every other key is reported as not modelled, "FILE:LINE: KEY": a rule with a match key the model does not
// know is left out (it could not tell whether it matches); one with an unknown assignment still applies its
// TAG. GOTO and LABEL are not followed (reported). A line that is not KEY op "value" pairs is an error.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace xenrace {

struct UdevMatch {
  std::string key;  // ACTION, KERNEL or SUBSYSTEM
  bool equal = true;
  std::string pattern;
};

struct UdevRule {
  std::vector<UdevMatch> matches;
  bool tags_systemd = false;
};

struct UdevRules {
  std::vector<UdevRule> rules;             // the rules the model applies, in file order
  std::vector<std::string> not_modelled;  // "FILE:LINE: KEY"
};

// Throws std::invalid_argument naming the file and line of a malformed rule.
UdevRules parse_udev_rules(std::string_view file_name, std::string_view text);

// A udev pattern: alternatives split by '|', each an fnmatch(3) glob.
bool udev_pattern_matches(std::string_view pattern, std::string_view value);

// Whether the rule matches a uevent of this action, kernel name and subsystem.
bool udev_rule_matches(const UdevRule& rule, std::string_view action, std::string_view kernel, std::string_view subsystem);

}  // namespace xenrace
