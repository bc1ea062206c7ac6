/*
 * microbench.h -- the measurement behind `arenabench microbench`: ns per
 * malloc/free pair and per malloc+touch+free for one allocator, measured in
 * the process that calls it (the command forks a fresh child per sample).
 *
 * The pattern is a batch: allocate `batch` blocks (sizes from a
 * deterministic list), then free them all in a fixed shuffled order, and
 * repeat.  With ~1000 live blocks of mixed small sizes every size class has
 * a few pools in use and frees walk pool free lists and the arena's free
 * pools, so the measurement exercises pymalloc's pool/arena paths rather than
 * one free-list slot.  The same sizes and order are used for every allocator.
 */
#ifndef AB_MICROBENCH_H
#define AB_MICROBENCH_H

#include <stddef.h>
#include <stdint.h>
#include "allocators/allocator.h"

typedef enum {
    AB_MB_PAIR,    /* malloc then free, memory untouched */
    AB_MB_TOUCH,   /* malloc, write every byte, free */
    AB_MB_KINDS
} ab_mb_kind;

typedef struct ab_mb_pattern {
    size_t batch;            /* live blocks per round */
    size_t *sizes;           /* batch request sizes */
    size_t *free_order;      /* permutation of 0..batch-1 */
} ab_mb_pattern;

/* Build the pattern: sizes drawn (splitmix64, seed) from `choices` (n_choices
 * values), or uniformly from 1..512 -- every small size class equally --
 * when n_choices is 0.  0 on success, -1 on out of memory. */
int ab_mb_pattern_init(ab_mb_pattern *pat, size_t batch, const size_t *choices, size_t n_choices,
                       uint64_t seed);
void ab_mb_pattern_free(ab_mb_pattern *pat);

/* ns per operation (pair, or malloc+touch+free) over the timed rounds. */
typedef struct ab_mb_timing {
    double cpu_ns;     /* CLOCK_THREAD_CPUTIME_ID: excludes time the thread
                        * waited for a CPU, so other load on a shared
                        * machine inflates it far less than wall time */
    double wall_ns;    /* CLOCK_MONOTONIC */
} ab_mb_timing;

/* One untimed warm-up round, then ceil(ops / batch) timed rounds.  0 on
 * success; -1 with err set if the allocator returned NULL. */
int ab_mb_measure(const ab_allocator *a, const ab_mb_pattern *pat, ab_mb_kind kind, uint64_t ops,
                  ab_mb_timing *out, char *err, size_t errlen);

#endif
