/*
 * budget_alloc.h -- a counting allocator with a budget, for replaying
 * untrusted traces (the cmocka fuzzer in tests/test_trace.c and the libFuzzer
 * target tests/fuzz/fuzz_trace.c).  Header-only, like testutil.h.
 *
 * Invariants: a request above max_block, or one that would take live_bytes
 * past limit, fails (returns NULL) instead of allocating, so no size field in
 * a corrupt trace can make a replay allocate without bound; live_bytes and
 * live_blocks return to 0 exactly when every block was freed, which is how
 * the tests check that a replay's teardown releases everything.
 */
#ifndef AB_BUDGET_ALLOC_H
#define AB_BUDGET_ALLOC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "allocators/allocator.h"

typedef struct ab_budget {
    size_t live_bytes, limit, max_block;
    uint64_t live_blocks;
} ab_budget;

/* Each block carries its size in a header of AB_MIN_ALIGNMENT bytes, so the
 * returned pointer keeps the alignment every ab_allocator promises. */
#define AB_BUDGET_HEADER AB_MIN_ALIGNMENT

static inline void *ab_budget_malloc(void *s, size_t n)
{
    ab_budget *b = s;
    if (n > b->max_block || b->live_bytes + n > b->limit) return NULL;
    size_t *p = malloc(n + AB_BUDGET_HEADER);
    if (!p) return NULL;
    p[0] = n;
    b->live_bytes += n;
    b->live_blocks++;
    return (char *)p + AB_BUDGET_HEADER;
}

static inline void *ab_budget_calloc(void *s, size_t nelem, size_t elsize)
{
    if (elsize && nelem > ((ab_budget *)s)->max_block / elsize) return NULL;
    void *p = ab_budget_malloc(s, nelem * elsize);
    if (p) memset(p, 0, nelem * elsize);
    return p;
}

static inline void ab_budget_free(void *s, void *p)
{
    ab_budget *b = s;
    if (!p) return;
    size_t *h = (size_t *)((char *)p - AB_BUDGET_HEADER);
    b->live_bytes -= h[0];
    b->live_blocks--;
    free(h);
}

static inline void *ab_budget_realloc(void *s, void *p, size_t n)
{
    if (!p) return ab_budget_malloc(s, n);
    size_t old = *(size_t *)((char *)p - AB_BUDGET_HEADER);
    void *q = ab_budget_malloc(s, n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    ab_budget_free(s, p);
    return q;
}

static inline void ab_budget_stats(void *s, ab_alloc_stats *st)
{
    (void)s;
    ab_alloc_stats_init_unknown(st);   /* no arenas: every field unknown */
}

/* A budgeted allocator of `limit` bytes in which one block may take at most
 * 1/64 of the budget. */
static inline ab_allocator ab_budget_allocator(ab_budget *b, size_t limit)
{
    *b = (ab_budget){0, limit, limit / 64, 0};
    return (ab_allocator){.name = "budget", .self = b, .malloc = ab_budget_malloc,
                          .calloc = ab_budget_calloc, .realloc = ab_budget_realloc,
                          .free = ab_budget_free, .stats = ab_budget_stats};
}

#endif
