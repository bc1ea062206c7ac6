/*
 * test_pymalloc_pages.c -- page backends and huge-page coverage, checked
 * against the kernel's own accounting (/proc/self/smaps, /proc/meminfo).
 *
 *   - hugetlb with an empty pool falls back to plain mmap for every arena
 *     (counted), and the memory works; arenas the huge page size does not
 *     divide are skipped (counted) and never attempted;
 *   - hugetlb with reserved huge pages (root only; nr_hugepages restored by
 *     the teardown even when an assertion fails) is fully huge-backed;
 *   - thp arenas are huge-page aligned and report coverage > 0 where THP is
 *     enabled; the 4k variant reports 0 in madvise mode;
 *   - hugecover caps each VMA's huge bytes at the overlap with the ranges.
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
#include "allocators/pages.h"
#include "allocators/hugecover.h"
#include "allocators/pymalloc_internal.h"

#define MIB ((size_t)1 << 20)
#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

/* Allocate and touch nbytes of 256-byte blocks; returns the block array. */
static void **fill(ab_allocator *a, size_t nbytes, size_t *count)
{
    size_t n = nbytes / 256;
    void **ps = malloc(n * sizeof *ps);
    for (size_t i = 0; i < n; i++) {
        ps[i] = a->malloc(a->self, 256);
        memset(ps[i], (int)i, 256);
    }
    *count = n;
    return ps;
}

static void drain(ab_allocator *a, void **ps, size_t n)
{
    for (size_t i = 0; i < n; i++) a->free(a->self, ps[i]);
    free(ps);
}

static void hugetlb_empty_pool_falls_back(void **state)
{
    (void)state;
    if (ab_pages_hugetlb_size() == 0) skip();
    if (ab_pages_hugetlb_free() != 0) {
        print_message("skipped: %ld huge pages free, the pool is not empty\n", ab_pages_hugetlb_free());
        skip();
    }
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("hugetlb", &a);
    size_t n;
    void **ps = fill(&a, 5 * MIB, &n);
    pmt_check(pm, "hugetlb fallback");
    ab_alloc_stats st;
    a.stats(a.self, &st);
    assert_true(st.arenas_allocated_total >= 2);
    assert_int_equal(st.hugetlb_fallbacks, st.arenas_allocated_total);
    assert_int_equal(st.hugetlb_skipped, 0);
    assert_int_equal(st.mmap_calls, 2 * st.arenas_allocated_total);
    assert_int_equal(st.hugepage_bytes, 0);
    drain(&a, ps, n);
    a.destroy(a.self);
}

static void hugetlb_skipped_when_size_does_not_divide(void **state)
{
    (void)state;
    size_t hp = ab_pages_hugetlb_size();
    if (hp == 0 || hp <= MIB) skip();
    ab_allocator a;
    pmt_open("pymalloc:pages=hugetlb,arena=1M", &a);
    size_t n;
    void **ps = fill(&a, 3 * MIB, &n);
    ab_alloc_stats st;
    a.stats(a.self, &st);
    assert_true(st.arenas_allocated_total >= 3);
    assert_int_equal(st.hugetlb_skipped, st.arenas_allocated_total);
    assert_int_equal(st.hugetlb_fallbacks, 0);
    assert_int_equal(st.mmap_calls, st.arenas_allocated_total);
    drain(&a, ps, n);
    a.destroy(a.self);
}

/* ---- reserved huge pages (root) ------------------------------------------- */

static long read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

static int write_long(const char *path, long v)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int rc = fprintf(f, "%ld\n", v) < 0 ? -1 : 0;
    if (fclose(f) != 0) rc = -1;
    return rc;
}

static long saved_nr_hugepages = -1;

static int restore_nr_hugepages(void **state)
{
    (void)state;
    if (saved_nr_hugepages >= 0) {
        if (write_long(NR_HUGEPAGES, saved_nr_hugepages) != 0 || read_long(NR_HUGEPAGES) != saved_nr_hugepages)
            fprintf(stderr, "WARNING: could not restore %s to %ld\n", NR_HUGEPAGES, saved_nr_hugepages);
        saved_nr_hugepages = -1;
    }
    return 0;
}

static void hugetlb_reserved_pool_is_used(void **state)
{
    (void)state;
    size_t hp = ab_pages_hugetlb_size();
    if (hp == 0 || (2 * MIB) % hp) skip();
    if (geteuid() != 0) {
        print_message("skipped: reserving huge pages needs root\n");
        skip();
    }
    long before = read_long(NR_HUGEPAGES);
    if (before < 0) skip();
    /* Two 2 MiB arenas plus slack. */
    long want = (long)(3 * 2 * MIB / hp);
    saved_nr_hugepages = before;
    if (write_long(NR_HUGEPAGES, before + want) != 0 || ab_pages_hugetlb_free() < want) {
        print_message("skipped: could not reserve %ld huge pages\n", want);
        skip();
    }
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("hugetlb", &a);
    size_t n;
    void **ps = fill(&a, 3 * MIB, &n);   /* two arenas */
    pmt_check(pm, "hugetlb reserved");
    ab_alloc_stats st;
    a.stats(a.self, &st);
    assert_int_equal(st.arenas_allocated_total, 2);
    assert_int_equal(st.hugetlb_fallbacks, 0);
    assert_int_equal(st.bytes_lost_alignment, 0);  /* huge pages are pool-aligned */
    assert_int_equal(st.hugepage_bytes, st.arena_bytes_mapped);
    drain(&a, ps, n);
    a.destroy(a.self);
}

/* ---- THP ------------------------------------------------------------------ */

static void thp_aligned_arenas_get_huge_pages(void **state)
{
    (void)state;
    char mode[32];
    ab_pages_thp_mode(mode, sizeof mode);
    if (strcmp(mode, "always") && strcmp(mode, "madvise")) {
        print_message("skipped: transparent huge pages are '%s'\n", mode);
        skip();
    }
    ab_allocator a;
    ab_pymalloc *pm = pmt_open("thp", &a);
    size_t n;
    void **ps = fill(&a, 6 * MIB, &n);
    for (unsigned i = 0; i < pm->maxarenas; i++)
        if (pm->arenas[i].address) assert_int_equal(pm->arenas[i].address % (2 * MIB), 0);
    ab_alloc_stats st;
    a.stats(a.self, &st);
    print_message("thp: %lld of %lld arena bytes on huge pages\n", (long long)st.hugepage_bytes,
                  (long long)st.arena_bytes_mapped);
    assert_int_equal(st.bytes_lost_alignment, 0);
    assert_true(st.hugepage_bytes > 0);
    assert_true(st.hugepage_bytes <= st.arena_bytes_mapped);
    drain(&a, ps, n);
    a.destroy(a.self);
}

static void plain_4k_reports_no_huge_pages(void **state)
{
    (void)state;
    char mode[32];
    ab_pages_thp_mode(mode, sizeof mode);
    if (!strcmp(mode, "always")) {
        print_message("skipped: THP 'always' may back plain mappings too\n");
        skip();
    }
    ab_allocator a;
    pmt_open("4k", &a);
    size_t n;
    void **ps = fill(&a, 6 * MIB, &n);
    ab_alloc_stats st;
    a.stats(a.self, &st);
    assert_true(st.arenas_current >= 6);
    assert_int_equal(st.hugepage_bytes, 0);
    drain(&a, ps, n);
    a.destroy(a.self);
}

/* An advised, touched 4 MiB region of which the ranges cover 1 MiB: the
 * coverage can be at most 1 MiB although the VMA has more huge pages. */
static void hugecover_caps_at_overlap(void **state)
{
    (void)state;
    char mode[32];
    ab_pages_thp_mode(mode, sizeof mode);
    if (strcmp(mode, "always") && strcmp(mode, "madvise")) skip();
    ab_pages pg;
    ab_pages_init(&pg, AB_PAGES_THP);
    uint8_t *p = pg.map(&pg, 4 * MIB);
    assert_non_null(p);
    memset(p, 1, 4 * MIB);
    ab_addr_range whole = {(uintptr_t)p, 4 * MIB};
    int64_t all = ab_hugecover_bytes(&whole, 1);
    ab_addr_range part[2] = {{(uintptr_t)p + 3 * MIB, MIB / 2}, {(uintptr_t)p, MIB / 2}};
    int64_t some = ab_hugecover_bytes(part, 2);
    print_message("4 MiB advised: %lld huge bytes; 1 MiB of it: %lld\n", (long long)all, (long long)some);
    assert_true(all >= 0 && all <= (int64_t)(4 * MIB));
    assert_true(some >= 0 && some <= (int64_t)MIB);
    if (all == (int64_t)(4 * MIB)) assert_int_equal(some, MIB);
    ab_addr_range none = {(uintptr_t)p + 8 * MIB, MIB};
    assert_int_equal(ab_hugecover_bytes(&none, 1), 0);
    assert_int_equal(pg.unmap(&pg, p, 4 * MIB), 0);
    /* One over-sized mmap, up to two trims, one unmap. */
    assert_int_equal(pg.mmap_calls, 1);
    assert_true(pg.munmap_calls >= 1 && pg.munmap_calls <= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hugetlb_empty_pool_falls_back),
        cmocka_unit_test(hugetlb_skipped_when_size_does_not_divide),
        cmocka_unit_test_teardown(hugetlb_reserved_pool_is_used, restore_nr_hugepages),
        cmocka_unit_test(thp_aligned_arenas_get_huge_pages),
        cmocka_unit_test(plain_4k_reports_no_huge_pages),
        cmocka_unit_test(hugecover_caps_at_overlap),
    };
    return cmocka_run_group_tests_name("pymalloc_pages", tests, NULL, NULL);
}
