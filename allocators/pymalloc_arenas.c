/*
 * pymalloc_arenas.c -- the arena side of the model: mapping arenas, handing
 * out pools from the most-full arena, and returning empty pools (and, per the
 * reclaim policy, empty arenas).
 *
 * Invariants (checked by ab_pymalloc_check):
 *   - usable_arenas holds exactly the mapped arenas with nfreepools > 0, in
 *     ascending nfreepools order.  New pools always come from its head, so
 *     taking a pool never reorders the list (the head stays the minimum).
 *   - nfp2lasta[n] is the rightmost arena in usable_arenas with n free pools
 *     (NULL if none), which lets a freed pool move its arena to the right
 *     place in O(1) (bpo-37029) instead of a linear search.
 *   - The arena vector is reallocated only when usable_arenas and
 *     unused_arena_objects are both empty, so no pointer into it is live.
 */
#include <stdlib.h>
#include "allocators/pymalloc_internal.h"
#include "tlbsim/access_hook.h"

static void notify(ab_pymalloc *pm, int mapped)
{
    if (pm->hook) pm->hook(pm->hook_arg, mapped, pm->narenas_currently_allocated);
}

/* Grow the arena vector by doubling (16, 32, 64, ...) with the system
 * realloc, as obmalloc does with PyMem_RawRealloc.  0 or -1. */
static int grow_arena_vector(ab_pymalloc *pm)
{
    unsigned numarenas = pm->maxarenas ? pm->maxarenas << 1 : PM_INITIAL_ARENA_OBJECTS;
    if (numarenas <= pm->maxarenas) return -1;   /* overflow */
    pm_arena *v = realloc(pm->arenas, (size_t)numarenas * sizeof *v);
    if (!v) return -1;
    pm->arenas = v;
    for (unsigned i = pm->maxarenas; i < numarenas; i++) {
        v[i].address = 0;
        v[i].nextarena = i + 1 < numarenas ? &v[i + 1] : NULL;
    }
    pm->unused_arena_objects = &v[pm->maxarenas];
    pm->maxarenas = numarenas;
    return 0;
}

/* new_arena(): attach a freshly mapped arena to an unused arena object. */
static pm_arena *new_arena(ab_pymalloc *pm)
{
    if (pm->unused_arena_objects == NULL && grow_arena_vector(pm) < 0) return NULL;
    pm_arena *ao = pm->unused_arena_objects;
    pm->unused_arena_objects = ao->nextarena;

    void *address = pm->pages.map(&pm->pages, pm->arena_size);
    if (address && pm_radix_mark(pm, (uintptr_t)address, true) < 0) {
        pm->pages.unmap(&pm->pages, address, pm->arena_size);
        address = NULL;
    }
    if (!address) {
        ao->nextarena = pm->unused_arena_objects;
        pm->unused_arena_objects = ao;
        return NULL;
    }
    ao->address = (uintptr_t)address;
    pm->narenas_currently_allocated++;
    pm->ntimes_arena_allocated++;
    if (pm->narenas_currently_allocated > pm->narenas_highwater)
        pm->narenas_highwater = pm->narenas_currently_allocated;

    /* mmap only promises page alignment: an arena that does not start on a
     * pool boundary loses its first partial pool and the tail after the last
     * whole pool ("bytes lost to arena alignment"). */
    ao->freepools = NULL;
    ao->pool_address = (pm_block *)address;
    ao->nfreepools = pm->max_pools_in_arena;
    uintptr_t excess = ao->address & (pm->pool_size - 1);
    if (excess != 0) {
        ao->nfreepools--;
        ao->pool_address += pm->pool_size - excess;
    }
    ao->ntotalpools = ao->nfreepools;
    AB_SIM_STORE_RANGE(ao, sizeof *ao);
    notify(pm, 1);
    return ao;
}

/* Unlink the head of usable_arenas once it has no free pool left. */
static void drop_full_head(ab_pymalloc *pm)
{
    pm->usable_arenas = pm->usable_arenas->nextarena;
    if (pm->usable_arenas != NULL) pm->usable_arenas->prevarena = NULL;
}

/* usedpools[size] is empty: take a pool from the most-full arena (mapping
 * one if none has a free pool), make it the class's only used pool, and
 * return its first free block.  NULL when no arena can be mapped. */
pm_block *pm_allocate_from_new_pool(ab_pymalloc *pm, unsigned size)
{
    if (PM_UNLIKELY(pm->usable_arenas == NULL)) {
        pm_arena *ao = new_arena(pm);
        if (ao == NULL) return NULL;
        ao->nextarena = ao->prevarena = NULL;
        pm->usable_arenas = ao;
        pm->nfp2lasta[ao->nfreepools] = ao;
    }
    pm_arena *ua = pm->usable_arenas;
    AB_SIM_LOAD(&ua->nfreepools);
    AB_SIM_LOAD(&pm->nfp2lasta[ua->nfreepools]);

    /* The head has the fewest free pools, so it stays the head after losing
     * one; only nfp2lasta needs fixing. */
    if (pm->nfp2lasta[ua->nfreepools] == ua)
        pm->nfp2lasta[ua->nfreepools] = NULL;
    if (ua->nfreepools > 1)
        pm->nfp2lasta[ua->nfreepools - 1] = ua;

    pm_pool *pool = ua->freepools;
    if (PM_LIKELY(pool != NULL)) {
        ua->freepools = pool->nextpool;
        AB_SIM_LOAD(&pool->nextpool);
    } else {
        /* Carve the next never-used pool.  Its memory is first touched here
         * (the header), exactly as obmalloc touches it. */
        pool = (pm_pool *)ua->pool_address;
        pool->arenaindex = (unsigned)(ua - pm->arenas);
        pool->szidx = PM_DUMMY_SIZE_IDX;
        AB_SIM_STORE(&pool->szidx);
        ua->pool_address += pm->pool_size;
    }
    if (--ua->nfreepools == 0) drop_full_head(pm);
    AB_SIM_STORE_RANGE(ua, sizeof *ua);

    pm_pool *head = &pm->used[size];
    pool->nextpool = head;
    pool->prevpool = head;
    head->nextpool = pool;
    head->prevpool = pool;
    AB_SIM_STORE(&head->nextpool);
    pool->ref.count = 1;
    AB_SIM_STORE(pool);
    pm_block *bp;
    AB_SIM_LOAD(&pool->szidx);
    if (pool->szidx == size) {
        /* Reused for the same class: header and free list are intact. */
        bp = pool->freeblock;
        pool->freeblock = pm_link_get(bp);
        AB_SIM_STORE(&pool->freeblock);
        return bp;
    }
    /* Lazily carve: link only the second block; the rest of the pool is
     * handed out through nextoffset as the free list runs dry. */
    pool->szidx = size;
    unsigned bsize = PM_INDEX2SIZE(size);
    bp = (pm_block *)pool + PM_POOL_OVERHEAD;
    pool->nextoffset = PM_POOL_OVERHEAD + (bsize << 1);
    pool->maxnextoffset = (unsigned)pm->pool_size - bsize;
    pool->freeblock = bp + bsize;
    AB_SIM_STORE_RANGE(pool, PM_POOL_OVERHEAD);
    pm_link_set(pool->freeblock, NULL);
    return bp;
}

/* Whether an arena that just became wholly empty is returned to the OS. */
static bool reclaim_now(const ab_pymalloc *pm, const pm_arena *ao)
{
    switch (pm->reclaim) {
    case AB_RECLAIM_MOSTFULL:
        /* Python 2.5 (Evan Jones): the moment it empties. */
        return true;
    case AB_RECLAIM_CPYTHON:
        /* 3.9+ (bpo-37257): unless it is the tail of usable_arenas, i.e.
         * the emptiest arena, so one empty arena stays to absorb the next
         * burst instead of an mmap/munmap pair per loop iteration. */
        return ao->nextarena != NULL;
    case AB_RECLAIM_NEVER:
    default:
        /*
         * Python <= 2.4 never returned an arena.  The model keeps the
         * modern structure around that rule, which differs from the
         * historical code in that (a) empty pools go to their own arena's
         * freepools list rather than one global LIFO list across arenas,
         * (b) new pools come from the most-full arena (usable_arenas order)
         * rather than from the most recently freed pool anywhere, and (c)
         * arenas are mmap'd arena_objects found through the radix tree
         * rather than malloc'd chunks found through arenaindex.  What
         * matches is what the policy is about: arena count only grows.
         */
        return false;
    }
}

/* Unmap an empty arena that is on usable_arenas and not nfp2lasta of any
 * count (the caller already moved its nfp2lasta slot). */
static void free_arena(ab_pymalloc *pm, pm_arena *ao)
{
    if (ao->prevarena == NULL) pm->usable_arenas = ao->nextarena;
    else ao->prevarena->nextarena = ao->nextarena;
    if (ao->nextarena != NULL) ao->nextarena->prevarena = ao->prevarena;

    ao->nextarena = pm->unused_arena_objects;
    pm->unused_arena_objects = ao;
    (void)pm_radix_mark(pm, ao->address, false);
    if (pm->unmap_probe) pm->unmap_probe(pm->unmap_probe_arg);
    pm->pages.unmap(&pm->pages, (void *)ao->address, pm->arena_size);
    ao->address = 0;
    pm->narenas_currently_allocated--;
    notify(pm, 0);
}

/* insert_to_freepool(): the pool's last block was freed. */
void pm_insert_to_freepool(ab_pymalloc *pm, pm_pool *pool)
{
    pm_pool *next = pool->nextpool, *prev = pool->prevpool;
    AB_SIM_LOAD(&pool->nextpool);
    next->prevpool = prev;
    AB_SIM_STORE(&next->prevpool);
    prev->nextpool = next;
    AB_SIM_STORE(&prev->nextpool);

    pm_arena *ao = &pm->arenas[pool->arenaindex];
    AB_SIM_LOAD(&pool->arenaindex);
    pool->nextpool = ao->freepools;
    AB_SIM_STORE(&pool->nextpool);
    ao->freepools = pool;
    unsigned nf = ao->nfreepools;
    pm_arena *lastnf = pm->nfp2lasta[nf];
    AB_SIM_LOAD(&pm->nfp2lasta[nf]);
    AB_SIM_STORE_RANGE(ao, sizeof *ao);
    /* ao leaves the group with nf free pools: if it was that group's
     * rightmost member, its left neighbour (if in the group) takes over. */
    if (lastnf == ao) {
        pm_arena *p = ao->prevarena;
        pm->nfp2lasta[nf] = (p != NULL && p->nfreepools == nf) ? p : NULL;
    }
    ao->nfreepools = ++nf;

    if (nf == ao->ntotalpools && reclaim_now(pm, ao)) {
        free_arena(pm, ao);
        return;
    }
    if (nf == 1) {
        /* It was full and on no list; one free pool is the minimum, so it
         * becomes the head. */
        ao->nextarena = pm->usable_arenas;
        ao->prevarena = NULL;
        if (pm->usable_arenas) pm->usable_arenas->prevarena = ao;
        pm->usable_arenas = ao;
        if (pm->nfp2lasta[1] == NULL) pm->nfp2lasta[1] = ao;
        return;
    }
    if (pm->nfp2lasta[nf] == NULL) pm->nfp2lasta[nf] = ao;
    /* If ao was the rightmost with nf-1 pools, everything to its right has
     * at least nf: it is still in order. */
    if (ao == lastnf) return;
    /* Otherwise move it to just after lastnf, the old rightmost of its
     * previous group, i.e. leftmost of the group with nf free pools. */
    if (ao->prevarena != NULL) ao->prevarena->nextarena = ao->nextarena;
    else pm->usable_arenas = ao->nextarena;
    ao->nextarena->prevarena = ao->prevarena;
    ao->prevarena = lastnf;
    ao->nextarena = lastnf->nextarena;
    if (ao->nextarena != NULL) ao->nextarena->prevarena = ao;
    lastnf->nextarena = ao;
}

void pm_release_all_arenas(ab_pymalloc *pm)
{
    for (unsigned i = 0; i < pm->maxarenas; i++) {
        pm_arena *ao = &pm->arenas[i];
        if (ao->address == 0) continue;
        pm->pages.unmap(&pm->pages, (void *)ao->address, pm->arena_size);
        ao->address = 0;
    }
    pm->narenas_currently_allocated = 0;
    free(pm->arenas);
    pm->arenas = NULL;
    pm->maxarenas = 0;
    pm->usable_arenas = pm->unused_arena_objects = NULL;
}
