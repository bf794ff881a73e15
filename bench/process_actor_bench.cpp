// The cost of one scheduling point of a process actor (runtime/process/): the program makes a held system
// call, the supervisor waits for its tree to settle, the strategy picks, the supervisor answers. Wall time is
// the figure here: most of the cost is the kernel's (the notification round trip, the /proc reads of the
// settle scans), not the supervisor's CPU.
#include <benchmark/benchmark.h>

#include <string>

#include <unistd.h>

#include "backends/sim/loop/process_loop.hpp"
#include "backends/sim/loop/sim_loop.hpp"
#include "backends/sim/xenstore/sim_xenstore.hpp"
#include "runtime/execution.hpp"
#include "runtime/process/process_actor.hpp"
#include "runtime/process/seccomp_listener.hpp"
#include "runtime/strategies/random_strategy.hpp"

namespace xenrace {
namespace {

void run_program(benchmark::State& state, const std::string& script, const char* program, bool with_store = false,
                 bool with_loop = false) {
  if (const std::string& why = process::process_actors_unsupported(); !why.empty()) {
    state.SkipWithError(("process actors are unsupported here: " + why).c_str());
    return;
  }
  if (with_loop && geteuid() != 0) {
    state.SkipWithError("loop devices for process actors need root (a mount namespace, mknod)");
    return;
  }
  if (with_store && process::find_program("xenstore-write", {"PATH=/usr/bin:/bin"}).empty()) {
    state.SkipWithError("xenstore-write is not installed (xenstore-utils)");
    return;
  }
  StackPool stacks;
  RandomStrategy strategy(1);
  std::uint64_t steps = 0;
  for (auto _ : state) {
    strategy.begin_execution(0);
    ExecutionOptions o;
    o.max_steps = 1'000'000;
    Execution ex(strategy, stacks, o);
    SimXenStore xs(ex);
    SimLoop loop(ex);
    ProcessLoop for_processes(loop);
    ProcessOptions options;
    options.env = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
    if (with_store) options.xenstore = &xs.for_processes();
    if (with_loop) {
      // loop0, bound: what the ioctls below ask about.
      loop.create_file("/images/bench.img");
      loop.add(0);
      const LoopFd fd = loop.open(0).value;
      loop.configure(fd, "/images/bench.img", 0);
      loop.close(fd);
      options.loop = &for_processes;
    }
    spawn_process(ex, "bench", {program, program == std::string("perl") ? "-e" : "-c", script}, std::move(options));
    const ExecutionResult r = ex.run();
    if (r.failed()) {
      state.SkipWithError(r.message.c_str());
      return;
    }
    steps += r.steps;
  }
  state.counters["points_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["points"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kAvgIterations);
}

// 2,000 flock calls from one process: a scheduling point each, no process created.
void BM_FlockPoint(benchmark::State& state) {
  run_program(state,
              "open(F, '>', '/dev/null') or die; for (1..1000) { flock(F, 2) or die; flock(F, 8) or die }", "perl");
}
BENCHMARK(BM_FlockPoint)->Name("process_actor/flock_point")->Unit(benchmark::kMillisecond)->UseRealTime();

// 200 /bin/true from a shell loop: fork, exec, exit (three points) and a process born and reaped each.
void BM_ForkExecExit(benchmark::State& state) {
  run_program(state, "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done", "sh");
}
BENCHMARK(BM_ForkExecExit)->Name("process_actor/fork_exec_exit")->Unit(benchmark::kMillisecond)->UseRealTime();

// One xenstore-write of 200 nodes: one connection, a transaction around 200 WRITE requests, each a point
// (read by the supervisor after settle, applied to the simulated store, the reply written back).
void BM_XenStoreRequest(benchmark::State& state) {
  std::string script = "xenstore-write";
  for (int i = 0; i < 200; ++i) script += " /bench/n" + std::to_string(i) + " " + std::to_string(i);
  run_program(state, script, "sh", true);
}
BENCHMARK(BM_XenStoreRequest)->Name("process_actor/xenstore_request")->Unit(benchmark::kMillisecond)->UseRealTime();

// The same loop with loop devices given: every open of the tree is held too (ld.so's, the shell's), and the
// supervisor lets each run on without a step. The difference from fork_exec_exit is that filter's cost.
void BM_ForkExecExitHoldingOpens(benchmark::State& state) {
  run_program(state, "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done", "sh", false, true);
}
BENCHMARK(BM_ForkExecExitHoldingOpens)->Name("process_actor/fork_exec_exit_holding_opens")->Unit(benchmark::kMillisecond)->UseRealTime();

// 1,000 LOOP_GET_STATUS64 on /dev/loop0 from one process: each a held ioctl, found by its fd's inode,
// applied to the simulated driver (two scheduling points: the supervisor's and the driver's), and the
// loop_info64 written back into the program.
void BM_LoopIoctl(benchmark::State& state) {
  run_program(state,
              "open(F, '<', '/dev/loop0') or die \"open: $!\"; my $b = \"\\0\" x 232; "
              "for (1..1000) { ioctl(F, 0x4C05, $b) or die \"ioctl: $!\" }",
              "perl", false, true);
}
BENCHMARK(BM_LoopIoctl)->Name("process_actor/loop_ioctl")->Unit(benchmark::kMillisecond)->UseRealTime();

// 1,000 clock reads (perl's time(), through libc's time()): each made as a system call by the preloaded
// shim, held, and answered from virtual time without a step. Wall time per read is the figure.
void BM_ClockRead(benchmark::State& state) {
  run_program(state, "my $t = 0; for (1..1000) { $t += time() } exit($t > 0 ? 0 : 1)", "perl");
  state.counters["reads_per_s"] =
      benchmark::Counter(1000.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ClockRead)->Name("process_actor/clock_read")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace xenrace

BENCHMARK_MAIN();
