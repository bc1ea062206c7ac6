/*
 * fuzz_trace.c -- libFuzzer target for the arenatrace reader and replay
 * (`make fuzz-trace`, needs clang; the cmocka fuzzer in tests/test_trace.c
 * runs regardless).  Every input the reader accepts is iterated and
 * replayed through a budgeted allocator, so a size field can never make
 * the replay allocate without bound.
 *
 *   make fuzz-trace && build/fuzz/trace_fuzzer -max_total_time=60 tests/corpus/trace
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "workloads/replay.h"
#include "workloads/trace_format.h"

#define FUZZ_BUDGET_BYTES ((size_t)32 << 20)
#define FUZZ_MAX_BLOCK ((size_t)1 << 20)
#define FUZZ_HEADER 16

typedef struct budget {
    size_t live;
} budget;

static void *b_malloc(void *s, size_t n)
{
    budget *b = s;
    if (n > FUZZ_MAX_BLOCK || b->live + n > FUZZ_BUDGET_BYTES) return NULL;
    size_t *p = malloc(n + FUZZ_HEADER);
    if (!p) return NULL;
    p[0] = n;
    b->live += n;
    return (char *)p + FUZZ_HEADER;
}

static void *b_calloc(void *s, size_t a, size_t e)
{
    if (e && a > FUZZ_MAX_BLOCK / e) return NULL;
    void *p = b_malloc(s, a * e);
    if (p) memset(p, 0, a * e);
    return p;
}

static void b_free(void *s, void *p)
{
    if (!p) return;
    size_t *h = (size_t *)((char *)p - FUZZ_HEADER);
    ((budget *)s)->live -= h[0];
    free(h);
}

static void *b_realloc(void *s, void *p, size_t n)
{
    if (!p) return b_malloc(s, n);
    size_t old = *(size_t *)((char *)p - FUZZ_HEADER);
    void *q = b_malloc(s, n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    b_free(s, p);
    return q;
}

static void b_stats(void *s, ab_alloc_stats *st)
{
    (void)s;
    memset(st, 0xff, sizeof *st);   /* every field AB_STAT_UNKNOWN (-1) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ab_trace t;
    char err[256];
    if (ab_trace_load_buffer(data, size, &t, err, sizeof err)) {
        if (!err[0]) abort();   /* every rejection names its reason */
        return 0;
    }
    ab_trace_cursor c;
    ab_trace_rec r;
    uint64_t n = 0;
    int more;
    ab_trace_cursor_init(&c, &t);
    while ((more = ab_trace_next(&c, &r)) == 1) n++;
    if (more != 0 || n != t.n_records) abort();
    budget b = {0};
    ab_allocator a = {.name = "budget", .self = &b, .malloc = b_malloc, .calloc = b_calloc,
                      .realloc = b_realloc, .free = b_free, .stats = b_stats};
    ab_wl_ctx ctx = {.alloc = &a, .scale = 1.0};
    if (ab_replay_run(&t, &ctx, NULL) && !ctx.error[0]) abort();
    if (b.live) abort();        /* teardown frees everything */
    ab_trace_free(&t);
    return 0;
}
