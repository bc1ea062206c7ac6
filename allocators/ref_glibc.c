/*
 * ref_glibc.c -- the process's own malloc/free as a reference allocator.
 *
 * In a normal build that is glibc's ptmalloc2; in the ASan flavour it is the
 * sanitizer's allocator (which is what a sanitized program would get, and is
 * never what a benchmark result should be quoted from).
 *
 * Statistics: glibc has no arenas in pymalloc's sense (its "arenas" are
 * per-thread heaps, a different thing), so every arena/pool/block field stays
 * AB_STAT_UNKNOWN.  The one figure that keeps its meaning is
 * bytes_in_blocks, reported as mallinfo2().uordblks + hblkhd: bytes in
 * chunks currently handed out from the heap plus bytes in chunks served by
 * mmap (chunk headers and rounding included, so it is >= the bytes asked
 * for).  system_allocs counts the requests CPython would have passed to the
 * system allocator (0 or >512 bytes), so the column compares across
 * variants of one workload.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include "allocators/ref_internal.h"

typedef struct glibc_ref {
    int64_t system_requests;
} glibc_ref;

static void *glibc_malloc(void *self, size_t n)
{
    glibc_ref *g = self;
    if (__builtin_expect(ab_ref_is_system_request(n), 0))
        g->system_requests++;
    return malloc(n);
}

static void *glibc_calloc(void *self, size_t nelem, size_t elsize)
{
    glibc_ref *g = self;
    size_t n;
    if (!__builtin_mul_overflow(nelem, elsize, &n))
        g->system_requests += ab_ref_is_system_request(n);
    return calloc(nelem, elsize);
}

static void *glibc_realloc(void *self, void *p, size_t n)
{
    glibc_ref *g = self;
    g->system_requests += ab_ref_is_system_request(n);
    return realloc(p, n);
}

static void glibc_free(void *self, void *p)
{
    (void)self;
    free(p);
}

static void glibc_stats(void *self, ab_alloc_stats *out)
{
    glibc_ref *g = self;
    ab_alloc_stats_init_unknown(out);
    out->system_allocs = g->system_requests;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    out->bytes_in_blocks = (int64_t)(mi.uordblks + mi.hblkhd);
#endif
}

static void glibc_destroy(void *self)
{
    free(self);
}

bool ab_ref_glibc_available(char *why, size_t whylen)
{
    if (whylen)
        why[0] = 0;
    return true;
}

int ab_ref_glibc_open(ab_allocator *out, char *err, size_t errlen)
{
    glibc_ref *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "glibc: out of memory");
        return -1;
    }
    *out = (ab_allocator){
        .name = "glibc",
        .self = g,
        .malloc = glibc_malloc,
        .calloc = glibc_calloc,
        .realloc = glibc_realloc,
        .free = glibc_free,
        .stats = glibc_stats,
        .set_arena_hook = NULL,
        .destroy = glibc_destroy,
    };
    return 0;
}
