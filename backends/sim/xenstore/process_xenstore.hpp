// The simulated xenstored as process actors reach it (runtime/process/xenstore_service.hpp): each connection
// is a wire-protocol client of the same model the fiber actors' SimXenStore connections use, so a real
// `xenstore-write` in a script and a simulated backend's watch meet in one store. A request is applied when
// the process actor's supervisor takes it, as that actor's step; the trace event is the one a fiber actor's
// request would give ("xs.write", "t3 /path=value"), with the process and connection in front ("p2/c1 ...").
// The failure points of a fiber actor's requests apply too (xenstore/write, mkdir, rm, transaction_start,
// transaction_end on commit, watch): a fault refuses the request with its errno, which the program receives.
#pragma once
#include <memory>

#include "backends/sim/xenstore/xs_store.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/xenstore_service.hpp"

namespace xenrace {

class ProcessXenStore final : public process::XenStoreService {
 public:
  // `name_connection` gives each new connection its interleaving-independent name for the step footprints.
  ProcessXenStore(Execution& ex, std::shared_ptr<xs::Store> store, std::function<void(xs::ConnId)> name_connection)
      : ex_(ex), store_(std::move(store)), name_connection_(std::move(name_connection)) {}
  std::unique_ptr<process::ServedConnection> connect(std::function<void()> on_output) override;

 private:
  Execution& ex_;
  std::shared_ptr<xs::Store> store_;
  std::function<void(xs::ConnId)> name_connection_;
};

}  // namespace xenrace
