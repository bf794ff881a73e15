// The catalogue's failure points on a real dom0, through libfiu (libfiu-dev; http://blitiri.com.ar/p/libfiu).
//
// In-process (the dom0 backend's own calls): the dom0 world installs use_real_faults() as the execution's
// fault hook, so the same visible_op (world/visible_op.hpp) that declares a failure point in a fake asks
// real_fault_fires() just before the real call, with the same point names as the simulator; whoever drives the run switches points on and off
// with enable_real_fault()/disable_real_fault(), enable_real_faults(params), or from outside the process
// with `fiu-ctrl` once enable_real_fault_remote_control() was called. Nothing is explored here: on a real
// host a point fires always, once, or with a probability.
//
// libfiu keeps the enabled points in its own process-wide state; that state is libfiu's, not xenrace's,
// and executions on a real host are one at a time anyway.
//
// Spawned real processes (a real hotplug script, losetup): libfiu's POSIX preload library fails libc
// calls by name (posix/io/oc/open, posix/io/rw/write, posix/proc/fork, ...); fiu_run_argv() wraps a
// command line in `fiu-run -x` with those points enabled. See docs/faults.md.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "faults/fault_catalogue.hpp"
#include "runtime/execution.hpp"

namespace xenrace {

// True when `point` is enabled in libfiu and fires now; `err` is then the errno to return: libfiu's
// failnum when it is one of the point's errors (enable_real_fault stores it there), else the point's
// first error (`fiu-ctrl -c "enable name=..."` passes failnum 1).
bool real_fault_fires(FaultPoint point, Errno& err);

// Makes libfiu the execution's fault hook: a visible operation's failure point fires when real_fault_fires
// says so, and leaves the same trace event "fault.<point>" (args: the target, result: the errno name) as
// in the simulator. Replaces any hook installed before (a simulated stand-in's).
void use_real_faults(Execution& ex);

enum class RealFaultMode { always, once };
// err 0: the point's first error. probability < 1: each call fires with that probability.
void enable_real_fault(FaultPoint point, Errno err = 0, RealFaultMode mode = RealFaultMode::always,
                       float probability = 1.0f);
void disable_real_fault(FaultPoint point);

// Enables the points a dom0 run's params name (faults=..., as in the simulator), each firing with the
// point's first error; max-faults=1 makes each fire once; fault-probability=P makes them random.
// Returns the points enabled.
std::vector<FaultPoint> enable_real_faults(const Params& params);
void disable_all_real_faults();

// Lets `fiu-ctrl -c "enable name=xenstore/write" <pid>` switch points of this process; the named pipes
// are <basename>-<pid>.in/.out. Returns 0 or the errno of the failure.
Errno enable_real_fault_remote_control(std::string_view basename);

// One POSIX failure point for a spawned process: `name` from libfiu's POSIX list, `err` the errno its
// wrapper sets (0: libfiu picks among the function's valid errors), probability 1 = always.
struct PosixFault {
  std::string name;
  Errno err = 0;
  double probability = 1.0;
};
// The fiu-run remote-control command that enables `f`, e.g. "enable name=posix/io/rw/write,failinfo=28".
std::string fiu_enable_command(const PosixFault& f);
// `fiu-run -x [-f ctrl] -c <enable>... <argv>`: run argv with the POSIX preload and these points on.
// An empty `control_basename` disables fiu-ctrl for the child; otherwise `fiu-ctrl <pid>` can change them.
std::vector<std::string> fiu_run_argv(const std::vector<PosixFault>& faults, const std::vector<std::string>& argv,
                                      std::string_view control_basename = {});

}  // namespace xenrace
