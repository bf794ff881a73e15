#include "reports/event_kind.hpp"

#include <array>

namespace xenrace::reports {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string_view first_token(std::string_view text) {
  auto start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  return text.substr(0, text.find_first_of(" =:,"));
}

// "p1 /dev/loop0" -> "/dev/loop0".
std::string_view without_first_token(std::string_view text) {
  const auto space = text.find(' ');
  return space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
}

// "t3 /local/domain/0=x" -> "/local/domain/0=x": the transaction a XenStore operation runs in.
std::string_view without_transaction(std::string_view args) {
  if (args.size() > 2 && args[0] == 't' && args[1] >= '0' && args[1] <= '9') {
    auto space = args.find(' ');
    if (space != std::string_view::npos) return args.substr(space + 1);
  }
  return args;
}

}  // namespace

std::string_view without_process_connection(std::string_view args) {
  // "p12/c3 ": 'p', digits, "/c" (XenStore) or "/h" (hypervisor), digits, a space.
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < args.size() && args[i] >= '0' && args[i] <= '9') ++i;
    return i > from;
  };
  // "p12/c3" alone (connect, close) leaves nothing: the connection is the actor's own.
  if (i < args.size() && args[i] == 'p' && (++i, digits()) && i + 1 < args.size() && args[i] == '/' &&
      (args[i + 1] == 'c' || args[i + 1] == 'h') && (i += 2, digits()) && (i == args.size() || args[i] == ' '))
    return i == args.size() ? std::string_view() : args.substr(i + 1);
  return args;
}

namespace {

// The operation's last dotted component: "xs.get_perms" -> "get_perms".
std::string_view verb(std::string_view op) {
  auto dot = op.rfind('.');
  return dot == std::string_view::npos ? op : op.substr(dot + 1);
}

// The n-th space-separated word of `text` (from 0), or "".
std::string_view word(std::string_view text, int n) {
  for (; n > 0; --n) text = without_first_token(text);
  return text.substr(0, text.find(' '));
}

// What a hypervisor call touches: the PCI device it assigns ("hv.assign_device p1/h1 1 0000:04:00.0"), the first
// domain a domain list asks for ("hv.getinfolist p1/h1 from 1 max 1"), else the domain it names ("hv.create 1",
// "hv.map_pirq p1/h1 1 irq 17"). A FLASK query touches nothing.
std::string hypervisor_object(const TraceEvent& event) {
  const std::string_view args = without_process_connection(event.args), v = verb(event.op);
  if (v == "assign_device" || v == "test_assign_device" || v == "deassign_device") return std::string(word(args, 1));
  if (v == "getinfolist") return std::string(word(args, 1));
  if (v == "flask_sid_to_context") return {};
  return std::string(word(args, 0));
}

}  // namespace

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::xenstore: return "xenstore";
    case EventKind::watch: return "watch";
    case EventKind::fault: return "fault";
    case EventKind::verdict: return "verdict";
    case EventKind::device: return "device";
  }
  return "device";
}

EventKind event_kind(const TraceEvent& event) {
  std::string_view op = event.op;
  if (op == "verdict") return EventKind::verdict;
  if (starts_with(op, "fault.")) return EventKind::fault;
  if (op == "xs.read_watch" || op == "xs.watch_event" || op.find("watch.fire") != std::string_view::npos)
    return EventKind::watch;
  if (starts_with(op, "xs.")) return EventKind::xenstore;
  return EventKind::device;
}

std::string event_object(const TraceEvent& event) {
  // Locks order actors on purpose; two actors taking the same lock is synchronisation, not a race.
  if (verb(event.op).find("lock") != std::string_view::npos) return {};
  // A process actor's own bookkeeping (fork, exec, exit, its threads, held calls such as ioctls, whose driver
  // logs its own event beside them) touches nothing shared; its "pN" is an ordinal within that actor only. An
  // open names the file it opened.
  if (starts_with(event.op, "proc."))
    return event.op == "proc.open" ? std::string(first_token(without_first_token(event.args))) : std::string();
  // A process actor's connection opened or closed: its own, named within that actor only ("p1", "p1/c2").
  if (event.op == "xs.connect" || event.op == "xs.close" || event.op == "hv.connect" || event.op == "hv.close" ||
      event.op == "hv.reply")
    return {};
  if (starts_with(event.op, "hv.")) return hypervisor_object(event);
  switch (event_kind(event)) {
    case EventKind::verdict:
      return {};
    case EventKind::watch:
      // The delivery names the fired path in its result ("<path> <token>"); a timeout names none. A process
      // actor's delivery names it in its arguments, after its connection ("p1/c1 <path> <token>").
      return std::string(first_token(event.op == "xs.read_watch" ? event.result
                                                                 : without_process_connection(event.args)));
    case EventKind::xenstore:
      if (starts_with(event.op, "xs.transaction_")) return {};
      return std::string(first_token(without_transaction(without_process_connection(event.args))));
    default:
      return std::string(first_token(event.args));
  }
}

bool is_read_only(const TraceEvent& event) {
  // Registering a watch observes a node too: it changes nothing another actor reads.
  static constexpr std::array<std::string_view, 17> kObserving = {
      "read", "get", "directory", "get_perms", "stat", "show", "read_watch", "watch_event", "check", "list", "exists",
      "watch", "unwatch", "scan", "getinfolist", "native_protocol", "flask_sid_to_context"};
  std::string_view v = verb(event.op);
  for (auto o : kObserving)
    if (v == o) return true;
  return starts_with(v, "get_") || starts_with(v, "read_") || starts_with(v, "is_") || starts_with(v, "test_");
}

}  // namespace xenrace::reports
