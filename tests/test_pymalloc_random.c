/*
 * test_pymalloc_random.c -- randomized malloc/calloc/realloc/free sequences
 * (sizes 0-4096) through every preset and a few explicit geometries, checked
 * against a shadow model of the live blocks:
 *   - 16-byte alignment; small requests (1..512) land in the model's arenas,
 *     0 and >512 do not (address_in_range agrees with the size rule);
 *   - every block is filled with a pattern derived from its id and verified
 *     before it is freed or reallocated, so overlapping blocks or lost
 *     contents are caught; periodically all live blocks are sorted by address
 *     and checked for overlap;
 *   - realloc stays in place exactly when obmalloc's rule says so;
 *   - at checkpoints: the structural self-check, and per-class blocks in use
 *     equal the shadow model's count for that class.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include "tests/testutil.h"
#include "tests/pymalloc_testutil.h"

#define MAX_REQUEST 4096
#define CHECKPOINT_EVERY 100000

typedef struct live_block {
    uint8_t *p;
    size_t size;
    uint64_t id;
    bool model;     /* expected owner: the model (true) or the system */
    size_t blocksize; /* model blocks: the size class's block size */
} live_block;

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const live_block *)a)->p, y = (uintptr_t)((const live_block *)b)->p;
    return x < y ? -1 : x > y;
}

/* Mostly pymalloc-sized requests, with 0 and large ones mixed in. */
static size_t random_size(uint64_t *rng)
{
    uint64_t r = pmt_below(rng, 100);
    if (r < 2) return 0;
    if (r < 82) return 1 + pmt_below(rng, AB_PYMALLOC_SMALL_REQUEST_THRESHOLD);
    return pmt_below(rng, MAX_REQUEST + 1);
}

static void check_block_placement(const ab_pymalloc *pm, const live_block *b)
{
    assert_non_null(b->p);
    assert_int_equal((uintptr_t)b->p % AB_MIN_ALIGNMENT, 0);
    if (ab_pymalloc_owns(pm, b->p) != b->model)
        fail_msg("size %zu block %p: owned by the model=%d, expected %d", b->size, (void *)b->p,
                 !b->model, b->model);
}

static void verify_block(const live_block *b)
{
    size_t bad = pmt_verify(b->p, b->size, b->id);
    if (bad != b->size) fail_msg("block id %llu size %zu corrupted at byte %zu",
                                 (unsigned long long)b->id, b->size, bad);
}

static void checkpoint(const ab_pymalloc *pm, live_block *live, size_t nlive, const char *spec)
{
    char when[160];
    snprintf(when, sizeof when, "in %s with %zu live blocks", spec, nlive);
    pmt_check(pm, when);

    int64_t per_class[AB_PYMALLOC_NB_CLASSES] = {0};
    for (size_t i = 0; i < nlive; i++)
        if (live[i].model) per_class[(live[i].blocksize - 1) / AB_PYMALLOC_ALIGNMENT]++;
    ab_pymalloc_debug_stats d;
    ab_pymalloc_debug_stats_get(pm, &d);
    for (unsigned c = 0; c < AB_PYMALLOC_NB_CLASSES; c++)
        if (d.classes[c].blocks_in_use != per_class[c])
            fail_msg("%s: class %u has %lld blocks in use, shadow says %lld", spec, c,
                     (long long)d.classes[c].blocks_in_use, (long long)per_class[c]);
    assert_int_equal(d.total, d.arenas_current * (int64_t)ab_pymalloc_get_config(pm)->arena_size);

    /* No two live blocks overlap (sizes of 0 occupy their 1-byte request). */
    live_block *sorted = malloc(nlive * sizeof *sorted + 1);
    memcpy(sorted, live, nlive * sizeof *sorted);
    qsort(sorted, nlive, sizeof *sorted, cmp_addr);
    for (size_t i = 1; i < nlive; i++) {
        size_t prev_len = sorted[i - 1].size ? sorted[i - 1].size : 1;
        if ((uintptr_t)sorted[i - 1].p + prev_len > (uintptr_t)sorted[i].p)
            fail_msg("%s: blocks %p (%zu bytes) and %p overlap", spec, (void *)sorted[i - 1].p,
                     sorted[i - 1].size, (void *)sorted[i].p);
    }
    free(sorted);
}

static void run_sequence(const char *spec, long nops, size_t max_live, uint64_t seed)
{
    ab_allocator a;
    ab_pymalloc *pm = pmt_open(spec, &a);
    live_block *live = calloc(max_live, sizeof *live);
    size_t nlive = 0;
    uint64_t rng = seed, next_id = 1;
    /* The live-set target drifts between empty and max_live, so arenas are
     * filled, drained (reclaimed per policy) and refilled. */
    size_t target = max_live / 2;
    for (long op = 1; op <= nops; op++) {
        if (op % 20000 == 0) target = (size_t)pmt_below(&rng, max_live + 1);
        uint64_t r = pmt_below(&rng, 100);
        bool grow = nlive < target ? r < 70 : r < 30;
        if (nlive == 0 || (grow && nlive < max_live)) {
            live_block *b = &live[nlive++];
            b->size = random_size(&rng);
            b->id = next_id++;
            if (pmt_below(&rng, 10) == 0) {
                b->p = a.calloc(a.self, 1, b->size);
                assert_non_null(b->p);
                for (size_t i = 0; i < b->size; i++)
                    if (b->p[i]) fail_msg("%s: calloc(%zu) byte %zu not zero", spec, b->size, i);
            } else {
                b->p = a.malloc(a.self, b->size);
            }
            b->model = b->size >= 1 && b->size <= AB_PYMALLOC_SMALL_REQUEST_THRESHOLD;
            b->blocksize = (b->size + 15) & ~(size_t)15;
            check_block_placement(pm, b);
            pmt_fill(b->p, 0, b->size, b->id);
        } else if (r % 4 == 0) {
            live_block *b = &live[pmt_below(&rng, nlive)];
            verify_block(b);
            size_t n = random_size(&rng);
            bool small = b->model;
            size_t bsize = small ? b->blocksize : 0;
            uint8_t *old = b->p;
            uint8_t *np = a.realloc(a.self, b->p, n);
            assert_non_null(np);
            if (small) {
                bool in_place = n <= bsize && 4 * n > 3 * bsize;
                if ((np == old) != in_place)
                    fail_msg("%s: realloc %zu -> %zu (block %zu) moved=%d, obmalloc rule says %d",
                             spec, b->size, n, bsize, np != old, !in_place);
            }
            size_t keep = b->size < n ? b->size : n;
            b->p = np;
            size_t bad = pmt_verify(np, keep, b->id);
            if (bad != keep) fail_msg("%s: realloc %zu -> %zu lost byte %zu", spec, b->size, n, bad);
            b->size = n;
            /* A block the model does not own is PyMem_RawRealloc'ed and
             * stays the system's whatever the new size; a model block that
             * moves is PyObject_Malloc'ed anew. */
            if (small && np != old) {
                b->model = n >= 1 && n <= AB_PYMALLOC_SMALL_REQUEST_THRESHOLD;
                b->blocksize = (n + 15) & ~(size_t)15;
            }
            check_block_placement(pm, b);
            pmt_fill(np, keep, n, b->id);
        } else {
            size_t i = (size_t)pmt_below(&rng, nlive);
            verify_block(&live[i]);
            a.free(a.self, live[i].p);
            live[i] = live[--nlive];
        }
        if (op % CHECKPOINT_EVERY == 0) checkpoint(pm, live, nlive, spec);
    }
    checkpoint(pm, live, nlive, spec);
    while (nlive) {
        verify_block(&live[nlive - 1]);
        a.free(a.self, live[--nlive].p);
    }
    ab_alloc_stats st;
    a.stats(a.self, &st);
    assert_int_equal(st.blocks_in_use, 0);
    assert_int_equal(st.pools_in_use, 0);
    assert_true(st.system_allocs > 0);
    pmt_check(pm, "after freeing everything");
    free(live);
    a.destroy(a.self);
}

static long scaled_ops(void)
{
    return ab_test_is_asan() ? 150000 : 1500000;
}

static void preset_4k(void **state) { (void)state; run_sequence("4k", scaled_ops(), 60000, 1); }
static void preset_hugetlb(void **state) { (void)state; run_sequence("hugetlb", scaled_ops(), 60000, 2); }
static void preset_thp(void **state) { (void)state; run_sequence("thp", scaled_ops(), 60000, 3); }
static void preset_thp_1m(void **state) { (void)state; run_sequence("thp-1m", scaled_ops(), 60000, 4); }
static void preset_noreclaim(void **state) { (void)state; run_sequence("noreclaim", scaled_ops(), 60000, 5); }
static void preset_mostfull(void **state) { (void)state; run_sequence("mostfull", scaled_ops(), 60000, 6); }

/* Small arenas and pools: many arenas, so the arena vector grows past its
 * initial 16 and the sorted usable_arenas list gets long. */
static void spec_small_geometry(void **state)
{
    (void)state;
    run_sequence("pymalloc:arena=256K,pool=4K", scaled_ops() / 3, 40000, 7);
}

static void spec_2m_4k_pools_never(void **state)
{
    (void)state;
    run_sequence("pymalloc:pages=thp-unaligned,arena=2M,pool=4K,reclaim=never", scaled_ops() / 3, 40000, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(preset_4k),
        cmocka_unit_test(preset_hugetlb),
        cmocka_unit_test(preset_thp),
        cmocka_unit_test(preset_thp_1m),
        cmocka_unit_test(preset_noreclaim),
        cmocka_unit_test(preset_mostfull),
        cmocka_unit_test(spec_small_geometry),
        cmocka_unit_test(spec_2m_4k_pools_never),
    };
    return cmocka_run_group_tests_name("pymalloc_random", tests, NULL, NULL);
}
