// Unit configuration in the shape of systemd unit files, one section per unit:
//
//   [xenstored.service]
//   Requires=proc-xen.mount
//   After=proc-xen.mount
//   Type=notify
//   ExecStart=xenstored          # a program the scenario binds by this name
//   WantedBy=multi-user.target   # what `systemctl enable` would link
//
// Keys (systemd.unit(5), systemd.service(5)): Requires, Wants, After, Before, WantedBy, RequiredBy
// (space-separated lists; repeated keys append; an empty value resets the list, as in unit files),
// DefaultDependencies (yes|no), Type (simple|oneshot|notify), RemainAfterExit (yes|no), ExecStart,
// Description. `#` starts a comment line. A later section for the same unit replaces the earlier one
// whole, as a unit file in /etc/systemd/system hides the one in /usr/lib/systemd/system.
// Anything else is a configuration error (std::invalid_argument naming the line).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace xenrace {

enum class ServiceType : std::uint8_t { simple, oneshot, notify };

struct UnitSpec {
  std::string name;  // with its suffix: .service .target .mount .device
  std::string description;
  std::vector<std::string> requires_units;
  std::vector<std::string> wants;
  std::vector<std::string> after;
  std::vector<std::string> before;
  std::vector<std::string> wanted_by;
  std::vector<std::string> required_by;
  bool default_dependencies = true;
  ServiceType type = ServiceType::simple;
  bool remain_after_exit = false;
  std::string exec_start;
};

// Parses `text` into `units`, replacing units already there that the text defines again.
void parse_units(std::string_view text, std::vector<UnitSpec>& units);

// One real unit file, named `name` (xenstored.service), in systemd's format: [Unit], [Service], [Mount] and
// [Install] sections, `#` and `;` comments, a trailing backslash continuing a line. The keys above are read
// from their sections; ExecStart= names its program by the file name of its first word (prefixes such as `-`
// dropped), which is what bind_program matches. Every other key and section is returned, not applied, as
// "name: Key=value", so a caller can say what the model leaves out. Replaces a unit of that name. Throws
// std::invalid_argument naming the file and line for a line that is neither a section nor Key=value.
std::vector<std::string> parse_unit_file(std::string_view name, std::string_view text, std::vector<UnitSpec>& units);

// systemd's own units that matter at boot (src/core/*, units/*.in), reduced to their ordering:
// sysinit.target, basic.target, multi-user.target and systemd-modules-load.service
// (DefaultDependencies=no, Before=sysinit.target, pulled in by sysinit.target, Type=oneshot).
std::string_view systemd_default_units();

}  // namespace xenrace
