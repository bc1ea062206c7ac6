/*
 * sample.h -- one sample as the harness measured it, typed, and its one
 * serialisation to the results format.
 *
 * Both ways of measuring fill this struct: the forked child of `run`
 * (harness child.c) and the parent of an exec'ed command (`exec`, runner.c).
 * ab_sample_json() walks the metrics registry (metrics.h) to write every
 * metric at its location, null where unknown, so a sample always carries
 * every key whatever its status.
 */
#ifndef AB_RESULTS_SAMPLE_H
#define AB_RESULTS_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <jansson.h>
#include "allocators/allocator.h"
#include "harness/counters/counters.h"
#include "harness/results/schema.h"

/* Operation counts a workload made (sample.ops). */
typedef struct ab_sample_ops {
    int64_t malloc_calls, calloc_calls, realloc_calls, free_calls;
} ab_sample_ops;

/* What the TLB simulator counted (sample.sim; docs/tlb-model.md). */
typedef struct ab_sample_sim {
    int64_t accesses, loads, stores;
    int64_t dtlb_load_misses, dtlb_store_misses;
    int64_t stlb_misses, stlb_load_misses, stlb_store_misses;
    int64_t accesses_4k, accesses_2m;
    int64_t dtlb_load_misses_4k, dtlb_load_misses_2m, dtlb_store_misses_4k, dtlb_store_misses_2m;
    int64_t stlb_misses_4k, stlb_misses_2m;
    int64_t regions_4k, regions_2m;
    int64_t invalidations, page_not_present, page_size_ambiguous;
} ab_sample_sim;

typedef struct ab_sample {
    ab_sample_status status;
    char reason[320];              /* "" when ok */

    /* Metrics: AB_VALUE_UNKNOWN (null) where not measured. */
    int64_t wall_ns, user_ns, sys_ns;
    int64_t rss_peak_kb, rss_end_kb;
    int64_t hugetlb_kb_peak, hugetlb_kb_end;
    int64_t mem_peak_kb, mem_end_kb;   /* set by ab_sample_set_mem */
    bool has_alloc;                /* false: "alloc" is null */
    ab_alloc_stats alloc;
    bool has_ops;                  /* false: "ops" is null */
    ab_sample_ops ops;
    bool has_sim;                  /* false: "sim" is null (no --tlb-model) */
    ab_sample_sim sim;
    bool has_checksum;
    uint64_t checksum;

    /* Counters for the plan's events (n_counters of them, in order);
     * counters == NULL: every event null with status "error" (the counter
     * layer returned nothing).  Borrowed. */
    const ab_counter_value *counters;
    size_t n_counters;

    /* Context of the figures (not metrics); -1 / NULL: not written. */
    int64_t phases;                /* run: completed measured phases */
    int64_t rss_base_kb;           /* run: the child's RSS before the allocator opened */
    const char *rss_source;        /* exec: where the RSS figures come from */
    bool has_exit_code;            /* exec: write exit_code (null when < 0) */
    int exit_code;
    json_t *timeline;              /* owned; NULL: null */
} ab_sample;

/* Everything unknown, status ok, no counters. */
void ab_sample_init(ab_sample *s);
/* Release what the sample owns (the timeline). */
void ab_sample_clear(ab_sample *s);

/*
 * Set the memory figures (negative: unknown):
 *   mem_end_kb  = rss_end_kb + hugetlb_kb_end (exact: one moment);
 *   mem_peak_kb = rss_peak_kb + hugetlb_kb_peak, an upper bound of the true
 *                 peak (the two maxima need not coincide in time), never
 *                 below it.
 */
void ab_sample_set_mem(ab_sample *s, int64_t rss_peak_kb, int64_t rss_end_kb, int64_t hugetlb_peak_kb,
                       int64_t hugetlb_end_kb);

/* The sample as a JSON object (new reference): every registry metric at its
 * location, null where unknown.  events names the counters (n_events); when
 * s->counters is NULL every event is null with status "error". */
json_t *ab_sample_json(const ab_sample *s, char *const *events, size_t n_events);

/* A sample the harness could not measure (no JSON from the child, a crash, a
 * timeout): status and reason, every metric null. */
json_t *ab_sample_failure_json(ab_sample_status status, const char *reason, char *const *events,
                               size_t n_events);

/* What the parent adds to a sample: its place in the schedule, how the
 * process ended (signal 0: none) and, when have_rusage, the child's rusage
 * and the fork-to-reap time.  Overrides "status" and "reason". */
void ab_sample_json_set_outcome(json_t *sample, int rep, size_t order, ab_sample_status status,
                                const char *reason, int signal);
void ab_sample_json_set_rusage(json_t *sample, const struct rusage *ru, int64_t elapsed_ns);

/* The status a sample's JSON reports (unparseable or unknown: failed). */
ab_sample_status ab_sample_json_status(const json_t *sample);
/* Its reason, or NULL. Borrowed. */
const char *ab_sample_json_reason(const json_t *sample);

#endif
