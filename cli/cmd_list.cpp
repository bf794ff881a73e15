#include <iostream>

#include "cli/cli.hpp"

namespace xenrace::cli {

Runner add_list_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("list", "List the scenarios and their variants");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array");
  // Hidden (no group): the words shell completion offers, each scenario and each of its variant ids, one a line.
  auto names = std::make_shared<bool>(false);
  cmd->add_flag("--names", *names, "Print scenario names and variant ids, one a line")->group("");
  return [&ctx, json, names] {
    if (*names) {
      for (const auto& s : ctx.registry.all()) {
        const auto& i = s->info();
        std::cout << i.name << "\n";
        for (const auto& v : i.variants) std::cout << i.name << "/" << v.name << "\n";
      }
      return 0;
    }
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : ctx.registry.all()) {
        const auto& i = s->info();
        nlohmann::json variants = nlohmann::json::array();
        for (const auto& v : i.variants)
          variants.push_back({{"name", v.name}, {"expect", to_string(v.expect)}, {"summary", v.summary}});
        nlohmann::json params = nlohmann::json::array();
        for (const auto& p : i.params)
          params.push_back({{"name", p.name}, {"summary", p.summary}, {"values", p.describe_values()}});
        out.push_back({{"name", i.name},
                       {"description", i.description},
                       {"source", i.source},
                       {"tags", i.tags},
                       {"default_iterations", i.default_iterations},
                       {"default_strategy", i.default_strategy},
                       {"verify_budget", i.proof_budget()},
                       {"verify_by_bounds", i.verify_by_bounds},
                       {"loaded_from", ctx.registry.origin(*s)},
                       {"params", params},
                       {"by_name_only", i.by_name_only},
                       {"variants", variants}});
      }
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    for (const auto& s : ctx.registry.all()) {
      const auto& i = s->info();
      std::cout << i.name << "\n  " << i.description << "\n  source: " << i.source << "\n";
      if (i.by_name_only) std::cout << "  by name only: explore --all leaves it out\n";
      if (const std::string& lib = ctx.registry.origin(*s); !lib.empty()) std::cout << "  loaded from: " << lib << "\n";
      for (const auto& v : i.variants)
        std::cout << "    " << v.name << " (expect " << to_string(v.expect) << "): " << v.summary << "\n";
      for (const auto& p : i.params)
        std::cout << "    --param " << p.name << "=... (" << p.describe_values() << "): " << p.summary << "\n";
    }
    return 0;
  };
}

}  // namespace xenrace::cli
