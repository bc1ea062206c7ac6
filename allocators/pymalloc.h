/*
 * pymalloc.h -- a model of CPython's small-object allocator (obmalloc, CPython
 * 3.10-3.14 on 64-bit), parameterised by page backing, arena size, pool size
 * and arena reclaim policy (ab_pymalloc_config, allocators/variant.h).
 *
 * Observable behaviour follows Objects/obmalloc.c: 16-byte alignment, 32 size
 * classes up to 512 bytes, requests of 0 or more than 512 bytes (and pointers
 * the model does not own) go to the system allocator, pools with a 48-byte
 * header and lazily carved free lists, per-class usedpools lists, usable
 * arenas sorted most-full first through nfp2lasta, address_in_range through
 * a 3-level radix tree.  See allocators/pymalloc_internal.h for the data
 * structures and their invariants.
 *
 * Every piece of allocator state lives in the ab_pymalloc instance, so any
 * number of instances may coexist in one process (no locking: one thread).
 */
#ifndef AB_PYMALLOC_H
#define AB_PYMALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "allocators/allocator.h"
#include "allocators/variant.h"

/* SMALL_REQUEST_THRESHOLD / ALIGNMENT on 64-bit CPython >= 3.8. */
#define AB_PYMALLOC_SMALL_REQUEST_THRESHOLD 512
#define AB_PYMALLOC_ALIGNMENT 16
#define AB_PYMALLOC_NB_CLASSES (AB_PYMALLOC_SMALL_REQUEST_THRESHOLD / AB_PYMALLOC_ALIGNMENT)
/* sizeof(struct pool_header) rounded up to ALIGNMENT: POOL_OVERHEAD. */
#define AB_PYMALLOC_POOL_OVERHEAD 48

typedef struct ab_pymalloc ab_pymalloc;

/* Build an instance; NULL with a reason in err (bad config, out of memory). */
ab_pymalloc *ab_pymalloc_new(const ab_pymalloc_config *cfg, char *err, size_t errlen);
/* Unmap every arena and free the bookkeeping.  Blocks handed to the system
 * allocator (0 or >512 bytes) remain the caller's to free. */
void ab_pymalloc_delete(ab_pymalloc *pm);

/* PyObject_Malloc / Calloc / Realloc / Free. */
void *ab_pymalloc_malloc(ab_pymalloc *pm, size_t n);
void *ab_pymalloc_calloc(ab_pymalloc *pm, size_t nelem, size_t elsize);
void *ab_pymalloc_realloc(ab_pymalloc *pm, void *p, size_t n);
void ab_pymalloc_free(ab_pymalloc *pm, void *p);

/* address_in_range(): whether p lies in an arena this instance has mapped. */
bool ab_pymalloc_owns(const ab_pymalloc *pm, const void *p);

/* The configuration the instance was built with. */
const ab_pymalloc_config *ab_pymalloc_get_config(const ab_pymalloc *pm);

/* Called on every arena map/unmap (after the count changed). */
void ab_pymalloc_set_arena_hook(ab_pymalloc *pm, ab_arena_event_fn fn, void *arg);

/*
 * Called just *before* an arena is unmapped by the reclaim policy, while its
 * pages are still mapped (the arena hook runs after).  The harness reads
 * /proc/self/status HugetlbPages here: hugetlb pages leave the count only at
 * munmap, so this is where their local maximum is.  NULL to remove.  Must be
 * cheap and must not allocate through this allocator.
 */
void ab_pymalloc_set_unmap_probe(ab_pymalloc *pm, void (*fn)(void *arg), void *arg);

/* Generic statistics (allocators/allocator.h); reads /proc/self/smaps for
 * hugepage_bytes, so never call it inside a measured phase. */
void ab_pymalloc_stats(ab_pymalloc *pm, ab_alloc_stats *out);

/* One row of sys._debugmallocstats()' size-class table. */
typedef struct ab_pymalloc_class_stats {
    unsigned size;            /* block size in bytes: (class + 1) * 16 */
    int64_t pools;            /* "num pools": pools of this class holding >= 1 block */
    int64_t blocks_in_use;    /* "blocks in use" */
    int64_t avail_blocks;     /* "avail blocks": NUMBLOCKS(class) * pools - blocks_in_use */
} ab_pymalloc_class_stats;

/* Everything sys._debugmallocstats() prints for the small-object allocator,
 * computed the way pymalloc_print_stats() computes it (walking every arena). */
typedef struct ab_pymalloc_debug_stats {
    ab_pymalloc_class_stats classes[AB_PYMALLOC_NB_CLASSES];
    int64_t arenas_allocated_total;     /* "# arenas allocated total" */
    int64_t arenas_reclaimed;           /* "# arenas reclaimed" */
    int64_t arenas_highwater;           /* "# arenas highwater mark" */
    int64_t arenas_current;             /* "# arenas allocated current" */
    int64_t bytes_in_allocated_blocks;  /* "# bytes in allocated blocks" */
    int64_t bytes_in_available_blocks;  /* "# bytes in available blocks" */
    int64_t unused_pools;               /* "N unused pools * POOL_SIZE bytes" */
    int64_t bytes_lost_pool_headers;    /* "# bytes lost to pool headers" */
    int64_t bytes_lost_quantization;    /* "# bytes lost to quantization" */
    int64_t bytes_lost_alignment;       /* "# bytes lost to arena alignment" */
    int64_t total;                      /* "Total": always arenas_current * arena_size */
    int64_t radix_mid_nodes;            /* "arena map counts": mid nodes */
    int64_t radix_bot_nodes;            /* "arena map counts": bottom nodes */
    int64_t system_allocs;              /* requests passed to the system allocator */
} ab_pymalloc_debug_stats;

void ab_pymalloc_debug_stats_get(const ab_pymalloc *pm, ab_pymalloc_debug_stats *out);

/* Print in sys._debugmallocstats() layout (the pymalloc part). */
void ab_pymalloc_print_debug_stats(const ab_pymalloc *pm, FILE *f);

/*
 * Structural self-check (for tests; O(arenas * pools)): usable_arenas
 * doubly linked and sorted ascending by nfreepools with no full arena on it
 * and every non-full mapped arena on it; nfp2lasta[n] is the rightmost arena
 * with n free pools; per-arena free-pool lists agree with nfreepools; every
 * usedpools list holds exactly the partially used pools of its class;
 * arenas_current equals the number of mapped arenas; the radix tree claims
 * every mapped arena; the reclaim policy's empty-arena rule holds.
 * Returns 0, or -1 with the first violation described in err.
 */
int ab_pymalloc_check(const ab_pymalloc *pm, char *err, size_t errlen);

/* Wrap an instance in the generic interface (name is copied). */
void ab_pymalloc_as_allocator(ab_pymalloc *pm, const char *name, ab_allocator *out);
/* The instance behind an allocator built by ab_pymalloc_as_allocator() (or by
 * ab_variant_open() for a pymalloc variant); NULL for any other allocator. */
ab_pymalloc *ab_pymalloc_from_allocator(const ab_allocator *a);

#endif
