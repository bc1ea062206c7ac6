/*
 * microbench_kernel.c -- the timed loops of `arenabench microbench`.
 *
 * Bookkeeping (the pattern and the live-pointer array) is allocated with the
 * process's malloc before timing starts, so the timed loop calls nothing but
 * the allocator under test, clock_gettime twice, and (touch mode) memset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness/microbench/microbench.h"

/* pymalloc's SMALL_REQUEST_THRESHOLD: the default sizes cover its classes. */
#define MB_DEFAULT_MAX_SIZE 512

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int ab_mb_pattern_init(ab_mb_pattern *pat, size_t batch, const size_t *choices, size_t n_choices,
                       uint64_t seed)
{
    pat->batch = batch;
    pat->sizes = malloc(batch * sizeof *pat->sizes);
    pat->free_order = malloc(batch * sizeof *pat->free_order);
    if (!pat->sizes || !pat->free_order) {
        ab_mb_pattern_free(pat);
        return -1;
    }
    uint64_t rng = seed;
    for (size_t i = 0; i < batch; i++) {
        uint64_t r = splitmix64(&rng);
        pat->sizes[i] = n_choices ? choices[r % n_choices] : 1 + (size_t)(r % MB_DEFAULT_MAX_SIZE);
        pat->free_order[i] = i;
    }
    /* Fisher-Yates: frees land in pools in an order unrelated to carving. */
    for (size_t i = batch; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&rng) % i);
        size_t t = pat->free_order[i - 1];
        pat->free_order[i - 1] = pat->free_order[j];
        pat->free_order[j] = t;
    }
    return 0;
}

void ab_mb_pattern_free(ab_mb_pattern *pat)
{
    free(pat->sizes);
    free(pat->free_order);
    pat->sizes = NULL;
    pat->free_order = NULL;
}

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One round: allocate the batch, then free it.  false if malloc failed
 * (everything allocated so far is freed). */
static bool run_round(const ab_allocator *a, const ab_mb_pattern *pat, void **live, bool touch,
                      unsigned char fill)
{
    void *(*alloc)(void *, size_t) = a->malloc;
    void (*release)(void *, void *) = a->free;
    void *self = a->self;
    size_t n = pat->batch;
    for (size_t i = 0; i < n; i++) {
        void *p = alloc(self, pat->sizes[i]);
        if (!p) {
            for (size_t j = 0; j < i; j++)
                release(self, live[j]);
            return false;
        }
        if (touch)
            memset(p, fill, pat->sizes[i]);
        live[i] = p;
    }
    for (size_t i = 0; i < n; i++)
        release(self, live[pat->free_order[i]]);
    return true;
}

int ab_mb_measure(const ab_allocator *a, const ab_mb_pattern *pat, ab_mb_kind kind, uint64_t ops,
                  ab_mb_timing *out, char *err, size_t errlen)
{
    void **live = malloc(pat->batch * sizeof *live);
    if (!live) {
        snprintf(err, errlen, "out of memory for %zu live pointers", pat->batch);
        return -1;
    }
    bool touch = kind == AB_MB_TOUCH;
    uint64_t rounds = (ops + pat->batch - 1) / pat->batch;
    int result = -1;
    if (!run_round(a, pat, live, touch, 0)) {
        snprintf(err, errlen, "%s: malloc returned NULL in warm-up", a->name);
        goto out;
    }
    int64_t wall_start = now_ns(CLOCK_MONOTONIC), cpu_start = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (uint64_t r = 0; r < rounds; r++) {
        if (!run_round(a, pat, live, touch, (unsigned char)r)) {
            snprintf(err, errlen, "%s: malloc returned NULL in round %llu", a->name,
                     (unsigned long long)r);
            goto out;
        }
    }
    int64_t cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start, wall = now_ns(CLOCK_MONOTONIC) - wall_start;
    double nops = (double)(rounds * pat->batch);
    out->cpu_ns = (double)cpu / nops;
    out->wall_ns = (double)wall / nops;
    result = 0;
out:
    free(live);
    return result;
}
