/*
 * test_pymalloc_struct.c -- obmalloc's structure, observed directly:
 *   - invariants (ab_pymalloc_check) after every operation of random runs on
 *     small geometries, and the check itself rejects corrupted structures;
 *   - lazy carving: the first block of a fresh pool is at pool + 48, the next
 *     one right after it, and a fresh arena has exactly one page touched;
 *   - LIFO reuse of a freed block; a pool that stops being full goes to the
 *     front of its class list; a pool that empties is reused by another class;
 *   - the realloc 3/4 rule at its exact boundaries;
 *   - address_in_range: foreign pointers go to the system allocator, and a
 *     reclaimed arena's addresses are no longer claimed;
 *   - the arena vector grows past INITIAL_ARENA_OBJECTS (16) by doubling;
 *   - per-class stats and the "Total" identity of _debugmallocstats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tests/testutil.h"
#include "tests/pymalloc_testutil.h"
#include "allocators/pymalloc_internal.h"

static uintptr_t pool_of(const ab_pymalloc *pm, const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(ab_pymalloc_get_config(pm)->pool_size - 1);
}

static void invariants_after_every_op(void **state)
{
    (void)state;
    static const char *const specs[] = {
        "pymalloc:arena=256K,pool=4K,reclaim=cpython",
        "pymalloc:arena=256K,pool=4K,reclaim=mostfull",
        "pymalloc:arena=256K,pool=16K,reclaim=never",
        "4k",
    };
    long nops = ab_test_is_asan() ? 8000 : 40000;
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        ab_allocator a;
        ab_pymalloc *pm = pmt_open(specs[s], &a);
        enum { MAXLIVE = 6000 };
        void **live = calloc(MAXLIVE, sizeof *live);
        size_t nlive = 0;
        uint64_t rng = 99 + s;
        for (long op = 0; op < nops; op++) {
            /* Phases of growth and decay move arenas all over the list. */
            bool grow = ((op / 3000) % 2 == 0) ? pmt_below(&rng, 100) < 65 : pmt_below(&rng, 100) < 35;
            if ((grow || nlive == 0) && nlive < MAXLIVE) {
                live[nlive++] = a.malloc(a.self, 1 + pmt_below(&rng, 512));
            } else {
                size_t i = pmt_below(&rng, nlive);
                a.free(a.self, live[i]);
                live[i] = live[--nlive];
            }
            /* Full O(pools) check at every step early on, then sampled. */
            if (op < 3000 || op % 97 == 0) pmt_check(pm, specs[s]);
        }
        while (nlive) a.free(a.self, live[--nlive]);
        pmt_check(pm, specs[s]);
        free(live);
        a.destroy(a.self);
    }
}

/* The check must notice broken structure, or the test above proves nothing. */
static void check_detects_corruption(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("pymalloc:arena=256K,pool=4K", &a);
    enum { N = 20000 };
    void **ps = malloc(N * sizeof *ps);
    for (int i = 0; i < N; i++) ps[i] = a.malloc(a.self, 48);
    /* Free blocks in a pattern that leaves arenas with different counts. */
    for (int i = 0; i < N; i++)
        if ((i / 500) % 3 == 0 || i % 7 == 0) a.free(a.self, ps[i]), ps[i] = NULL;
    pmt_check(pm, "before corruption");
    char err[256];

    unsigned saved = pm->usable_arenas->nfreepools;
    pm->usable_arenas->nfreepools = pm->max_pools_in_arena;   /* unsorted + wrong count */
    assert_int_equal(ab_pymalloc_check(pm, err, sizeof err), -1);
    pm->usable_arenas->nfreepools = saved;
    pmt_check(pm, "after restoring nfreepools");

    pm_arena *saved_slot = NULL;
    unsigned slot = 0;
    for (unsigned n = 1; n <= pm->max_pools_in_arena; n++)
        if (pm->nfp2lasta[n]) { slot = n; saved_slot = pm->nfp2lasta[n]; break; }
    assert_non_null(saved_slot);
    pm->nfp2lasta[slot] = NULL;
    assert_int_equal(ab_pymalloc_check(pm, err, sizeof err), -1);
    pm->nfp2lasta[slot] = saved_slot;

    pm->narenas_currently_allocated++;
    assert_int_equal(ab_pymalloc_check(pm, err, sizeof err), -1);
    pm->narenas_currently_allocated--;
    pmt_check(pm, "after restoring");

    for (int i = 0; i < N; i++) a.free(a.self, ps[i]);
    free(ps);
    a.destroy(a.self);
}

static void lazy_carving_and_lifo(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("4k", &a);
    uint8_t *b1 = a.malloc(a.self, 100);   /* class 6: 112-byte blocks */
    uint8_t *b2 = a.malloc(a.self, 97);
    uintptr_t pool = pool_of(pm, b1);
    assert_int_equal((uintptr_t)b1, pool + AB_PYMALLOC_POOL_OVERHEAD);
    assert_int_equal((uintptr_t)b2, (uintptr_t)b1 + 112);

    /* Only the page holding the pool header and the first blocks is touched:
     * the rest of the 1 MiB arena was never written. */
    const pm_arena *ao = &pm->arenas[((const pm_pool *)pool)->arenaindex];
    long page = sysconf(_SC_PAGESIZE);
    size_t npages = ab_pymalloc_get_config(pm)->arena_size / (size_t)page;
    unsigned char *vec = malloc(npages);
    assert_int_equal(mincore((void *)ao->address, npages * (size_t)page, vec), 0);
    size_t resident = 0;
    for (size_t i = 0; i < npages; i++) resident += vec[i] & 1;
    free(vec);
    assert_int_equal(resident, 1);

    /* LIFO: the block freed last is handed out next. */
    a.free(a.self, b1);
    uint8_t *b3 = a.malloc(a.self, 112);
    assert_ptr_equal(b3, b1);
    a.free(a.self, b2);
    a.free(a.self, b3);
    a.destroy(a.self);
}

static void refilled_pool_goes_to_front(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("4k", &a);
    /* 512-byte class: 31 blocks per 16 KiB pool. */
    unsigned per_pool = (16384 - AB_PYMALLOC_POOL_OVERHEAD) / 512;
    void *first[64], *second[8];
    for (unsigned i = 0; i < per_pool; i++) first[i] = a.malloc(a.self, 512);
    /* The first pool is full: the next block comes from a new pool. */
    second[0] = a.malloc(a.self, 512);
    assert_true(pool_of(pm, second[0]) != pool_of(pm, first[0]));
    second[1] = a.malloc(a.self, 512);
    assert_int_equal(pool_of(pm, second[1]), pool_of(pm, second[0]));
    /* Freeing into the full pool puts it in front of the partly used one. */
    a.free(a.self, first[5]);
    void *again = a.malloc(a.self, 512);
    assert_ptr_equal(again, first[5]);
    /* And once it is full again the other pool serves. */
    void *other = a.malloc(a.self, 512);
    assert_int_equal(pool_of(pm, other), pool_of(pm, second[0]));

    /* An emptied pool returns to its arena and is reused by another class
     * (with a freshly initialised header: first block at pool + 48). */
    uintptr_t p0 = pool_of(pm, first[0]);
    for (unsigned i = 0; i < per_pool; i++) a.free(a.self, first[i]);
    void *small = a.malloc(a.self, 8);
    assert_int_equal((uintptr_t)small, p0 + AB_PYMALLOC_POOL_OVERHEAD);
    pmt_check(pm, "pool reuse");
    a.free(a.self, small);
    a.free(a.self, second[0]);
    a.free(a.self, second[1]);
    a.free(a.self, other);
    a.destroy(a.self);
}

static void realloc_three_quarters_rule(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("4k", &a);
    uint8_t *p = a.malloc(a.self, 256);
    memset(p, 0xab, 256);
    assert_ptr_equal(a.realloc(a.self, p, 256), p);
    assert_ptr_equal(a.realloc(a.self, p, 193), p);  /* 4*193 > 3*256 */
    uint8_t *q = a.realloc(a.self, p, 192);           /* 4*192 == 3*256: moves */
    assert_true(q != p);
    for (int i = 0; i < 192; i++) assert_int_equal(q[i], 0xab);
    uint8_t *r = a.realloc(a.self, q, 193);           /* grows past 192-byte class */
    assert_true(r != q);
    assert_true(ab_pymalloc_owns(pm, r));
    uint8_t *big = a.realloc(a.self, r, 600);         /* to the system allocator */
    assert_false(ab_pymalloc_owns(pm, big));
    for (int i = 0; i < 192; i++) assert_int_equal(big[i], 0xab);
    uint8_t *still = a.realloc(a.self, big, 16);      /* not ours: stays the system's */
    assert_false(ab_pymalloc_owns(pm, still));
    assert_int_equal(still[0], 0xab);
    a.free(a.self, still);
    void *z0 = a.realloc(a.self, NULL, 0);             /* 0 bytes: the system's, non-NULL */
    assert_non_null(z0);
    assert_false(ab_pymalloc_owns(pm, z0));
    a.free(a.self, z0);
    void *z = a.realloc(a.self, NULL, 24);            /* realloc(NULL) is malloc */
    assert_true(ab_pymalloc_owns(pm, z));
    a.free(a.self, z);
    a.free(a.self, NULL);
    a.destroy(a.self);
}

static void foreign_pointers_and_reclaimed_arenas(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("mostfull", &a);
    int on_stack;
    void *heap = malloc(64);
    assert_false(ab_pymalloc_owns(pm, &on_stack));
    assert_false(ab_pymalloc_owns(pm, heap));
    ab_alloc_stats before, after;
    void *mine = a.malloc(a.self, 64);
    a.stats(a.self, &before);
    a.free(a.self, heap);             /* goes to free(); ASan would object otherwise */
    a.stats(a.self, &after);
    assert_int_equal(after.blocks_in_use, before.blocks_in_use);
    uintptr_t arena = pm->arenas[0].address;
    assert_true(ab_pymalloc_owns(pm, (void *)arena));
    assert_true(ab_pymalloc_owns(pm, (void *)(arena + (1 << 20) - 1)));
    assert_false(ab_pymalloc_owns(pm, (void *)(arena + (1 << 20))));
    assert_false(ab_pymalloc_owns(pm, (void *)(arena - 1)));
    a.free(a.self, mine);             /* mostfull: the arena is unmapped now */
    assert_int_equal(pm->narenas_currently_allocated, 0);
    assert_false(ab_pymalloc_owns(pm, (void *)arena));
    a.destroy(a.self);
}

static void arena_vector_doubles(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("pymalloc:arena=256K,pool=4K", &a);
    assert_int_equal(pm->maxarenas, 0);
    void *first = a.malloc(a.self, 512);
    assert_int_equal(pm->maxarenas, 16);
    enum { N = 40 * 512 };   /* 512-byte blocks: ~7 per 4K pool, ~ 45 arenas */
    void **ps = malloc(N * sizeof *ps);
    for (int i = 0; i < N; i++) ps[i] = a.malloc(a.self, 512);
    assert_true(pm->narenas_currently_allocated > 32);
    assert_int_equal(pm->maxarenas, 64);
    pmt_check(pm, "after growing the arena vector");
    for (int i = 0; i < N; i++) a.free(a.self, ps[i]);
    a.free(a.self, first);
    pmt_check(pm, "after freeing");
    free(ps);
    a.destroy(a.self);
}

static void debug_stats_identities(void **state)
{
    (void)state;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("4k", &a);
    enum { N = 5000 };
    void *ps[N];
    for (int i = 0; i < N; i++) ps[i] = a.malloc(a.self, (size_t)(1 + i % 512));
    ab_pymalloc_debug_stats d;
    ab_pymalloc_debug_stats_get(pm, &d);
    int64_t blocks = 0;
    for (unsigned c = 0; c < AB_PYMALLOC_NB_CLASSES; c++) {
        const ab_pymalloc_class_stats *cs = &d.classes[c];
        assert_int_equal(cs->size, 16 * (c + 1));
        blocks += cs->blocks_in_use;
        /* i % 512 hits every byte size ~10 times: 16 sizes per class. */
        assert_true(cs->blocks_in_use >= 16 * 9);
        int64_t per_pool = (16384 - 48) / cs->size;
        assert_int_equal(cs->blocks_in_use + cs->avail_blocks, cs->pools * per_pool);
    }
    assert_int_equal(blocks, N);
    assert_int_equal(d.total, d.arenas_current * (1 << 20));
    ab_alloc_stats st;
    a.stats(a.self, &st);
    assert_int_equal(st.blocks_in_use, N);
    assert_int_equal(st.bytes_in_blocks, d.bytes_in_allocated_blocks);
    assert_int_equal(st.arena_size, 1 << 20);
    assert_int_equal(st.pool_size, 16384);
    assert_int_equal(st.system_allocs, 0);
    for (int i = 0; i < N; i++) a.free(a.self, ps[i]);
    void *zero = a.malloc(a.self, 0), *big = a.malloc(a.self, 513);
    a.stats(a.self, &st);
    assert_int_equal(st.system_allocs, 2);
    assert_false(ab_pymalloc_owns(pm, zero));
    a.free(a.self, zero);
    a.free(a.self, big);
    a.destroy(a.self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(invariants_after_every_op),
        cmocka_unit_test(check_detects_corruption),
        cmocka_unit_test(lazy_carving_and_lifo),
        cmocka_unit_test(refilled_pool_goes_to_front),
        cmocka_unit_test(realloc_three_quarters_rule),
        cmocka_unit_test(foreign_pointers_and_reclaimed_arenas),
        cmocka_unit_test(arena_vector_doubles),
        cmocka_unit_test(debug_stats_identities),
    };
    return cmocka_run_group_tests_name("pymalloc_struct", tests, NULL, NULL);
}
