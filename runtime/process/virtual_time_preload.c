/* Preloaded into every program of a process actor (LD_PRELOAD): the clock reads a program makes through the
 * C library go to the kernel as real system calls instead of the vDSO, which seccomp never sees. The
 * supervisor holds those calls and answers them from the scheduler's virtual clock, so `date`, bash's
 * $SECONDS and a script's timeouts read virtual time, the same on every run.
 *
 * Only calls through the dynamic symbol table are caught: a static program, or glibc's own internal clock
 * reads, still use the vDSO (docs/process-actors.md, "Time"). */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t clock, struct timespec* ts) { return (int)syscall(SYS_clock_gettime, clock, ts); }

int gettimeofday(struct timeval* restrict tv, void* restrict tz) { return (int)syscall(SYS_gettimeofday, tv, tz); }

time_t time(time_t* t) { return (time_t)syscall(SYS_time, t); }
