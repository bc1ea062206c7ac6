/*
 * counters_bench.c -- what the counters layer costs per sample.
 *
 * A sample opens a counter set, enables it around the measured phase,
 * disables it, reads it and closes it; the runner pays that once per forked
 * child.  This times each step over many iterations (CLOCK_MONOTONIC, ns per
 * operation) on the default events of this machine, plus the libpfm4
 * encoding of one event.  Numbers are for the report, not a pass/fail gate.
 *
 *   build/counters-bench [ITERATIONS]    (default 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "harness/counters/counters.h"
#include "harness/counters/counters_impl.h"

#define DEFAULT_ITERATIONS 2000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void bench_set(const char *label, const char *const *events, size_t n, long iters)
{
    ab_counter_value *vals = calloc(n, sizeof *vals);
    double t_open = 0, t_enable = 0, t_disable = 0, t_read = 0, t_close = 0;
    size_t opened = 0;
    for (long i = 0; i < iters; i++) {
        double t0 = now_ns();
        ab_counter_set *cs = ab_counters_open(events, n, 0, false);
        double t1 = now_ns();
        ab_counters_enable(cs);
        double t2 = now_ns();
        ab_counters_disable(cs);
        double t3 = now_ns();
        ab_counters_read(cs, vals, n);
        double t4 = now_ns();
        ab_counters_close(cs);
        double t5 = now_ns();
        t_open += t1 - t0;
        t_enable += t2 - t1;
        t_disable += t3 - t2;
        t_read += t4 - t3;
        t_close += t5 - t4;
    }
    for (size_t k = 0; k < n; k++)
        opened += vals[k].status == AB_CTR_OK || vals[k].status == AB_CTR_MULTIPLEXED
               || vals[k].status == AB_CTR_NOT_COUNTED;
    printf("%-34s events=%zu opened=%zu  open %8.0f  enable %6.0f  disable %6.0f  read %6.0f  close %7.0f"
           "  total %8.0f ns\n", label, n, opened, t_open / iters, t_enable / iters, t_disable / iters,
           t_read / iters, t_close / iters, (t_open + t_enable + t_disable + t_read + t_close) / iters);
    free(vals);
}

static void bench_encode(const char *name, long iters)
{
    ab_encoded_event e;
    char err[200];
    double t0 = now_ns();
    for (long i = 0; i < iters; i++)
        ab_event_encode(name, true, &e, err, sizeof err);
    double t1 = now_ns();
    printf("encode %-34s %8.0f ns/event\n", name, (t1 - t0) / iters);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : DEFAULT_ITERATIONS;
    if (iters <= 0)
        iters = DEFAULT_ITERATIONS;
    size_t n;
    const char *const *dfl = ab_counters_default_events(&n);
    static const char *const sw[] = {"page-faults", "minor-faults", "major-faults", "task-clock"};
    printf("iterations: %ld (ns per operation, mean)\n", iters);
    bench_set("software group (4 events)", sw, 4, iters);
    bench_set("defaults of this machine", dfl, n, iters);
    bench_encode("page-faults", iters);
    bench_encode("dTLB-load-misses", iters);
    bench_encode("DTLB_LOAD_MISSES:WALK_COMPLETED", iters);
    bench_encode("perf::PERF_COUNT_SW_TASK_CLOCK", iters);
    return 0;
}
