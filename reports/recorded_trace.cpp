#include "reports/recorded_trace.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "reports/report_entry.hpp"

namespace xenrace::reports {

namespace {

// "actor op args -> result", as the text trace shows one event.
std::string event_text(std::string_view actor, std::string_view op, std::string_view args, std::string_view result) {
  return fmt::format("{} {}{}{} -> {}", actor, op, args.empty() ? "" : " ", args, result);
}

const nlohmann::json& field(const nlohmann::json& event, const char* name, std::size_t index) {
  const auto it = event.find(name);
  if (it == event.end()) throw std::invalid_argument(fmt::format("recorded trace: event {} has no \"{}\"", index, name));
  return *it;
}

}  // namespace

std::optional<nlohmann::json> find_recorded_trace(const nlohmann::json& document, std::string_view token,
                                                  std::string_view scenario, std::string_view variant,
                                                  std::string* why) {
  auto usable = [](const nlohmann::json& r) {
    return r.is_object() && r.contains("trace") && r["trace"].is_object() && r["trace"].contains("events");
  };
  if (!document.is_object()) {
    *why = "it is not a JSON object (a results.json, or the output of explore --json or replay --json)";
    return std::nullopt;
  }
  if (document.contains("results")) {
    if (!document["results"].is_array()) {
      *why = "its \"results\" is not an array";
      return std::nullopt;
    }
    const nlohmann::json* same_variant = nullptr;
    for (const auto& r : document["results"]) {
      if (!usable(r)) continue;
      const bool this_token = (r.contains("replay") && r["replay"] == token) ||
                              (r.contains("replay_command") && r["replay_command"].is_string() &&
                               r["replay_command"].get<std::string>().ends_with(std::string(" ") + std::string(token)));
      if (this_token) return r["trace"];
      if (r.value("scenario", "") == scenario && r.value("variant", "") == variant && same_variant == nullptr)
        same_variant = &r;
    }
    if (same_variant != nullptr) return (*same_variant)["trace"];
    *why = fmt::format("it has no recorded trace of {}/{} (only failing results carry one)", scenario, variant);
    return std::nullopt;
  }
  if (usable(document)) {
    if (document.value("scenario", std::string(scenario)) != scenario ||
        document.value("variant", std::string(variant)) != variant) {
      *why = fmt::format("its trace is of {}/{}, not {}/{}", document.value("scenario", ""),
                         document.value("variant", ""), scenario, variant);
      return std::nullopt;
    }
    return document["trace"];
  }
  *why = "it has neither \"results\" nor a \"trace\" with \"events\"";
  return std::nullopt;
}

namespace {

const nlohmann::json& recorded_events(const nlohmann::json& recorded) {
  const auto events_it = recorded.find("events");
  if (events_it == recorded.end() || !events_it->is_array())
    throw std::invalid_argument("recorded trace: no \"events\" array");
  return *events_it;
}

// "" when recorded event i is the replayed event `e` of `actor`, else the difference.
std::string event_difference(const nlohmann::json& events, std::size_t i, const TraceEvent& e,
                             const std::string& replayed_actor) {
  const nlohmann::json& r = events[i];
  if (!r.is_object()) throw std::invalid_argument(fmt::format("recorded trace: event {} is not an object", i));
  const auto step = field(r, "step", i);
  if (!step.is_number_unsigned()) throw std::invalid_argument(fmt::format("recorded trace: event {}'s \"step\" is not a step number", i));
  auto text = [&](const char* name) {
    const nlohmann::json& v = field(r, name, i);
    if (!v.is_string()) throw std::invalid_argument(fmt::format("recorded trace: event {}'s \"{}\" is not text", i, name));
    return v.get<std::string>();
  };
  const std::string actor = text("actor"), op = text("op"), args = text("args"), result = text("result");
  if (step.get<std::uint64_t>() != e.step || actor != replayed_actor || op != e.op || args != e.args || result != e.result)
    return fmt::format("step {}: recorded `{}`, replayed `{}` (step {})", step.get<std::uint64_t>(),
                       event_text(actor, op, args, result), event_text(replayed_actor, e.op, e.args, e.result), e.step);
  return {};
}

}  // namespace

bool StepByStepCheck::keep_going(const Trace& trace) {
  if (stopped_) return false;
  try {
    const nlohmann::json& events = recorded_events(recorded_);
    const auto& replayed = trace.events();
    for (; checked_ < replayed.size(); ++checked_) {
      const TraceEvent& e = replayed[checked_];
      if (checked_ >= events.size() ||
          !event_difference(events, checked_, e, actor_name(trace.actor_names(), e)).empty()) {
        stopped_ = true;
        return false;
      }
    }
  } catch (const std::invalid_argument&) {
    stopped_ = true;  // first_difference names it after the run
    return false;
  }
  return true;
}

std::string first_difference(const nlohmann::json& recorded, const ExecutionResult& replayed) {
  const nlohmann::json& events = recorded_events(recorded);
  const std::size_t n = std::min(events.size(), replayed.events.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string d = event_difference(events, i, replayed.events[i], actor_name(replayed, replayed.events[i]));
    if (!d.empty()) return d;
  }
  if (events.size() > n)
    return fmt::format("the replay ended after {} events; the recording goes on with `{}`", n,
                       events[n].is_object() ? event_text(events[n].value("actor", "?"), events[n].value("op", "?"),
                                                          events[n].value("args", ""), events[n].value("result", "?"))
                                             : std::string("?"));
  if (replayed.events.size() > n) {
    const TraceEvent& e = replayed.events[n];
    return fmt::format("the recording ends after {} events; the replay goes on with `{}`", n,
                       event_text(actor_name(replayed, e), e.op, e.args, e.result));
  }
  return {};
}

}  // namespace xenrace::reports
