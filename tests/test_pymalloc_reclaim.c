/*
 * test_pymalloc_reclaim.c -- arena reclaim per policy, and the primer's
 * fragmentation experiment (shared/seeds/001).
 *
 *   - after freeing everything: never keeps every arena, mostfull returns
 *     them all, cpython keeps exactly one (and munmap counts agree);
 *   - bpo-37257: one block allocated and freed in a loop right at an arena
 *     boundary maps/unmaps an arena per iteration under mostfull, never under
 *     cpython;
 *   - the arena hook sees every map and unmap with the current count;
 *   - 1M string-sized objects (sizes from the real interpreter's
 *     sys.getsizeof(str(random.random()))): keeping a random half reclaims
 *     almost no arena, keeping the first half reclaims about half.
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

typedef struct hook_log {
    int64_t maps, unmaps, last_current;
    bool consistent;
} hook_log;

static void on_arena(void *arg, int mapped, int64_t current)
{
    hook_log *h = arg;
    if (mapped) h->maps++;
    else h->unmaps++;
    if (current != h->maps - h->unmaps) h->consistent = false;
    h->last_current = current;
}

/* Fill several arenas with 64-byte blocks, free them all in a shuffled
 * order, and report the stats. */
static void fill_and_drain(const char *spec, ab_alloc_stats *st, hook_log *h)
{
    ab_allocator a;
    ab_pymalloc *pm = pmt_open(spec, &a);
    *h = (hook_log){0, 0, 0, true};
    a.set_arena_hook(a.self, on_arena, h);
    size_t n = ab_test_is_asan() ? 100000 : 300000;   /* 6 / 18+ MiB of 64-byte blocks */
    void **ps = malloc(n * sizeof *ps);
    for (size_t i = 0; i < n; i++) ps[i] = a.malloc(a.self, 64);
    uint64_t rng = 42;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)pmt_below(&rng, i + 1);
        void *t = ps[i];
        ps[i] = ps[j];
        ps[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        a.free(a.self, ps[i]);
        if (i % 50000 == 0) pmt_check(pm, spec);
    }
    pmt_check(pm, "after draining");
    a.stats(a.self, st);
    free(ps);
    a.destroy(a.self);
}

static void never_keeps_every_arena(void **state)
{
    (void)state;
    ab_alloc_stats st;
    hook_log h;
    fill_and_drain("noreclaim", &st, &h);
    assert_true(st.arenas_allocated_total >= 5);
    assert_int_equal(st.arenas_current, st.arenas_allocated_total);
    assert_int_equal(st.arenas_highwater, st.arenas_allocated_total);
    assert_int_equal(st.arenas_reclaimed, 0);
    assert_int_equal(st.munmap_calls, 0);
    assert_int_equal(h.unmaps, 0);
    assert_true(h.consistent);
}

static void mostfull_returns_all(void **state)
{
    (void)state;
    ab_alloc_stats st;
    hook_log h;
    fill_and_drain("mostfull", &st, &h);
    assert_true(st.arenas_allocated_total >= 5);
    assert_int_equal(st.arenas_current, 0);
    assert_int_equal(st.arenas_reclaimed, st.arenas_allocated_total);
    assert_int_equal(st.munmap_calls, st.mmap_calls);
    assert_int_equal(h.maps, st.arenas_allocated_total);
    assert_int_equal(h.unmaps, st.arenas_allocated_total);
    assert_int_equal(h.last_current, 0);
    assert_true(h.consistent);
}

static void cpython_keeps_one(void **state)
{
    (void)state;
    ab_alloc_stats st;
    hook_log h;
    fill_and_drain("4k", &st, &h);
    assert_true(st.arenas_allocated_total >= 5);
    assert_int_equal(st.arenas_current, 1);
    assert_int_equal(st.arenas_reclaimed, st.arenas_allocated_total - 1);
    assert_int_equal(st.munmap_calls, st.mmap_calls - 1);
    assert_int_equal(st.arena_bytes_mapped, st.arena_size);
    assert_int_equal(h.last_current, 1);
    assert_true(h.consistent);
}

/* Allocate until a second arena is mapped, then free the block that needed
 * it and loop malloc/free of one block: the boundary case bpo-37257 fixed. */
static int64_t boundary_thrash_maps(const char *spec)
{
    ab_allocator a;
    ab_pymalloc *pm = pmt_open(spec, &a);
    hook_log h = {0, 0, 0, true};
    a.set_arena_hook(a.self, on_arena, &h);
    size_t cap = 1 << 16, n = 0;
    void **ps = calloc(cap, sizeof *ps);
    while (h.maps < 2) {
        assert_true(n < cap);
        ps[n++] = a.malloc(a.self, 512);
    }
    assert_true(n > 0);
    a.free(a.self, ps[--n]);
    int64_t before = h.maps;
    for (int i = 0; i < 1000; i++) a.free(a.self, a.malloc(a.self, 512));
    pmt_check(pm, spec);
    int64_t extra = h.maps - before;
    while (n) a.free(a.self, ps[--n]);
    free(ps);
    a.destroy(a.self);
    return extra;
}

static void mostfull_thrashes_cpython_does_not(void **state)
{
    (void)state;
    assert_int_equal(boundary_thrash_maps("mostfull"), 1000);
    assert_int_equal(boundary_thrash_maps("4k"), 0);
    assert_int_equal(boundary_thrash_maps("noreclaim"), 0);
}

/* ---- the primer's experiment ---------------------------------------------- */

/* sys.getsizeof(str(random.random())) of the oracle interpreter, which for a
 * compact ASCII str is exactly what its allocation asks PyObject_Malloc for. */
static size_t oracle_str_sizes(size_t *sizes, size_t max)
{
    FILE *f = popen(AB_PYTHON " -c 'import sys,random\n"
                    "random.seed(1)\n"
                    "for _ in range(4096): print(sys.getsizeof(str(random.random())))'", "r");
    if (!f) return 0;
    size_t n = 0;
    unsigned v;
    while (n < max && fscanf(f, "%u", &v) == 1) sizes[n++] = v;
    pclose(f);
    return n;
}

/* Allocate nobj strings, keep a subset (random half or first half), report
 * arenas reclaimed out of allocated. */
static void strings_experiment(bool keep_random_half, int64_t *total, int64_t *reclaimed)
{
    size_t sizes[4096];
    size_t nsizes = oracle_str_sizes(sizes, 4096);
    if (nsizes == 0) skip();
    for (size_t i = 0; i < nsizes; i++) assert_true(sizes[i] > 40 && sizes[i] <= 512);

    size_t nobj = ab_test_is_asan() ? 250000 : 1000000;
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("4k", &a);
    void **ps = malloc(nobj * sizeof *ps);
    for (size_t i = 0; i < nobj; i++) ps[i] = a.malloc(a.self, sizes[i % nsizes]);
    uint64_t rng = 7;
    for (size_t i = 0; i < nobj; i++) {
        bool keep = keep_random_half ? pmt_below(&rng, 2) == 0 : i < nobj / 2;
        if (!keep) a.free(a.self, ps[i]);
    }
    pmt_check(pm, "after the experiment");
    ab_alloc_stats st;
    a.stats(a.self, &st);
    *total = st.arenas_allocated_total;
    *reclaimed = st.arenas_reclaimed;
    print_message("%s half of %zu strings kept: %lld of %lld arenas reclaimed\n",
                  keep_random_half ? "random" : "first", nobj, (long long)*reclaimed, (long long)*total);
    free(ps);
    a.destroy(a.self);   /* the kept blocks go with their arenas */
}

static void random_half_reclaims_almost_nothing(void **state)
{
    (void)state;
    int64_t total, reclaimed;
    strings_experiment(true, &total, &reclaimed);
    assert_true(total >= 15);
    /* Each arena holds ~13k strings; a random half leaves none empty. */
    assert_true(reclaimed * 50 <= total);
}

static void first_half_reclaims_about_half(void **state)
{
    (void)state;
    int64_t total, reclaimed;
    strings_experiment(false, &total, &reclaimed);
    assert_true(total >= 15);
    assert_true(reclaimed * 10 >= total * 4);
    assert_true(reclaimed * 10 <= total * 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(never_keeps_every_arena),
        cmocka_unit_test(mostfull_returns_all),
        cmocka_unit_test(cpython_keeps_one),
        cmocka_unit_test(mostfull_thrashes_cpython_does_not),
        cmocka_unit_test(random_half_reclaims_almost_nothing),
        cmocka_unit_test(first_half_reclaims_about_half),
    };
    return cmocka_run_group_tests_name("pymalloc_reclaim", tests, NULL, NULL);
}
