// Work spread over processes: `explore --jobs N` runs each variant in a forked worker, at most N at a time.
// A fork shares nothing mutable with its siblings (fibers, stack pools, the catalogue, any global a
// scenario keeps), so a variant runs exactly as it would alone; each worker sends its result back over a
// pipe and exits. Results are handed on in task order, as soon as every earlier one is in, so output is
// the same as one process working through the tasks in order.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace xenrace {

// Runs task(i) for i in [0, count), each in its own forked process, at most `jobs` at once (jobs <= 1 or
// count <= 1: every task in this process, in order, no fork). on_result(i, bytes) gets task i's returned
// bytes, in index order. A task that throws UsageError in a worker is rethrown here as UsageError with its
// message (after the other workers were stopped); any other exception, or a worker that dies (a crash, a
// signal), throws std::runtime_error naming the task. `done(finished, count)` (may be empty) observes
// progress. The caller flushes its own output buffers before calling: a fork copies them.
void run_in_workers(std::size_t count, unsigned jobs, const std::function<std::string(std::size_t)>& task,
                    const std::function<void(std::size_t, std::string)>& on_result,
                    const std::function<std::string(std::size_t)>& describe,
                    const std::function<void(std::size_t, std::size_t)>& done = {});

// The number of cores this process may use (sched_getaffinity), at least 1: what `--jobs 0` means.
unsigned available_cores();

}  // namespace xenrace
