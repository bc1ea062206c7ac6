/*
 * pymalloc_internal.h -- data structures of the obmalloc model and the
 * helpers its hot paths inline.  Only allocators/pymalloc*.c include this.
 *
 * Vocabulary (obmalloc.c's):
 *   block  -- what malloc returns; 16 * (szidx + 1) bytes, 16-byte aligned.
 *   pool   -- POOL_SIZE bytes, POOL_SIZE-aligned, a 48-byte pm_pool header
 *             followed by blocks of one size class.
 *   arena  -- ARENA_SIZE bytes from the page backend, carved into pools.
 *
 * Pool states: used (some blocks allocated, some free: on its class's
 * usedpools list), full (every block allocated: on no list), empty (no block
 * allocated: on its arena's freepools list).  Never-carved pools are counted
 * in the arena's nfreepools but live above pool_address.
 */
#ifndef AB_PYMALLOC_INTERNAL_H
#define AB_PYMALLOC_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include "allocators/pymalloc.h"
#include "allocators/pages.h"
#include "tlbsim/access_hook.h"

#define PM_LIKELY(x) __builtin_expect(!!(x), 1)
#define PM_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define PM_ALIGNMENT_SHIFT 4                     /* log2(AB_PYMALLOC_ALIGNMENT) */
#define PM_NB_CLASSES AB_PYMALLOC_NB_CLASSES
#define PM_POOL_OVERHEAD AB_PYMALLOC_POOL_OVERHEAD
#define PM_INDEX2SIZE(i) (((unsigned)(i) + 1) << PM_ALIGNMENT_SHIFT)
/* szidx of a freshly carved pool: matches no class, so its first use always
 * initialises the header (obmalloc's DUMMY_SIZE_IDX). */
#define PM_DUMMY_SIZE_IDX 0xffffu
/* Arena objects the vector starts with; it doubles from there. */
#define PM_INITIAL_ARENA_OBJECTS 16
/* Address bits the radix tree covers on 64-bit (IGNORE_BITS == 0 since 3.11). */
#define PM_ADDRESS_BITS 64

typedef uint8_t pm_block;

typedef struct pm_pool pm_pool;
struct pm_pool {
    union {
        pm_block *padding;
        unsigned count;          /* blocks allocated from this pool */
    } ref;
    pm_block *freeblock;         /* head of the free list; NULL iff full */
    pm_pool *nextpool;           /* usedpools ring, or arena freepools list */
    pm_pool *prevpool;           /* usedpools ring only */
    unsigned arenaindex;         /* index into the arena vector */
    unsigned szidx;              /* size class, or PM_DUMMY_SIZE_IDX */
    unsigned nextoffset;         /* offset of the next never-used block */
    unsigned maxnextoffset;      /* largest valid nextoffset */
};
_Static_assert(sizeof(pm_pool) == PM_POOL_OVERHEAD, "pool header is 48 bytes on LP64");

typedef struct pm_arena pm_arena;
struct pm_arena {
    uintptr_t address;           /* 0: no arena attached (on unused list) */
    pm_block *pool_address;      /* next never-carved pool */
    unsigned nfreepools;         /* empty pools + never-carved pools */
    unsigned ntotalpools;        /* pools in the arena (one less if unaligned) */
    pm_pool *freepools;          /* empty pools, LIFO through nextpool */
    /* usable_arenas (doubly linked) while mapped and not full; the singly
     * linked unused_arena_objects list (nextarena) while unmapped. */
    pm_arena *nextarena;
    pm_arena *prevarena;
};

/* Radix tree leaf for one ARENA_SIZE-aligned chunk of address space:
 * tail_hi is the offset where an arena starting in this chunk begins (-1 if
 * it starts exactly at the chunk), tail_lo the offset where an arena that
 * started in the previous chunk ends.  0 means none. */
typedef struct pm_radix_leaf {
    int32_t tail_hi;
    int32_t tail_lo;
} pm_radix_leaf;

/* Radix tree geometry for ARENA_BITS a: INTERIOR_BITS = (64 - a + 2) / 3 for
 * the top and middle levels, the rest for the bottom level. */
#define PM_INTERIOR_BITS(a) ((PM_ADDRESS_BITS - (a) + 2) / 3)
#define PM_BOT_BITS(a) (PM_ADDRESS_BITS - (a) - 2 * PM_INTERIOR_BITS(a))
#define PM_MID_SHIFT(a) ((a) + PM_BOT_BITS(a))
#define PM_TOP_SHIFT(a) (PM_MID_SHIFT(a) + PM_INTERIOR_BITS(a))

struct ab_pymalloc {
    /* Per-class list heads: used[i] is a sentinel pool header whose
     * nextpool/prevpool ring holds the used pools of class i.  This is the
     * type-safe form of obmalloc's usedpools[] trick: the head is found by
     * indexing, emptiness is "head->nextpool == head", one load. */
    pm_pool used[PM_NB_CLASSES];

    /* Arenas with at least one free pool, ascending nfreepools: the head is
     * the most-full arena, which every new pool is taken from. */
    pm_arena *usable_arenas;
    /* nfp2lasta[n]: rightmost arena in usable_arenas with n free pools. */
    pm_arena **nfp2lasta;
    pm_arena *arenas;            /* the arena vector (system realloc) */
    unsigned maxarenas;
    pm_arena *unused_arena_objects;

    /* Geometry. */
    size_t arena_size;
    size_t pool_size;
    unsigned arena_bits;
    unsigned pool_bits;
    unsigned max_pools_in_arena;
    ab_reclaim_policy reclaim;

    /* Radix tree (address_in_range): root[top] -> mid[mid] -> leaf[bot]. */
    pm_radix_leaf ***radix_root;
    int64_t radix_mid_count;
    int64_t radix_bot_count;

    /* _obmalloc_mgmt counters. */
    int64_t narenas_currently_allocated;
    int64_t ntimes_arena_allocated;
    int64_t narenas_highwater;
    int64_t system_allocs;

    ab_pages pages;
    ab_arena_event_fn hook;
    void *hook_arg;
    void (*unmap_probe)(void *arg);  /* before a reclaim munmap, NULL none */
    void *unmap_probe_arg;
    ab_pymalloc_config cfg;
    /* free/realloc instantiated for this geometry (pymalloc.c). */
    void (*free_fn)(void *self, void *p);
    void *(*realloc_fn)(void *self, void *p, size_t n);
    char name[AB_VARIANT_NAME_MAX];
};

/* Free-list links live in the first word of a free block.  memcpy keeps the
 * accesses free of aliasing assumptions; it compiles to a plain move. */
static inline pm_block *pm_link_get(const pm_block *bp)
{
    pm_block *next;
    memcpy(&next, bp, sizeof next);
    AB_SIM_LOAD(bp);
    return next;
}

static inline void pm_link_set(pm_block *bp, pm_block *next)
{
    memcpy(bp, &next, sizeof next);
    AB_SIM_STORE(bp);
}

/* address_in_range() for ARENA_BITS a (a compile-time constant in the
 * specialised hot paths).  A missing node means "not ours". */
static inline bool pm_address_in_range(const ab_pymalloc *pm, const void *p, unsigned a)
{
    uintptr_t u = (uintptr_t)p;
    pm_radix_leaf **mid = pm->radix_root[u >> PM_TOP_SHIFT(a)];
    AB_SIM_LOAD(&pm->radix_root[u >> PM_TOP_SHIFT(a)]);
    if (PM_UNLIKELY(mid == NULL)) return false;
    pm_radix_leaf **midp = &mid[(u >> PM_MID_SHIFT(a)) & (((uintptr_t)1 << PM_INTERIOR_BITS(a)) - 1)];
    pm_radix_leaf *bot = *midp;
    AB_SIM_LOAD(midp);
    if (PM_UNLIKELY(bot == NULL)) return false;
    const pm_radix_leaf *leaf = &bot[(u >> a) & (((uintptr_t)1 << PM_BOT_BITS(a)) - 1)];
    AB_SIM_LOAD(leaf);
    int32_t tail = (int32_t)(u & (((uintptr_t)1 << a) - 1));
    return tail < leaf->tail_lo || (tail >= leaf->tail_hi && leaf->tail_hi != 0);
}

/* Slow paths (pymalloc_arenas.c). */
pm_block *pm_allocate_from_new_pool(ab_pymalloc *pm, unsigned size);
void pm_insert_to_freepool(ab_pymalloc *pm, pm_pool *pool);
void pm_release_all_arenas(ab_pymalloc *pm);

/* Radix tree maintenance (pymalloc_radix.c). */
int pm_radix_init(ab_pymalloc *pm);
/* Mark [base, base + arena_size) used (or clear it); 0 or -1 (no memory). */
int pm_radix_mark(ab_pymalloc *pm, uintptr_t base, bool used);
void pm_radix_destroy(ab_pymalloc *pm);

/* A pool that was full gets a free block: link it at the front of its
 * class's ring (most recently freed-into pool is used first). */
static inline void pm_insert_to_usedpool(ab_pymalloc *pm, pm_pool *pool)
{
    pm_pool *head = &pm->used[pool->szidx];
    AB_SIM_LOAD(&pool->szidx);
    pm_pool *next = head->nextpool;
    AB_SIM_LOAD(&head->nextpool);
    pool->nextpool = next;
    pool->prevpool = head;
    AB_SIM_STORE(&pool->nextpool);
    next->prevpool = pool;
    AB_SIM_STORE(&next->prevpool);
    head->nextpool = pool;
    AB_SIM_STORE(&head->nextpool);
}

#endif
