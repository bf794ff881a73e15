#include "report_fixtures.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "backends/sim/sim_world.hpp"
#include "runtime/scenario.hpp"

namespace xenrace::reports::testing {

const std::vector<ReportEntry>& explored_demo_counter() {
  static const std::vector<ReportEntry> entries = [] {
    ScenarioRegistry registry;
    register_builtin_scenarios(registry);
    const Scenario& demo = registry.get("demo-counter");
    WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
    StackPool stacks;
    std::vector<ReportEntry> out;
    for (const char* variant : {"buggy", "fixed"}) {
      ExploreOptions options;
      options.strategy.name = "random";
      options.strategy.seed = 1;
      options.iterations = 200;
      VariantReport r = explore_variant(demo, *demo.info().variant(variant), world, options, stacks);
      nlohmann::json summary = {{"scenario", r.scenario}, {"variant", r.variant}, {"executions", r.executions}};
      out.push_back(entry_from_exploration(r, summary, r.replay ? "xenrace replay " + r.replay->encode() : "", 0.25));
    }
    return out;
  }();
  return entries;
}

namespace {

// One variant explored in the simulator with its scenario's own budget, as a report entry with its replay
// command; shrunk unless `shrink` is false. With `seed`, under the scenario's own strategy and that seed.
ReportEntry explored_entry(const Scenario& scenario, const VariantInfo& variant, StackPool& stacks,
                           bool shrink = true, std::optional<std::uint64_t> seed = std::nullopt) {
  WorldFactory world = [](Execution& ex) -> World& { return ex.make<SimWorld>(ex); };
  ExploreOptions options;
  options.shrink = shrink;
  if (seed) {
    options.strategy.name = scenario.info().default_strategy;
    options.strategy.seed = *seed;
  }
  VariantReport r = explore_variant(scenario, variant, world, options, stacks);
  return entry_from_exploration(r, nlohmann::json::object(), r.replay ? "xenrace replay " + r.replay->encode() : "", 0);
}

}  // namespace

const std::vector<ReportEntry>& explored_builtin_failures() {
  static const std::vector<ReportEntry> entries = [] {
    ScenarioRegistry registry;
    register_builtin_scenarios(registry);
    StackPool stacks;
    std::vector<ReportEntry> out;
    // The real-program scenarios whose first failing variant takes dozens of executions of real programs
    // under seed 1, each of them seconds long: a seed under which their own strategy fails within five
    // executions (seeds tried in turn). The page is the same kind of page whichever execution fails; the gate
    // shows seed 1's search.
    const std::map<std::string, std::uint64_t> quick_seed = {
        {"real-block-script", 12}, {"real-libxl-disk", 6}, {"real-loop-script", 3}};
    for (const auto& scenario : registry.all())
      for (const auto& variant : scenario->info().variants) {
        if (variant.expect != Expect::fail) continue;
        // Unshrunk: the page must show every actor of whatever witness it is given, and each replay of a
        // real-program scenario's shrinker is a whole run of real programs.
        const auto quick = quick_seed.find(scenario->info().name);
        out.push_back(explored_entry(*scenario, variant, stacks, false,
                                     quick == quick_seed.end() ? std::nullopt : std::optional(quick->second)));
        break;
      }
    return out;
  }();
  return entries;
}

const ReportEntry& explored_pci_attach_buggy() {
  static const ReportEntry entry = [] {
    ScenarioRegistry registry;
    register_builtin_scenarios(registry);
    StackPool stacks;
    const Scenario& scenario = registry.get("pci-attach");
    const VariantInfo* buggy = scenario.info().variant("buggy");
    if (buggy == nullptr) throw std::runtime_error("pci-attach has no variant buggy");
    return explored_entry(scenario, *buggy, stacks);
  }();
  return entry;
}

std::string nasty_text() {
  return std::string("<a href=\"x\">&amp;</a> 'q' ]]> \x01\x02\x1b[31m\x7f tab\tnl\ncr\r ") + "bad\xff\xc3(utf8 " +
         "\xEF\xBF\xBE nonchar <script>alert(1)</script> </td></tr> \xE2\x9A\xA1 ok";
}

ReportEntry nasty_entry() {
  ReportEntry e;
  e.scenario = "nasty<&>\"scenario\"";
  e.variant = "v/../\x01" "variant";
  e.expect = Expect::pass;
  e.failed = true;
  e.strategy = "random";
  e.seed = 7;
  e.executions = 3;
  e.violated = "check " + nasty_text();
  e.message = "message " + nasty_text();
  e.replay_command = "xenrace replay xr1-abc<&>";
  e.seconds = 1.5;
  e.summary = {{"scenario", e.scenario}, {"message", e.message}};
  e.failure.outcome = Outcome::invariant_violated;
  e.failure.check = e.violated;
  e.failure.message = e.message;
  e.failure.actors = {"actor " + nasty_text(), "second </th> actor"};
  e.failure.events = {
      {1, 0, 0, "xs.write", "/local/domain/1/" + nasty_text() + "=1", "OK"},
      {2, 1, 10, "xs.read_watch", "", "/local/domain/1/x token" + nasty_text()},
      {3, 1, 20, "fault.loop_configure", nasty_text(), "EIO"},
      {4, 0, 30, "xs.write", "/shared=2", nasty_text()},
      {5, 1, 40, "loop.configure", "/shared", "OK"},
      {5, kNoActor, 40, "verdict", e.violated, e.message},
  };
  return e;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "xenrace-reports-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int run_command(const std::string& command, std::string& output) {
  output.clear();
  FILE* p = popen(command.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string find_program(const std::vector<std::string>& names) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::vector<std::string> split;
  for (std::string d; std::getline(dirs, d, ':');) split.push_back(d);
  for (const auto& name : names)
    for (const auto& d : split) {
      std::filesystem::path candidate = std::filesystem::path(d) / name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  return "";
}

}  // namespace xenrace::reports::testing
