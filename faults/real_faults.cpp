// libfiu's fiu_* calls are real functions; FIU_ENABLE (set for this file in CMakeLists) makes <fiu.h>
// declare them instead of compiling them away.
#include "faults/real_faults.hpp"

#include <fiu-control.h>
#include <fiu.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "faults/fault_plan.hpp"

namespace xenrace {
namespace {

void ensure_fiu_initialised() {
  static std::once_flag once;  // libfiu wants fiu_init() once per process before anything else
  std::call_once(once, [] { fiu_init(0); });
}

std::string fiu_name(FaultPoint point) { return std::string(fault_info(point).name); }

Errno first_error(FaultPoint point) {
  const auto& info = fault_info(point);
  return info.errors.empty() ? EIO : info.errors.front();
}

}  // namespace

bool real_fault_fires(FaultPoint point, Errno& err) {
  ensure_fiu_initialised();
  const int failnum = fiu_fail(fiu_name(point).c_str());
  if (failnum == 0) return false;
  const auto& errors = fault_info(point).errors;
  err = std::find(errors.begin(), errors.end(), failnum) != errors.end() ? failnum : first_error(point);
  return true;
}

namespace {
int real_fault_hook(Execution& ex, std::uint8_t point, std::string_view target) {
  const auto p = static_cast<FaultPoint>(point);
  Errno err = 0;
  if (!real_fault_fires(p, err)) return 0;
  ex.record(fmt::format("fault.{}", fault_info(p).name), target, errno_name(err));
  return err;
}
}  // namespace

void use_real_faults(Execution& ex) { ex.set_fault_hook(&real_fault_hook); }

void enable_real_fault(FaultPoint point, Errno err, RealFaultMode mode, float probability) {
  ensure_fiu_initialised();
  const int failnum = err != 0 ? err : first_error(point);
  const unsigned flags = mode == RealFaultMode::once ? FIU_ONETIME : 0;
  const std::string name = fiu_name(point);
  if (probability >= 1.0f)
    fiu_enable(name.c_str(), failnum, nullptr, flags);
  else
    fiu_enable_random(name.c_str(), failnum, nullptr, flags, probability);
}

void disable_real_fault(FaultPoint point) {
  ensure_fiu_initialised();
  fiu_disable(fiu_name(point).c_str());
}

std::vector<FaultPoint> enable_real_faults(const Params& params) {
  const FaultPlan plan = FaultPlan::from_params(params);
  float probability = 1.0f;
  for (const auto& [k, v] : params)
    if (k == "fault-probability") {
      float p = 1.0f;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      if (ec == std::errc() && end == v.data() + v.size() && p > 0.0f) probability = std::min(p, 1.0f);
    }
  std::vector<FaultPoint> enabled;
  for (const auto& row : fault_catalogue()) {
    if (!plan.enables(row.point) || row.effect != FaultEffect::returns_error) continue;
    enable_real_fault(row.point, 0, plan.max_faults == 1 ? RealFaultMode::once : RealFaultMode::always, probability);
    enabled.push_back(row.point);
  }
  return enabled;
}

void disable_all_real_faults() {
  for (const auto& row : fault_catalogue()) disable_real_fault(row.point);
}

Errno enable_real_fault_remote_control(std::string_view basename) {
  ensure_fiu_initialised();
  return fiu_rc_fifo(std::string(basename).c_str()) == 0 ? 0 : EIO;
}

std::string fiu_enable_command(const PosixFault& f) {
  std::string cmd = f.probability >= 1.0 ? fmt::format("enable name={}", f.name)
                                         : fmt::format("enable_random name={},probability={}", f.name, f.probability);
  if (f.err != 0) cmd += fmt::format(",failinfo={}", f.err);
  return cmd;
}

std::vector<std::string> fiu_run_argv(const std::vector<PosixFault>& faults, const std::vector<std::string>& argv,
                                      std::string_view control_basename) {
  std::vector<std::string> out = {"fiu-run", "-x", "-f", std::string(control_basename)};
  for (const auto& f : faults) {
    out.push_back("-c");
    out.push_back(fiu_enable_command(f));
  }
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace xenrace
