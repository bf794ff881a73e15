// xenrace merge: the results.json of the shards of one search (explore --shard K/N --report-dir DIR) put
// together into one verdict per variant, printed like explore's and optionally written as one report set.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "reports/report_dir.hpp"
#include "run/shard_merge.hpp"
#include "xenrace/version.hpp"

namespace xenrace::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> files;
  bool json = false;
  bool verbose = false;
  bool quiet = false;
  bool no_fold = false;
  std::string report_dir;
};

struct ShardFile {
  std::string path;
  nlohmann::json data;
  unsigned index = 0;  // K, 1-based
  unsigned count = 0;  // N
};

// What must be the same in every shard of one search: everything `exploration` records but the shard's K.
constexpr const char* kSameFields[] = {"strategy", "seed", "iterations", "depth", "preemptions",
                                       "verify",   "shrink", "params",   "selection"};

ShardFile load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("merge: cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  ShardFile f;
  f.path = path;
  try {
    f.data = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw UsageError("merge: '" + path + "' is not JSON: " + e.what());
  }
  const auto& d = f.data;
  if (!d.is_object() || d.value("schema", "") != "xenrace-results")
    throw UsageError("merge: '" + path + "' is not a xenrace results.json (no \"schema\": \"xenrace-results\")");
  if (d.value("command", "") != "explore")
    throw UsageError("merge: '" + path + "' comes from 'xenrace " + d.value("command", "?") +
                     "', not from 'xenrace explore'");
  if (d.value("complete", false) != true) throw UsageError("merge: '" + path + "' is not marked complete");
  if (d.value("xenrace_version", "") != kVersion)
    throw UsageError(fmt::format("merge: '{}' was written by xenrace {}, this is xenrace {}: merge with the version "
                                 "that explored",
                                 path, d.value("xenrace_version", "?"), kVersion));
  if (!d.contains("exploration") || !d["exploration"].is_object() || !d["exploration"].contains("shard"))
    throw UsageError("merge: '" + path + "' has no \"exploration\" record (written by an older xenrace?)");
  const auto& shard = d["exploration"]["shard"];
  f.index = shard.value("index", 0u);
  f.count = shard.value("count", 0u);
  if (f.count == 0 || f.index == 0 || f.index > f.count)
    throw UsageError("merge: '" + path + "' records an impossible shard " + shard.dump());
  return f;
}

// The shards ordered 1..N; throws naming a mismatch, a missing or a duplicated shard.
std::vector<ShardFile> check_shards(std::vector<ShardFile> files) {
  const ShardFile& first = files.front();
  const auto& ref = first.data["exploration"];
  for (const auto& f : files) {
    const auto& e = f.data["exploration"];
    if (f.count != first.count)
      throw UsageError(fmt::format("merge: '{}' is shard {}/{} but '{}' is shard {}/{}: all shards must split the "
                                   "search the same way",
                                   first.path, first.index, first.count, f.path, f.index, f.count));
    for (const char* field : kSameFields)
      if (e.value(field, nlohmann::json()) != ref.value(field, nlohmann::json()))
        throw UsageError(fmt::format("merge: '{}' and '{}' differ in {} ({} vs {}): shards of one search are run "
                                     "with the same options",
                                     first.path, f.path, field, ref.value(field, nlohmann::json()).dump(),
                                     e.value(field, nlohmann::json()).dump()));
  }
  std::sort(files.begin(), files.end(), [](const ShardFile& a, const ShardFile& b) { return a.index < b.index; });
  for (std::size_t i = 1; i < files.size(); ++i)
    if (files[i].index == files[i - 1].index)
      throw UsageError(fmt::format("merge: shard {}/{} given twice: '{}' and '{}'", files[i].index, files[i].count,
                                   files[i - 1].path, files[i].path));
  if (files.size() != first.count) {
    std::string missing, have;
    for (unsigned k = 1, at = 0; k <= first.count; ++k) {
      if (at < files.size() && files[at].index == k) {
        have += fmt::format("{}{}/{}", have.empty() ? "" : ", ", k, first.count);
        ++at;
      } else {
        missing += fmt::format("{}{}/{}", missing.empty() ? "" : ", ", k, first.count);
      }
    }
    throw UsageError(fmt::format("merge: shard{} {} missing (given: {})", missing.find(',') == std::string::npos ? "" : "s",
                                 missing, have));
  }
  return files;
}

std::uint64_t parse_hash(const nlohmann::json& j) {
  if (!j.is_string()) return 0;
  return std::stoull(j.get<std::string>(), nullptr, 16);
}

// One variant's result in one shard's results.json, as far as merging needs it.
VariantReport part_of(const nlohmann::json& p) {
  VariantReport r;
  r.scenario = p.value("scenario", "");
  r.variant = p.value("variant", "");
  r.expect = p.value("expect", "pass") == "fail" ? Expect::fail : Expect::pass;
  r.strategy = p.value("strategy", "");
  r.seed = p.value("seed", std::uint64_t{0});
  r.exhaustive = p.value("exhaustive", false);
  r.scope = p.value("scope", "");
  r.executions = p.value("executions", std::uint64_t{0});
  r.pruned = p.value("pruned", std::uint64_t{0});
  r.steps = p.value("steps", std::uint64_t{0});
  r.budget = p.value("budget", std::uint64_t{0});
  // An unsharded --verify whose proof is a bound's (a shard never falls back): the unbounded search's count.
  if (p.contains("unbounded_unfinished_after") && p["unbounded_unfinished_after"].is_number_unsigned())
    r.unbounded_unfinished_after = p["unbounded_unfinished_after"].get<std::uint64_t>();
  r.exhausted = p.value("exhausted", false);
  r.trace_hash = parse_hash(p["trace_hash"]);
  if (p.value("verdict", "") == "skipped") r.skipped = p.value("skip_reason", std::string("skipped"));
  r.failed = p.value("verdict", "") == "fail";
  r.first_failure_steps = p.value("first_failure_steps", std::uint64_t{0});
  r.shrink_runs = p.value("shrink_runs", std::uint64_t{0});
  r.shrink_budget = p.value("shrink_budget", std::uint64_t{0});
  r.shrink_cut_short = p.value("shrink_cut_short", false);
  r.fewer = p.value("fewer", "");
  r.also_fails = p.value("also_fails", "");
  r.count_runs = p.value("count_runs", std::uint64_t{0});
  if (p.contains("replay") && p["replay"].is_string()) r.replay = ReplayToken::decode(p["replay"].get<std::string>());
  if (p.contains("busiest_pass") && p["busiest_pass"].is_string()) {
    r.busiest_pass = ReplayToken::decode(p["busiest_pass"].get<std::string>());
    // A token does not carry the count; the report does.
    r.busiest_pass->schedule.preempted = p.value("busiest_pass_preemptions", std::uint32_t{0});
  }
  return r;
}

// One variant from every shard's result for it, in shard order (run/shard_merge.hpp), its witness replayed
// here for its trace.
VariantReport merge_variant(Context& ctx, const std::vector<ShardFile>& shards,
                            const std::vector<const nlohmann::json*>& parts, bool verify, double& seconds) {
  std::vector<VariantReport> reports;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    reports.push_back(part_of(*parts[k]));
    const VariantReport& p = reports.back();
    const VariantReport& head = reports.front();
    if (p.strategy != head.strategy || p.scope != head.scope)
      throw UsageError(fmt::format("merge: {}/{} was explored by {} ({}) in '{}' but by {} ({}) in '{}'", head.scenario,
                                   head.variant, head.strategy, head.scope, shards.front().path, p.strategy, p.scope,
                                   shards[k].path));
    seconds += parts[k]->value("seconds", 0.0);
  }
  VariantReport r = merge_shards(reports);
  r.shard_index = 0;
  r.shard_count = 1;
  r.verifying = verify && r.expect == Expect::pass;
  if (!r.failed) return r;
  std::size_t witness_shard = 0;
  while (!reports[witness_shard].failed) ++witness_shard;
  if (!r.replay)
    throw UsageError(fmt::format("merge: {}/{} failed in '{}' but has no replay token", r.scenario, r.variant,
                                 shards[witness_shard].path));
  bool diverged = false;
  std::string why;
  r.failure = replay_token(ctx.registry, *r.replay, ctx.sim_world, ctx.stacks, &diverged, &why);
  if (diverged)
    throw UsageError(fmt::format("merge: the witness of {}/{} in '{}' does not replay: {}", r.scenario, r.variant,
                                 shards[witness_shard].path, why));
  r.message = r.failure.message;
  r.trace_hash = r.failure.trace_hash;
  return r;
}

}  // namespace

Runner add_merge_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "merge", "Combine the results.json of the shards of one search (explore --shard K/N) into one verdict");
  auto a = std::make_shared<MergeArgs>();
  cmd->add_option("results", a->files, "The shards' results.json files, one per shard K of N")
      ->required()
      ->type_name("RESULTS.json");
  cmd->add_flag("--json", a->json, "Print a JSON array, one object per variant, as explore --json does");
  auto* verbose = cmd->add_flag("-v,--verbose", a->verbose, "Also print each variant's strategy, and a failure's trace");
  cmd->add_flag("-q,--quiet", a->quiet, "Print only the summary and the variants that did not meet their expectation")
      ->excludes(verbose);
  cmd->add_flag("--no-fold", a->no_fold, "With --verbose, print every event of a trace (no …×N for repeats)");
  cmd->add_option("--report-dir", a->report_dir,
                  "Write the merged junit.xml, results.json, timeline.html and Chrome traces into this directory");
  return [&ctx, a] {
    std::vector<ShardFile> files;
    for (const auto& path : a->files) files.push_back(load(path));
    files = check_shards(std::move(files));
    std::optional<reports::ReportDir> report_dir;
    if (!a->report_dir.empty()) report_dir.emplace(a->report_dir);

    const nlohmann::json& exploration = files.front().data["exploration"];
    const nlohmann::json selection = exploration.value("selection", nlohmann::json::array());
    const bool verify = exploration.value("verify", false);
    // Each shard's result for each variant of the selection, in shard order.
    std::vector<std::vector<const nlohmann::json*>> parts(selection.size());
    for (const auto& f : files) {
      std::map<std::string, const nlohmann::json*> by_id;
      if (!f.data.contains("results") || !f.data["results"].is_array())
        throw UsageError("merge: '" + f.path + "' has no \"results\" array");
      for (const auto& r : f.data["results"])
        by_id[r.value("scenario", "") + "/" + r.value("variant", "")] = &r;
      if (by_id.size() != selection.size())
        throw UsageError(fmt::format("merge: '{}' holds {} results for a selection of {} variants", f.path,
                                     by_id.size(), selection.size()));
      for (std::size_t i = 0; i < selection.size(); ++i) {
        auto it = by_id.find(selection[i].get<std::string>());
        if (it == by_id.end())
          throw UsageError(fmt::format("merge: '{}' has no result for {}", f.path, selection[i].get<std::string>()));
        parts[i].push_back(it->second);
      }
    }

    std::size_t id_width = 0;
    for (const auto& id : selection) id_width = std::max(id_width, id.get<std::string>().size());
    Tally tally;
    nlohmann::json out = nlohmann::json::array();
    std::vector<reports::ReportEntry> entries;
    double total_seconds = 0;
    for (std::size_t i = 0; i < selection.size(); ++i) {
      double seconds = 0;
      const VariantReport r = merge_variant(ctx, files, parts[i], verify, seconds);
      total_seconds += seconds;
      tally.add(r);
      nlohmann::json j = report_json(r);
      j["shards"] = files.size();
      if (report_dir)
        entries.push_back(
            reports::entry_from_exploration(r, j, r.replay ? replay_command(ctx, *r.replay) : "", seconds));
      if (a->json)
        out.push_back(std::move(j));
      else if (!a->quiet || !r.met_expectation())
        print_variant(ctx, r, id_width, a->verbose, !a->no_fold, exploration.value("shrink", true));
    }
    if (a->json) std::cout << out.dump(2) << "\n";
    if (report_dir) {
      nlohmann::json merged = exploration;
      merged["shard"] = {{"index", 1}, {"count", 1}};
      nlohmann::json sources = nlohmann::json::array();
      for (const auto& f : files) sources.push_back(f.path);
      merged["merged_from"] = {{"shards", files.size()}, {"files", sources}};
      report_dir->write(entries, {"explore", kVersion, merged});
    }
    if (!a->json) {
      std::string line = summary_line(tally, total_seconds);
      std::cout << line << fmt::format(" (the {} shards' time added)", files.size()) << "\n";
      if (report_dir)
        std::cout << "reports: " << a->report_dir << " (junit.xml, results.json, timeline.html, trace-*.json)\n";
    }
    return exit_code(tally);
  };
}

}  // namespace xenrace::cli
