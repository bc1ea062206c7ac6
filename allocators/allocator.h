/*
 * allocator.h -- the one interface every allocator variant is driven through.
 *
 * A workload never calls malloc() directly: it calls through an ab_allocator,
 * so the same call sequence can be replayed against the pymalloc model (in any
 * of its page-backing / geometry / reclaim variants), the reference allocators
 * (glibc, jemalloc, mimalloc, tcmalloc) and the real CPython PyObject_Malloc.
 *
 * Invariants every implementation keeps:
 *   - malloc/calloc/realloc return memory aligned to at least AB_MIN_ALIGNMENT
 *     (16 bytes, pymalloc's ALIGNMENT on 64-bit since CPython 3.8), except
 *     that jemalloc, mimalloc and tcmalloc align requests of 0-8 bytes to 8:
 *     they are measured as shipped, not padded (tests/test_reference.c);
 *   - free(NULL) is a no-op, realloc(NULL, n) is malloc(n);
 *   - a pointer the allocator did not hand out must never be passed to it,
 *     except that the pymalloc model accepts (and forwards to the system
 *     allocator) pointers it does not own, exactly as CPython's
 *     PyObject_Free does via address_in_range().
 *
 * Each instance lives in one process (the runner forks a fresh child per
 * sample), so implementations need no locking.
 */
#ifndef AB_ALLOCATOR_H
#define AB_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* pymalloc ALIGNMENT on LP64 since CPython 3.8 (bpo-27987). */
#define AB_MIN_ALIGNMENT 16

/*
 * Statistics with sys._debugmallocstats() meanings.  A field an allocator
 * cannot know is AB_STAT_UNKNOWN (reported as JSON null), never 0.
 */
#define AB_STAT_UNKNOWN (-1)

typedef struct ab_alloc_stats {
    /* "# arenas allocated total" / "reclaimed" / "highwater mark" / "current" */
    int64_t arenas_allocated_total;
    int64_t arenas_reclaimed;
    int64_t arenas_highwater;
    int64_t arenas_current;
    int64_t arena_size;          /* bytes per arena */
    int64_t pool_size;           /* bytes per pool */
    int64_t pools_in_use;        /* pools holding at least one block */
    int64_t blocks_in_use;       /* blocks handed out by the small-object path */
    int64_t bytes_in_blocks;     /* "# bytes in allocated blocks" */
    int64_t bytes_lost_pool_headers;
    int64_t bytes_lost_quantization;
    int64_t bytes_lost_alignment; /* "# bytes lost to arena alignment" */
    int64_t system_allocs;       /* requests (0 or >512 bytes) passed to the system allocator */
    int64_t mmap_calls;          /* arena mappings made (including hugetlb attempts that failed) */
    int64_t munmap_calls;
    int64_t hugetlb_fallbacks;   /* MAP_HUGETLB failed, plain mmap used instead */
    int64_t hugetlb_skipped;     /* MAP_HUGETLB not tried: huge page size does not divide arena */
    int64_t arena_bytes_mapped;  /* bytes currently mapped for arenas */
    int64_t hugepage_bytes;      /* of those, bytes backed by huge pages (smaps) */
} ab_alloc_stats;

void ab_alloc_stats_init_unknown(ab_alloc_stats *st);

/*
 * Called by allocators that manage arenas each time one is mapped or
 * unmapped (arenas_current is the count *after* the event), so the runner
 * can record a memory timeline.  Must be cheap and must not allocate through
 * the allocator that calls it.
 */
typedef void (*ab_arena_event_fn)(void *arg, int mapped, int64_t arenas_current);

typedef struct ab_allocator {
    const char *name;            /* canonical variant name, e.g. "4k" or "pymalloc:pages=thp,..." */
    void *self;
    void *(*malloc)(void *self, size_t n);
    void *(*calloc)(void *self, size_t nelem, size_t elsize);
    void *(*realloc)(void *self, void *p, size_t n);
    void (*free)(void *self, void *p);
    /* Fill *out (fields it cannot know stay AB_STAT_UNKNOWN).  May read /proc;
     * never call it inside a measured phase. */
    void (*stats)(void *self, ab_alloc_stats *out);
    /* Optional: install the arena event hook (NULL where unsupported). */
    void (*set_arena_hook)(void *self, ab_arena_event_fn fn, void *arg);
    /* Optional (NULL where unsupported): install fn to be called just
     * *before* an arena is unmapped, while its pages are still mapped (the
     * arena hook runs after).  Memory that leaves the process's counts only
     * at munmap -- hugetlb pages -- has its local maximum exactly here, so
     * the harness reads it in fn.  fn must be cheap and must not allocate
     * through this allocator; NULL removes it. */
    void (*set_before_unmap)(void *self, void (*fn)(void *arg), void *arg);
    void (*destroy)(void *self);
} ab_allocator;

#endif
