#include "backends/dom0/real_block_script.hpp"

#include <poll.h>

#include <chrono>

#include <fmt/format.h>

#include "backends/dom0/dom0_loop.hpp"
#include "backends/dom0/dom0_session.hpp"
#include "backends/dom0/real_blkback.hpp"
#include "backends/dom0/script_process.hpp"
#include "backends/dom0/xs_handle.hpp"
#include "world/visible_op.hpp"

namespace xenrace::dom0 {
namespace {

constexpr std::string_view kDom0Home = "/local/domain/0/";

// Waits (bounded) until the backend's state is InitWait, as libxl does before it runs the script; returns ""
// once it is, else why not. Real-time, on its own connection: called inside an I/O window.
std::string wait_for_init_wait(const std::string& socket, const std::string& backend, int wait_ms) {
  XsHandle h(socket);
  if (!h) return fmt::format("cannot connect to xenstored: {}", errno_name(h.open_error()));
  const std::string state_path = backend + "/state";
  if (Errno e = h.watch(state_path, "initwait")) return fmt::format("watch {}: {}", state_path, errno_name(e));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    auto state = h.read(kNoTx, state_path);
    if (state.ok() && state.value == "2") return {};
    if (state.ok() && (state.value == "5" || state.value == "6"))
      return fmt::format("{} is {} (closing): the backend went away before the script ran", state_path, state.value);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return fmt::format("{} did not reach 2 (InitWait) within {} ms (it is {}): xen-blkback did not probe the backend",
                         state_path, wait_ms, state.ok() ? state.value : errno_name(state.err));
    pollfd p{h.watch_fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0)
      while (h.check_watch().ok()) {
      }
  }
}

}  // namespace

RealBlockScript::RealBlockScript(Execution& ex, Dom0Session& session, RealBlockBackends& backends, Dom0Loop& loop)
    : ex_(ex), session_(session), backends_(backends), loop_(loop) {
  if (const std::string* w = ex.param("block-script-wait-ms")) wait_ms_ = std::stoi(*w);
  if (const std::string* t = ex.param("block-script-timeout-ms")) timeout_ms_ = std::stoi(*t);
}

std::string RealBlockScript::add(std::string_view backend_path) {
  // What the trace shows, and the error the caller gets ("" when the script succeeded).
  struct Outcome {
    std::string traced;
    std::string error;
  };
  return visible_op(ex_, "block.script", fmt::format("add {}", backend_path), [&]() -> Outcome {
    const std::string real = backends_.real_backend(backend_path);
    if (real.compare(0, kDom0Home.size(), kDom0Home) != 0)
      return {"ENOENT", fmt::format("block add {}: the run made no real backend for it", backend_path)};
    // The script may bind a loop device to a run file from now on: ledgered before it starts.
    loop_.expect_bindings_by_others();
    const Dom0Config& c = session_.config();
    const std::string script = c.block_script_path;
    const std::string socket = c.xenstored_path;
    const std::string xenbus_path = real.substr(kDom0Home.size());  // backend/vbd/<domid>/<devid>
    std::string not_ready;
    ScriptRun run;
    std::string hotplug_error, hotplug_status;
    {
      Ledger::Change in_flight(session_.ledger());  // an interrupt waits for the script before it cleans up
      Scheduler::IoWindow io(ex_.sched());  // only locals and the host below: other actors run meanwhile
      not_ready = wait_for_init_wait(socket, real, wait_ms_);
      if (not_ready.empty()) {
        run = run_script({script, "add"},
                         {{"script", script}, {"XENBUS_TYPE", "vbd"}, {"XENBUS_PATH", xenbus_path},
                          {"XENBUS_BASE_PATH", "backend"}},
                         timeout_ms_);
        if (!run.ok()) {
          XsHandle h(socket);
          if (auto e = h.read(kNoTx, real + "/hotplug-error"); e.ok()) hotplug_error = e.value;
          if (auto s = h.read(kNoTx, real + "/hotplug-status"); s.ok()) hotplug_status = s.value;
        }
      }
    }
    loop_.adopt_bound_devices();  // the device the script bound is the run's next index
    if (!not_ready.empty())
      return {"not run: " + not_ready, fmt::format("block add {}: not run: {}", backend_path, not_ready)};
    std::string tail = run.output_tail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (run.ok()) return {"exit 0", {}};
    std::string what = run.describe();
    if (!hotplug_status.empty()) what += fmt::format("; hotplug-status={}", hotplug_status);
    if (!hotplug_error.empty()) what += fmt::format("; hotplug-error: {}", hotplug_error);
    if (!tail.empty()) what += fmt::format("; output: {}", tail);
    return {what, fmt::format("{} add (XENBUS_PATH={}) for {}: {}", script, xenbus_path, backend_path, what)};
  }, [](const Outcome& o) { return std::string_view(o.traced); }).error;
}

}  // namespace xenrace::dom0
