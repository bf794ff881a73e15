// `--load libmyraces.so`: scenarios built outside xenrace, against the installed API (<xenrace/scenario.hpp>),
// register themselves when their library is loaded, exactly as the built-in ones do when xenrace starts.
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>

#include "cli/cli.hpp"

namespace xenrace::cli {

std::vector<std::string> libraries_to_load(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--load") {
      if (i + 1 >= argc) throw UsageError("--load needs the path of a shared library of scenarios");
      out.emplace_back(argv[++i]);
    } else if (arg.starts_with("--load=")) {
      out.emplace_back(arg.substr(7));
    }
  }
  if (const char* env = std::getenv("XENRACE_LOAD"); env != nullptr && *env != '\0') {
    std::string_view rest = env;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      if (colon != 0) out.emplace_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return out;
}

void load_scenarios(Context& ctx, const std::vector<std::string>& libraries) {
  ScenarioRegistry& catalogue = scenario_catalogue();
  if (!scenario_catalogue_errors().empty())
    throw std::logic_error("built-in scenarios: " + scenario_catalogue_errors().front());
  std::vector<std::string> loaded;
  for (const std::string& given : libraries) {
    if (given.empty()) throw UsageError("--load needs the path of a shared library of scenarios");
    char resolved[PATH_MAX];
    if (realpath(given.c_str(), resolved) == nullptr)
      throw UsageError("--load " + given + ": " + std::strerror(errno));
    const std::string path = resolved;
    if (std::find(loaded.begin(), loaded.end(), path) != loaded.end()) continue;  // named twice: loaded once
    loaded.push_back(path);
    const std::size_t before = catalogue.all().size();
    set_loading_library(path);
    // RTLD_NOW: a library built against another xenrace fails here, naming the missing symbol, not mid-run.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    set_loading_library({});
    if (handle == nullptr) throw UsageError("--load " + given + ": " + dlerror());
    if (!scenario_catalogue_errors().empty())
      throw UsageError("--load " + given + ": " + scenario_catalogue_errors().front());
    if (catalogue.all().size() == before)
      throw UsageError("--load " + given +
                       ": the library registered no scenario (is it built with XENRACE_SCENARIO, "
                       "<xenrace/scenario.hpp>, and linked to xenrace::xenrace?)");
    // The handle stays open for the life of the process: the scenarios' code lives in it.
  }
  for (const auto& s : catalogue.all()) ctx.registry.add(s, catalogue.origin(*s));
}

}  // namespace xenrace::cli
