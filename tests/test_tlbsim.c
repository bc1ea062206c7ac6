/*
 * test_tlbsim.c -- the TLB simulator against answers that follow from the
 * geometry alone, and the model files against malformed geometry.
 *
 * Analytic oracles:
 *   - N pages that fit the first level (evenly spread over its sets): after
 *     the N compulsory misses, a random walk over them never misses.
 *   - Uniform random references over N pages, k of which a set-associative
 *     LRU array can hold per set: in steady state every subset of cached
 *     pages is equally likely, so the hit ratio is k*sets/N (the independent
 *     reference model's result for any non-anticipating policy).
 *   - A sequential stream misses exactly once per page it enters: N for
 *     4 KiB pages, N/512 for 2 MiB pages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include <sys/mman.h>
#include "allocators/hugecover.h"
#include "tlbsim/model.h"
#include "tlbsim/pagesize.h"
#include "tlbsim/tlb.h"
#include "workloads/rng.h"

#define KIB4 4096ull
#define MIB2 (2ull << 20)
#define WALK_STEPS 2000000u
/* Sampling error of a miss ratio over WALK_STEPS draws is < 0.001; the
 * tolerance leaves room for the warm-up transient. */
#define RATIO_TOL 0.01


static ab_tlb_model load_model(const char *name)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/tlbsim/models/%s.json", getenv("AB_SOURCE_DIR") ? getenv("AB_SOURCE_DIR") : ".", name);
    ab_tlb_model m;
    if (ab_tlb_model_load(path, &m, err, sizeof err) != 0) fail_msg("%s", err);
    return m;
}

/* Random loads over n_pages consecutive pages of the given kind. */
static ab_tlb_counts random_walk(const ab_tlb_model *m, uint64_t n_pages, ab_page_kind kind,
                                 unsigned steps, bool store)
{
    ab_tlb_sim *s = ab_tlb_sim_new(m);
    assert_non_null(s);
    uint64_t base = 1ull << 40, psize = 1ull << ab_page_kind_shift(kind);
    ab_mt mt;
    ab_mt_seed(&mt, 42);
    for (unsigned i = 0; i < steps; i++) {
        uint64_t r = ((uint64_t)ab_mt_u32(&mt) << 32) | ab_mt_u32(&mt);
        ab_tlb_sim_access(s, base + (r % n_pages) * psize + 8, kind, store);
    }
    ab_tlb_counts c = *ab_tlb_sim_counts(s);
    ab_tlb_sim_free(s);
    return c;
}

static void below_l1_reach_only_compulsory_misses(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("golden-cove");
    unsigned l1 = m.arrays[AB_TLB_L1_LOAD][0].entries;   /* 96 4K entries */
    ab_tlb_counts c = random_walk(&m, l1, AB_PAGE_4K, WALK_STEPS, false);
    assert_int_equal(c.loads, WALK_STEPS);
    assert_int_equal(c.dtlb_load_misses[AB_PAGE_4K], l1);
    assert_int_equal(c.stlb_load_misses[AB_PAGE_4K], l1);
}

static void above_l1_below_stlb_reach(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("golden-cove");
    const uint64_t n = 1024;    /* > 96 L1 entries, < 2048 STLB entries, 8 per STLB set */
    ab_tlb_counts c = random_walk(&m, n, AB_PAGE_4K, WALK_STEPS, false);
    double l1_ratio = (double)c.dtlb_load_misses[AB_PAGE_4K] / WALK_STEPS;
    assert_true(fabs(l1_ratio - (1.0 - 96.0 / n)) < RATIO_TOL);
    assert_int_equal(c.stlb_load_misses[AB_PAGE_4K], n);   /* compulsory only */
}

static void above_stlb_reach(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("golden-cove");
    const uint64_t n = 8192;
    ab_tlb_counts c = random_walk(&m, n, AB_PAGE_4K, WALK_STEPS, false);
    double walk_ratio = (double)c.stlb_load_misses[AB_PAGE_4K] / WALK_STEPS;
    /* A reference hits somewhere iff its page is in the STLB or the L1; the
     * L1 holds recently used pages that the STLB, being larger and fed
     * the same misses, mostly also holds: 1 - 2048/8192. */
    assert_true(fabs(walk_ratio - (1.0 - 2048.0 / n)) < 2 * RATIO_TOL);
    double l1_ratio = (double)c.dtlb_load_misses[AB_PAGE_4K] / WALK_STEPS;
    assert_true(fabs(l1_ratio - (1.0 - 96.0 / n)) < RATIO_TOL);
}

static void store_array_is_separate(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("golden-cove");
    /* 16-entry fully associative store DTLB: 32 pages -> half the stores miss. */
    ab_tlb_counts c = random_walk(&m, 32, AB_PAGE_4K, WALK_STEPS, true);
    assert_int_equal(c.loads, 0);
    assert_int_equal(c.dtlb_load_misses[AB_PAGE_4K], 0);
    assert_true(fabs((double)c.dtlb_store_misses[AB_PAGE_4K] / WALK_STEPS - 0.5) < RATIO_TOL);
    assert_int_equal(c.stlb_store_misses[AB_PAGE_4K], 32);
    /* AMD has no store array: stores use the 64-entry L1, 32 pages fit. */
    ab_tlb_model z = load_model("zen2");
    ab_tlb_counts cz = random_walk(&z, 32, AB_PAGE_4K, WALK_STEPS, true);
    assert_int_equal(cz.dtlb_store_misses[AB_PAGE_4K], 32);
}

static void huge_pages_reach_further(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("golden-cove");
    /* 64 MiB at random: 16384 4K pages thrash; 32 2M pages fit the 32-entry L1. */
    ab_tlb_counts small = random_walk(&m, 16384, AB_PAGE_4K, WALK_STEPS, false);
    ab_tlb_counts huge = random_walk(&m, 32, AB_PAGE_2M, WALK_STEPS, false);
    assert_int_equal(huge.dtlb_load_misses[AB_PAGE_2M], 32);
    assert_int_equal(huge.accesses_by_kind[AB_PAGE_4K], 0);
    assert_true(small.stlb_load_misses[AB_PAGE_4K] > WALK_STEPS / 2);
}

static void sequential_stream(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("ice-lake");
    const uint64_t bytes = 64ull << 20, line = 64, base = 1ull << 41;
    for (int k = 0; k < AB_PAGE_KINDS; k++) {
        ab_tlb_sim *s = ab_tlb_sim_new(&m);
        for (uint64_t off = 0; off < bytes; off += line) ab_tlb_sim_access(s, base + off, (ab_page_kind)k, false);
        const ab_tlb_counts *c = ab_tlb_sim_counts(s);
        uint64_t pages = bytes >> ab_page_kind_shift((ab_page_kind)k);
        assert_int_equal(c->dtlb_load_misses[k], pages);
        assert_int_equal(c->stlb_load_misses[k], pages);
        assert_int_equal(c->loads, bytes / line);
        ab_tlb_sim_free(s);
    }
}

static void unmap_invalidates(void **state)
{
    (void)state;
    ab_tlb_model m = load_model("zen2");
    ab_tlb_sim *s = ab_tlb_sim_new(&m);
    const uint64_t a = 1ull << 40;
    ab_tlb_sim_access(s, a, AB_PAGE_2M, false);
    ab_tlb_sim_access(s, a + 5 * KIB4, AB_PAGE_2M, false);     /* same 2M page: hit */
    assert_int_equal(ab_tlb_sim_counts(s)->dtlb_load_misses[AB_PAGE_2M], 1);
    ab_tlb_sim_invalidate(s, a + MIB2 - KIB4, a + MIB2);       /* overlaps its last 4K */
    ab_tlb_sim_access(s, a, AB_PAGE_2M, false);
    assert_int_equal(ab_tlb_sim_counts(s)->stlb_load_misses[AB_PAGE_2M], 2);
    assert_int_equal(ab_tlb_sim_counts(s)->invalidations, 2);  /* L1 + STLB entry */
    ab_tlb_sim_free(s);
}

/* ---- page sizes: both readings against the allocator's smaps oracle ---- */

/* A 2 MiB-aligned 4 MiB mapping with the given advice, touched. */
static char *touched_region(int advice)
{
    size_t len = 4 * MIB2;
    char *raw = mmap(NULL, len + MIB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(raw != MAP_FAILED);
    char *p = (char *)(((uintptr_t)raw + MIB2 - 1) & ~(uintptr_t)(MIB2 - 1));
    madvise(p, len, advice);
    memset(p, 1, len);
    return p;
}

static void page_size_matches_smaps_coverage(void **state)
{
    (void)state;
    const int advice[] = {MADV_HUGEPAGE, MADV_NOHUGEPAGE};
    for (size_t a = 0; a < 2; a++) {
        char *p = touched_region(advice[a]);
        ab_addr_range r = {(uintptr_t)p, 4 * MIB2};
        int64_t huge = ab_hugecover_bytes(&r, 1);   /* the oracle: smaps AnonHugePages */
        assert_true(huge >= 0);
        for (int scan = 1; scan >= 0; scan--) {
            ab_pagesize_map *m = ab_pagesize_map_new(scan);
            uint64_t huge_regions = 0;
            for (int i = 0; i < 4; i++)
                huge_regions += ab_pagesize_of(m, (uint64_t)(uintptr_t)(p + i * MIB2 + 64)) == AB_PAGE_2M;
            ab_pagesize_stats st = ab_pagesize_map_stats(m);
            if (st.ambiguous == 0) assert_int_equal(huge_regions * MIB2, (uint64_t)huge);
            if (!scan) assert_string_equal(st.method, "smaps");
            if (advice[a] == MADV_NOHUGEPAGE) assert_int_equal(huge_regions, 0);
            /* forgetting the range makes the next lookup ask again */
            ab_pagesize_forget(m, (uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)p + 4 * MIB2);
            ab_pagesize_of(m, (uint64_t)(uintptr_t)p);
            ab_pagesize_stats st2 = ab_pagesize_map_stats(m);
            assert_int_equal(st2.regions_2m + st2.regions_4k, st.regions_2m + st.regions_4k + 1);
            ab_pagesize_map_free(m);
        }
        munmap(p, 4 * MIB2);
    }
}

/* ---- model files ---- */

static int load_text(const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/abtest-tlbmodel-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    ab_tlb_model m;
    int rc = ab_tlb_model_load(path, &m, err, errlen);
    unlink(path);
    return rc;
}

#define ROW(ps, e, w) "{\"page_sizes\": [" ps "], \"entries\": " #e ", \"ways\": " #w ", \"source\": \"test\"}"
#define MODEL(l1, st) "{\"model\": \"t\", \"cpu\": \"t\", \"replacement\": \"lru\", \"l1_load\": [" l1 "], \"stlb\": [" st "]}"

static void shipped_models_load(void **state)
{
    (void)state;
    const char *names[] = {"golden-cove", "ice-lake", "zen2"};
    for (size_t i = 0; i < 3; i++) {
        ab_tlb_model m = load_model(names[i]);
        assert_string_equal(m.name, names[i]);
    }
    char err[512];
    assert_int_equal(load_text(MODEL(ROW("\"4k\", \"2m\"", 64, 64), ROW("\"4k\", \"2m\"", 2048, 16)), err, sizeof err), 0);
}

static void wrong_geometry_rejected(void **state)
{
    (void)state;
    char err[512];
    struct { const char *text, *needle; } bad[] = {
        {MODEL(ROW("\"4k\", \"2m\"", 2048, 12), ROW("\"4k\", \"2m\"", 2048, 16)), "not a multiple"},
        {MODEL(ROW("\"4k\", \"2m\"", 96, 7), ROW("\"4k\", \"2m\"", 2048, 16)), "not a multiple"},
        {MODEL(ROW("\"4k\", \"2m\"", 96, 8), ROW("\"4k\", \"2m\"", 2048, 16)), "not a power of two"},
        {MODEL(ROW("\"4k\"", 64, 4), ROW("\"4k\", \"2m\"", 2048, 16)), "2m pages are held by 0"},
        {MODEL(ROW("\"4k\", \"2m\"", 64, 4) "," ROW("\"2m\"", 32, 4), ROW("\"4k\", \"2m\"", 2048, 16)), "held by 2"},
        {MODEL(ROW("\"4k\", \"2m\"", 0, 1), ROW("\"4k\", \"2m\"", 2048, 16)), "0 entries"},
        {MODEL(ROW("\"4k\", \"2m\"", 64, 128), ROW("\"4k\", \"2m\"", 2048, 16)), "128 ways"},
        {MODEL(ROW("\"1g\"", 64, 4), ROW("\"4k\", \"2m\"", 2048, 16)), "page sizes are"},
        {MODEL("{\"page_sizes\": [\"4k\", \"2m\"], \"entries\": 64, \"ways\": 4}", ROW("\"4k\", \"2m\"", 2048, 16)), "no \"source\""},
        {"{\"model\": \"t\", \"cpu\": \"t\", \"replacement\": \"lru\", \"stlb\": [" ROW("\"4k\", \"2m\"", 2048, 16) "]}", "\"l1_load\" has no array"},
        {"{\"model\": \"t\", \"replacement\": \"random\", \"l1_load\": [], \"stlb\": []}", "only \"lru\""},
        {"{\"model\": \"t\", \"ways\": 3}", "unknown key"},
        {"{\"model\": ", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(load_text(bad[i].text, err, sizeof err), -1);
        if (!strstr(err, bad[i].needle)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].needle);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(below_l1_reach_only_compulsory_misses),
        cmocka_unit_test(above_l1_below_stlb_reach),
        cmocka_unit_test(above_stlb_reach),
        cmocka_unit_test(store_array_is_separate),
        cmocka_unit_test(huge_pages_reach_further),
        cmocka_unit_test(sequential_stream),
        cmocka_unit_test(unmap_invalidates),
        cmocka_unit_test(page_size_matches_smaps_coverage),
        cmocka_unit_test(shipped_models_load),
        cmocka_unit_test(wrong_geometry_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
