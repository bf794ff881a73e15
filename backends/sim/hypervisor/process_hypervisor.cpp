#include "backends/sim/hypervisor/process_hypervisor.hpp"

#include <cerrno>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace xenrace {

namespace {

constexpr std::size_t kMaxLine = 256;  // the longest request the fake library sends is far shorter

// The words of a request after its op, as numbers; nullopt when one is not a decimal number.
std::optional<std::vector<std::uint64_t>> numbers(std::string_view rest) {
  std::vector<std::uint64_t> out;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view word = rest.substr(0, space);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
    if (word.empty() || ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
    out.push_back(v);
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return out;
}

class HypervisorConnection final : public process::ServedConnection {
 public:
  explicit HypervisorConnection(ProcessHypervisor& hv) : hv_(hv) {}

  bool receive(std::string_view bytes) override {
    in_.append(bytes);
    const std::size_t nl = in_.rfind('\n');
    // A line longer than any request: not the fake library talking.
    return in_.size() - (nl == std::string::npos ? 0 : nl + 1) <= kMaxLine;
  }
  bool has_request() const override { return in_.find('\n') != std::string::npos; }
  process::ServedRequest handle_next() override {
    const std::size_t nl = in_.find('\n');
    ProcessHypervisor::Answer a = hv_.call(std::string_view(in_).substr(0, nl));
    in_.erase(0, nl + 1);
    out_ += a.reply + "\n";
    return std::move(a.event);
  }
  bool has_output() const override { return !out_.empty(); }
  std::string_view output() const override { return out_; }
  void sent(std::size_t n) override { out_.erase(0, n); }
  std::string next_event() const override { return ""; }

 private:
  ProcessHypervisor& hv_;
  std::string in_, out_;
};

}  // namespace

std::unique_ptr<process::ServedConnection> ProcessHypervisor::connect() {
  return std::make_unique<HypervisorConnection>(*this);
}

ProcessHypervisor::Answer ProcessHypervisor::call(std::string_view line) {
  const std::size_t space = line.find(' ');
  const std::string op(line.substr(0, space));
  const std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  const std::optional<std::vector<std::uint64_t>> args = numbers(rest);
  Answer a;
  a.event.op = "hv." + op;
  // rc 0 with `result` as the trace's answer and `values` after it in the reply; or an errno.
  auto ok = [&](std::string result, const std::string& values = "") {
    a.event.result = std::move(result);
    a.reply = values.empty() ? "0" : "0 " + values;
    return a;
  };
  auto error = [&](Errno e) {
    a.event.result = errno_name(e);
    a.reply = fmt::format("-{}", e);
    return a;
  };
  auto want = [&](std::size_t n) { return args && args->size() == n; };
  if (!args) {
    a.event.what = std::string(rest);
    return error(EINVAL);
  }
  const std::vector<std::uint64_t>& v = *args;
  const DomId d = v.empty() ? 0 : static_cast<DomId>(v[0]);
  const bool exists = !v.empty() && v[0] < 0x7ff0 && hv_.domain_exists(d);  // below DOMID_FIRST_RESERVED
  auto allow = [](std::uint64_t a) { return a != 0 ? "allow" : "deny"; };

  if (op == "getinfolist" && want(2)) {
    a.event.what = fmt::format("from {} max {}", v[0], v[1]);
    std::string listed, values;
    std::uint64_t n = 0;
    for (DomId id : store_.hypervisor_domains()) {
      if (id < v[0] || n == v[1]) continue;
      ++n;
      const DomainState s = store_.hypervisor_state(id);
      const char state = s == DomainState::shut_down ? 's' : s == DomainState::dying ? 'd' : 'r';
      values += fmt::format("{}{}:{}", values.empty() ? "" : " ", id, state);
      listed += fmt::format("{}{}", listed.empty() ? "" : ",", id);
    }
    return ok(listed.empty() ? "none" : listed, values);
  }
  if (op == "native_protocol" && want(1)) {
    a.event.what = std::to_string(v[0]);
    return exists ? ok("x86_64-abi") : error(ESRCH);
  }
  if (op == "flask_sid_to_context" && want(1)) {
    a.event.what = fmt::format("sid {}", v[0]);
    return error(ENOSYS);  // no XSM: Xen built without FLASK
  }
  if ((op == "ioport_permission" || op == "iomem_permission") && want(4)) {
    a.event.what = fmt::format("{} {} 0x{:x}+{} {}", v[0], op == "ioport_permission" ? "ports" : "mfn", v[1], v[2], allow(v[3]));
    return exists ? ok("OK") : error(ESRCH);
  }
  if (op == "irq_permission" && want(3)) {
    a.event.what = fmt::format("{} pirq {} {}", v[0], v[1], allow(v[2]));
    return exists ? ok("OK") : error(ESRCH);
  }
  if (op == "map_pirq" && want(2)) {
    a.event.what = fmt::format("{} irq {}", v[0], v[1]);
    // A legacy interrupt of a PV guest's device is mapped 1:1: the guest's pirq is the host's irq.
    return exists ? ok(fmt::format("pirq {}", v[1]), std::to_string(v[1])) : error(ESRCH);
  }
  if (op == "unmap_pirq" && want(2)) {
    a.event.what = fmt::format("{} pirq {}", v[0], v[1]);
    return exists ? ok("OK") : error(ESRCH);
  }
  if ((op == "test_assign_device" && want(2)) || (op == "assign_device" && want(3)) ||
      (op == "deassign_device" && want(2))) {
    const auto sbdf = static_cast<std::uint32_t>(v[1]);
    a.event.what = fmt::format("{} {}", v[0], format_bdf(decode_bdf(sbdf)));
    if (!exists) return error(ESRCH);
    const Errno e = op == "test_assign_device" ? hv_.test_assign(d, sbdf)
                    : op == "assign_device"    ? hv_.assign(d, sbdf)
                                               : hv_.deassign(d, sbdf);
    return e != 0 ? error(e) : ok("OK");
  }
  a.event.what = std::string(rest);
  return error(EINVAL);  // an op or an argument count the protocol does not have
}

}  // namespace xenrace
