// The catalogue of named failure points: where each one sits in the simulated world and in the dom0
// backend, and which errors the real component can return there. It is a constant table, so many
// executions (and threads) read it freely; whether a point is switched on belongs to one execution
// (fault_plan.hpp) or, on a real host, to libfiu's own state (real_faults.hpp).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "world/result.hpp"

namespace xenrace {

// One enumerator per row of the catalogue; the value is the row's index and a bit in FaultPlan's mask.
enum class FaultPoint : std::uint8_t {
  xenstore_write,
  xenstore_mkdir,
  xenstore_rm,
  xenstore_transaction_start,
  xenstore_transaction_end,
  xenstore_watch,
  loop_get_free,
  loop_configure,
  loop_clr_fd,
  blkback_open,
  mdev_create,
  mdev_remove,
  hypervisor_assign_device,
  actor_kill,
};

// What firing does: return one of `errors` from the operation, or kill the actor (as SIGKILL would).
enum class FaultEffect : std::uint8_t { returns_error, kills_actor };

struct FaultPointInfo {
  FaultPoint point;
  std::string_view name;         // "xenstore/write": the name on the CLI, in params, traces and libfiu
  FaultEffect effect;
  std::span<const Errno> errors; // what the real component returns there (empty for kills_actor)
  std::string_view sim_site;     // the fake and function that asks fault_here()
  std::string_view real_source;  // where the real component returns these errors
  std::string_view summary;      // one line: what a failure here models
};

// Every row, in FaultPoint order.
std::span<const FaultPointInfo> fault_catalogue();
const FaultPointInfo& fault_info(FaultPoint point);
std::optional<FaultPoint> find_fault_point(std::string_view name);

}  // namespace xenrace
