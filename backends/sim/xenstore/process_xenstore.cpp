#include "backends/sim/xenstore/process_xenstore.hpp"

#include <cctype>

#include <fmt/format.h>

#include "backends/sim/xenstore/xs_message.hpp"
#include "backends/sim/xenstore/xs_protocol.hpp"
#include "faults/fault_catalogue.hpp"
#include "world/visible_op.hpp"
#include "world/xs_trace_format.hpp"

namespace xenrace {

namespace {

class ProcessXenStoreClient final : public process::ServedConnection {
 public:
  ProcessXenStoreClient(Execution& ex, std::shared_ptr<xs::Store> store, std::function<void()> on_output)
      : ex_(ex), store_(std::move(store)), conn_(*store_) {
    conn_.set_output_listener(std::move(on_output));
  }

  bool receive(std::string_view bytes) override { return conn_.receive(bytes); }
  bool has_request() const override { return conn_.has_request(); }

  process::ServedRequest handle_next() override {
    const xs::Message m = conn_.next_request();
    process::ServedRequest ev;
    ev.op = "xs." + lower(xs::wire::type_name(m.header.type));
    ev.what = xs_trace::with_tx(m.header.tx_id, arguments(m));
    if (const Errno injected = fault_for(m); injected != 0)
      conn_.refuse_next(injected, &ev.result);
    else
      conn_.handle_next(&ev.result);
    if (ev.result.empty()) ev.result = "OK";
    else if (m.header.type == xs::wire::transaction_start && !ev.result.starts_with('E')) ev.result = "t" + ev.result;
    else if (ev.result != "OK") ev.result = xs_trace::shorten(ev.result);
    return ev;
  }

  bool has_output() const override { return conn_.has_output(); }
  std::string_view output() const override { return conn_.output(); }
  void sent(std::size_t n) override { conn_.sent(n); }
  std::string next_event() const override { return conn_.next_event().value_or(""); }

  xs::ConnId id() const { return conn_.id(); }

 private:
  // The fiber actors' failure point for this request, asked as SimXsConnection asks it (the fault event is
  // traced then); 0 for requests without one, and for malformed ones, which the store refuses by itself.
  Errno fault_for(const xs::Message& m) {
    const std::vector<std::string_view> args = xs::strings(m.payload);
    const std::string_view path = args.empty() ? std::string_view() : args[0];
    switch (m.header.type) {
      case xs::wire::write: return path.empty() ? 0 : fault_at(ex_, FaultPoint::xenstore_write, path);
      case xs::wire::mkdir: return path.empty() ? 0 : fault_at(ex_, FaultPoint::xenstore_mkdir, path);
      case xs::wire::rm: return path.empty() ? 0 : fault_at(ex_, FaultPoint::xenstore_rm, path);
      case xs::wire::watch: return path.empty() ? 0 : fault_at(ex_, FaultPoint::xenstore_watch, path);
      case xs::wire::transaction_start: return fault_at(ex_, FaultPoint::xenstore_transaction_start);
      case xs::wire::transaction_end:
        return path == "T" && m.header.tx_id != kNoTx ? fault_at(ex_, FaultPoint::xenstore_transaction_end) : 0;
      default: return 0;
    }
  }

  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
  // As a fiber actor's trace writes them: "path", "path=value", "path token".
  static std::string arguments(const xs::Message& m) {
    const std::vector<std::string_view> parts = xs::strings(m.payload);
    if (m.header.type == xs::wire::write) {
      const std::size_t nul = m.payload.find('\0');
      if (nul == std::string::npos) return xs_trace::shorten(m.payload);
      return fmt::format("{}={}", m.payload.substr(0, nul), xs_trace::shorten(std::string_view(m.payload).substr(nul + 1)));
    }
    if (m.header.type == xs::wire::transaction_end) return parts.empty() ? "" : (parts[0] == "T" ? "commit" : "abort");
    std::string out;
    for (std::string_view p : parts) {
      if (!out.empty()) out += ' ';
      out += xs_trace::shorten(p);
    }
    return out;
  }

  Execution& ex_;
  std::shared_ptr<xs::Store> store_;  // the model outlives every connection to it
  xs::ProtocolConnection conn_;
};

}  // namespace

std::unique_ptr<process::ServedConnection> ProcessXenStore::connect(std::function<void()> on_output) {
  auto client = std::make_unique<ProcessXenStoreClient>(ex_, store_, std::move(on_output));
  if (name_connection_) name_connection_(client->id());
  return client;
}

}  // namespace xenrace
