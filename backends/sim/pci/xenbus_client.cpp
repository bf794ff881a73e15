#include "backends/sim/pci/xenbus_client.hpp"

#include <charconv>

#include <fmt/format.h>

namespace xenrace {

namespace {
std::string join(std::string_view dir, std::string_view node) { return fmt::format("{}/{}", dir, node); }
}  // namespace

std::optional<std::string> read_node(XsConnection& xs, std::string_view dir, std::string_view node) {
  auto r = xs.read(kNoTx, join(dir, node));
  if (!r.ok()) return std::nullopt;
  return std::move(r.value);
}

unsigned read_unsigned(XsConnection& xs, std::string_view dir, std::string_view node, unsigned fallback) {
  auto v = read_node(xs, dir, node);
  if (!v) return fallback;
  unsigned out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end == v->data()) return fallback;
  return out;
}

XenbusState read_driver_state(XsConnection& xs, std::string_view dir) {
  return static_cast<XenbusState>(read_unsigned(xs, dir, "state", static_cast<unsigned>(XenbusState::unknown)));
}

bool driver_state_is(XsConnection& xs, std::string_view dir, XenbusState state) {
  if (state == XenbusState::unknown) return read_driver_state(xs, dir) == state;  // missing or garbage too
  const std::string text = std::to_string(static_cast<unsigned>(state));
  auto r = xs.read_one_of(join(dir, "state"), {text});
  return r.ok() && r.value == text;
}

void switch_state(XsConnection& xs, XenbusDevice& dev, XenbusState state) {
  if (state == dev.state) return;
  const std::string path = join(dev.nodename, "state");
  for (;;) {
    auto tx = xs.transaction_start();
    if (!tx.ok()) return;  // xenbus_switch_fatal: logged only
    bool abort = !xs.read(tx.value, path).ok();
    if (!abort && xs.write(tx.value, path, std::to_string(static_cast<int>(state))) != 0) abort = true;
    Errno err = xs.transaction_end(tx.value, !abort);
    if (err == EAGAIN && !abort) continue;
    if (err == 0) dev.state = state;
    return;
  }
}

void dev_fatal(XsConnection& xs, XenbusDevice& dev, DomId own_domid, Errno err, std::string_view message) {
  // xenbus_va_dev_error writes below "error/<nodename>" relative to the driver's domain.
  const std::string home = fmt::format("/local/domain/{}/", own_domid);
  std::string_view rel = dev.nodename;
  if (rel.substr(0, home.size()) == home) rel.remove_prefix(home.size());
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  xs.write(kNoTx, fmt::format("{}error/{}/error", home, rel), fmt::format("{} {}", err, message));
  switch_state(xs, dev, XenbusState::closing);
}

}  // namespace xenrace
