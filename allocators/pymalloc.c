/*
 * pymalloc.c -- the model's fast paths (PyObject_Malloc / Calloc / Realloc /
 * Free) and instance lifetime.
 *
 * Speed: the per-pair cost must stay within a few percent of the real
 * PyObject_Malloc, so the hot paths do what obmalloc's do and nothing more:
 * one size-class shift, one list-head load, one free-list pop (malloc); a
 * mask, a three-level radix lookup and one free-list push (free).  POOL_BITS
 * and ARENA_BITS are compile-time constants in obmalloc; here each supported
 * (pool, arena) geometry gets its own instantiation of free/realloc with the
 * shifts and masks folded to constants, chosen once when the allocator is
 * opened.  malloc does not depend on the geometry outside its slow path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocators/pymalloc_internal.h"

/* ---- system allocator (PyMem_RawMalloc & co.) ----------------------------
 * Like CPython's raw allocator, a 0-byte request becomes a 1-byte one so a
 * unique non-NULL pointer comes back. */
static void *sys_malloc(ab_pymalloc *pm, size_t n)
{
    pm->system_allocs++;
    return malloc(n ? n : 1);
}

static void *sys_calloc(ab_pymalloc *pm, size_t nelem, size_t elsize)
{
    pm->system_allocs++;
    if (nelem == 0 || elsize == 0) nelem = elsize = 1;
    return calloc(nelem, elsize);
}

static void *sys_realloc(ab_pymalloc *pm, void *p, size_t n)
{
    pm->system_allocs++;
    return realloc(p, n ? n : 1);
}

/* ---- small-object path ---------------------------------------------------- */

/* The pool's free list ran dry: extend it by one never-used block, or, if
 * the pool has none left, it is full and leaves its usedpools ring. */
static inline void pool_extend(pm_pool *pool, unsigned size)
{
    AB_SIM_LOAD(&pool->nextoffset);
    if (PM_UNLIKELY(pool->nextoffset <= pool->maxnextoffset)) {
        pool->freeblock = (pm_block *)pool + pool->nextoffset;
        pool->nextoffset += PM_INDEX2SIZE(size);
        AB_SIM_STORE(&pool->nextoffset);
        pm_link_set(pool->freeblock, NULL);
        return;
    }
    pm_pool *next = pool->nextpool, *prev = pool->prevpool;
    AB_SIM_LOAD(&pool->nextpool);
    next->prevpool = prev;
    AB_SIM_STORE(&next->prevpool);
    prev->nextpool = next;
    AB_SIM_STORE(&prev->nextpool);
}

/* pymalloc_alloc(): NULL means "not a small request" (or no memory).  Used
 * where the fast path need not be frame-free (calloc). */
static inline void *small_alloc(ab_pymalloc *pm, size_t nbytes)
{
    /* nbytes == 0 wraps around and is rejected with the large ones. */
    if (PM_UNLIKELY(nbytes - 1 >= AB_PYMALLOC_SMALL_REQUEST_THRESHOLD)) return NULL;
    unsigned size = (unsigned)(nbytes - 1) >> PM_ALIGNMENT_SHIFT;
    pm_pool *head = &pm->used[size];
    pm_pool *pool = head->nextpool;
    AB_SIM_LOAD(&head->nextpool);
    pm_block *bp;
    if (PM_LIKELY(pool != head)) {
        ++pool->ref.count;
        bp = pool->freeblock;
        AB_SIM_LOAD(pool);
        AB_SIM_STORE(&pool->ref.count);
        pool->freeblock = pm_link_get(bp);
        AB_SIM_STORE(&pool->freeblock);
        if (PM_UNLIKELY(pool->freeblock == NULL))
            pool_extend(pool, size);
    } else {
        bp = pm_allocate_from_new_pool(pm, size);
    }
    return bp;
}

/* pymalloc_free(): false means "not ours". */
static inline bool small_free(ab_pymalloc *pm, void *p, unsigned pool_bits, unsigned arena_bits)
{
    if (PM_UNLIKELY(!pm_address_in_range(pm, p, arena_bits))) return false;
    pm_pool *pool = (pm_pool *)((uintptr_t)p & ~(((uintptr_t)1 << pool_bits) - 1));
    pm_block *lastfree = pool->freeblock;
    AB_SIM_LOAD(&pool->freeblock);
    pm_link_set(p, lastfree);
    pool->freeblock = p;
    pool->ref.count--;
    AB_SIM_STORE(&pool->freeblock);
    AB_SIM_STORE(&pool->ref.count);
    if (PM_UNLIKELY(lastfree == NULL)) {
        /* It was full: back on its ring, at the front. */
        pm_insert_to_usedpool(pm, pool);
        return true;
    }
    if (PM_LIKELY(pool->ref.count != 0)) return true;
    pm_insert_to_freepool(pm, pool);
    return true;
}

/* Everything but "pop a block from the first used pool": a new pool, the
 * system allocator, or both (no arena could be mapped). */
__attribute__((noinline)) static void *malloc_slow(ab_pymalloc *pm, size_t n)
{
    if (n - 1 < AB_PYMALLOC_SMALL_REQUEST_THRESHOLD) {
        void *bp = pm_allocate_from_new_pool(pm, (unsigned)(n - 1) >> PM_ALIGNMENT_SHIFT);
        if (bp != NULL) return bp;
    }
    return sys_malloc(pm, n);
}

/* _PyObject_Malloc.  The fast path makes no call, so it needs no stack
 * frame; everything else is one tail call. */
static inline void *malloc_impl(ab_pymalloc *pm, size_t n)
{
    if (PM_LIKELY(n - 1 < AB_PYMALLOC_SMALL_REQUEST_THRESHOLD)) {
        unsigned size = (unsigned)(n - 1) >> PM_ALIGNMENT_SHIFT;
        pm_pool *head = &pm->used[size];
        pm_pool *pool = head->nextpool;
        AB_SIM_LOAD(&head->nextpool);
        if (PM_LIKELY(pool != head)) {
            ++pool->ref.count;
            pm_block *bp = pool->freeblock;
            AB_SIM_LOAD(pool);
            AB_SIM_STORE(&pool->ref.count);
            pool->freeblock = pm_link_get(bp);
            AB_SIM_STORE(&pool->freeblock);
            if (PM_UNLIKELY(pool->freeblock == NULL))
                pool_extend(pool, size);
            return bp;
        }
    }
    return malloc_slow(pm, n);
}

void *ab_pymalloc_malloc(ab_pymalloc *pm, size_t n)
{
    return malloc_impl(pm, n);
}

void *ab_pymalloc_calloc(ab_pymalloc *pm, size_t nelem, size_t elsize)
{
    if (elsize != 0 && nelem > SIZE_MAX / elsize) return NULL;
    size_t nbytes = nelem * elsize;
    void *p = small_alloc(pm, nbytes);
    if (p != NULL) {
        memset(p, 0, nbytes);
        AB_SIM_STORE_RANGE(p, nbytes);
        return p;
    }
    return sys_calloc(pm, nelem, elsize);
}

static inline void free_impl(ab_pymalloc *pm, void *p, unsigned pool_bits, unsigned arena_bits)
{
    if (p == NULL) return;
    if (PM_UNLIKELY(!small_free(pm, p, pool_bits, arena_bits))) free(p);
}

/* pymalloc_realloc(): stay in place when the request still fits the block
 * and does not shrink it below 3/4 (so shrinking to much smaller sizes
 * releases the bigger block); otherwise malloc + copy + free. */
static inline void *realloc_impl(ab_pymalloc *pm, void *p, size_t nbytes,
                                 unsigned pool_bits, unsigned arena_bits)
{
    if (p == NULL) return malloc_impl(pm, nbytes);
    if (!pm_address_in_range(pm, p, arena_bits)) return sys_realloc(pm, p, nbytes);
    const pm_pool *pool = (const pm_pool *)((uintptr_t)p & ~(((uintptr_t)1 << pool_bits) - 1));
    size_t size = PM_INDEX2SIZE(pool->szidx);
    AB_SIM_LOAD(&pool->szidx);
    if (nbytes <= size) {
        if (4 * nbytes > 3 * size) return p;
        size = nbytes;
    }
    void *bp = malloc_impl(pm, nbytes);
    if (bp != NULL) {
        memcpy(bp, p, size);
        AB_SIM_LOAD_RANGE(p, size);
        AB_SIM_STORE_RANGE(bp, size);
        free_impl(pm, p, pool_bits, arena_bits);
    }
    return bp;
}

/* ---- geometry specialisations -------------------------------------------- */

typedef struct geometry_entry {
    unsigned pool_bits, arena_bits;
    void (*free)(void *self, void *p);
    void *(*realloc)(void *self, void *p, size_t n);
} geometry_entry;

#define PM_GEOMETRY(pb, ab)                                                     \
    static void free_##pb##_##ab(void *self, void *p)                           \
    {                                                                           \
        free_impl(self, p, pb, ab);                                             \
    }                                                                           \
    static void *realloc_##pb##_##ab(void *self, void *p, size_t n)             \
    {                                                                           \
        return realloc_impl(self, p, n, pb, ab);                                \
    }

/* POOL_BITS 12 (4 KiB) / 14 (16 KiB) x ARENA_BITS 18 / 20 / 21. */
PM_GEOMETRY(12, 18)
PM_GEOMETRY(12, 20)
PM_GEOMETRY(12, 21)
PM_GEOMETRY(14, 18)
PM_GEOMETRY(14, 20)
PM_GEOMETRY(14, 21)

#define PM_GEOMETRY_ENTRY(pb, ab) {pb, ab, free_##pb##_##ab, realloc_##pb##_##ab}
static const geometry_entry geometries[] = {
    PM_GEOMETRY_ENTRY(12, 18), PM_GEOMETRY_ENTRY(12, 20), PM_GEOMETRY_ENTRY(12, 21),
    PM_GEOMETRY_ENTRY(14, 18), PM_GEOMETRY_ENTRY(14, 20), PM_GEOMETRY_ENTRY(14, 21),
};

static const geometry_entry *find_geometry(unsigned pool_bits, unsigned arena_bits)
{
    for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++)
        if (geometries[i].pool_bits == pool_bits && geometries[i].arena_bits == arena_bits)
            return &geometries[i];
    return NULL;
}

/* Public entry points take the geometry from the instance (tests, tools);
 * the ab_allocator built by ab_pymalloc_as_allocator uses the constants. */
void ab_pymalloc_free(ab_pymalloc *pm, void *p)
{
    pm->free_fn(pm, p);
}

void *ab_pymalloc_realloc(ab_pymalloc *pm, void *p, size_t n)
{
    return pm->realloc_fn(pm, p, n);
}

bool ab_pymalloc_owns(const ab_pymalloc *pm, const void *p)
{
    switch (pm->arena_bits) {
    case 18: return pm_address_in_range(pm, p, 18);
    case 20: return pm_address_in_range(pm, p, 20);
    case 21: return pm_address_in_range(pm, p, 21);
    default: return false;
    }
}

/* ---- lifetime ------------------------------------------------------------- */

static unsigned log2_exact(size_t v)
{
    unsigned b = 0;
    while (((size_t)1 << b) < v) b++;
    return ((size_t)1 << b) == v ? b : 0;
}

ab_pymalloc *ab_pymalloc_new(const ab_pymalloc_config *cfg, char *err, size_t errlen)
{
    unsigned pool_bits = log2_exact(cfg->pool_size), arena_bits = log2_exact(cfg->arena_size);
    const geometry_entry *g = find_geometry(pool_bits, arena_bits);
    if (!g) {
        snprintf(err, errlen, "pymalloc: unsupported geometry (arena %zu bytes, pool %zu bytes)",
                 cfg->arena_size, cfg->pool_size);
        return NULL;
    }
    ab_pymalloc *pm = calloc(1, sizeof *pm);
    if (!pm) {
        snprintf(err, errlen, "pymalloc: out of memory");
        return NULL;
    }
    pm->cfg = *cfg;
    pm->free_fn = g->free;
    pm->realloc_fn = g->realloc;
    pm->arena_size = cfg->arena_size;
    pm->pool_size = cfg->pool_size;
    pm->arena_bits = arena_bits;
    pm->pool_bits = pool_bits;
    pm->max_pools_in_arena = (unsigned)(cfg->arena_size / cfg->pool_size);
    pm->reclaim = cfg->reclaim;
    for (unsigned i = 0; i < PM_NB_CLASSES; i++)
        pm->used[i].nextpool = pm->used[i].prevpool = &pm->used[i];
    pm->nfp2lasta = calloc(pm->max_pools_in_arena + 1, sizeof *pm->nfp2lasta);
    if (!pm->nfp2lasta || pm_radix_init(pm) < 0) {
        free(pm->nfp2lasta);
        free(pm);
        snprintf(err, errlen, "pymalloc: out of memory");
        return NULL;
    }
    ab_pages_init(&pm->pages, cfg->pages);
    return pm;
}

void ab_pymalloc_delete(ab_pymalloc *pm)
{
    if (!pm) return;
    pm_release_all_arenas(pm);
    pm_radix_destroy(pm);
    free(pm->nfp2lasta);
    free(pm);
}

const ab_pymalloc_config *ab_pymalloc_get_config(const ab_pymalloc *pm)
{
    return &pm->cfg;
}

void ab_pymalloc_set_arena_hook(ab_pymalloc *pm, ab_arena_event_fn fn, void *arg)
{
    pm->hook = fn;
    pm->hook_arg = arg;
}

void ab_pymalloc_set_unmap_probe(ab_pymalloc *pm, void (*fn)(void *arg), void *arg)
{
    pm->unmap_probe = fn;
    pm->unmap_probe_arg = arg;
}

/* ---- ab_allocator adapter ------------------------------------------------- */

/* The fast path is inlined here too: the allocator interface's indirect
 * call is the only call on the way to a small block. */
static void *a_malloc(void *self, size_t n)
{
    return malloc_impl(self, n);
}

static void *a_calloc(void *self, size_t nelem, size_t elsize)
{
    return ab_pymalloc_calloc(self, nelem, elsize);
}

static void a_stats(void *self, ab_alloc_stats *out)
{
    ab_pymalloc_stats(self, out);
}

static void a_set_hook(void *self, ab_arena_event_fn fn, void *arg)
{
    ab_pymalloc_set_arena_hook(self, fn, arg);
}

static void a_set_before_unmap(void *self, void (*fn)(void *arg), void *arg)
{
    ab_pymalloc_set_unmap_probe(self, fn, arg);
}

static void a_destroy(void *self)
{
    ab_pymalloc_delete(self);
}

void ab_pymalloc_as_allocator(ab_pymalloc *pm, const char *name, ab_allocator *out)
{
    /* The name is copied into the instance so it lives exactly as long. */
    snprintf(pm->name, sizeof pm->name, "%s", name);
    memset(out, 0, sizeof *out);
    out->name = pm->name;
    out->self = pm;
    out->malloc = a_malloc;
    out->calloc = a_calloc;
    out->realloc = pm->realloc_fn;
    out->free = pm->free_fn;
    out->stats = a_stats;
    out->set_arena_hook = a_set_hook;
    out->set_before_unmap = a_set_before_unmap;
    out->destroy = a_destroy;
}

ab_pymalloc *ab_pymalloc_from_allocator(const ab_allocator *a)
{
    return a && a->destroy == a_destroy ? a->self : NULL;
}
