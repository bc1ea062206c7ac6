/*
 * pages_hugetlb.c -- MAP_HUGETLB arenas as CPython 3.15 maps them with
 * --with-pymalloc-hugepages and PYTHON_PYMALLOC_HUGEPAGES=1 (gh-144320,
 * gh-144331): try MAP_HUGETLB only when the huge page size divides the
 * request (a larger huge page would be mapped whole and leaked by the later
 * munmap(size)), and fall back to a plain mapping when the pool is exhausted.
 *
 * The fallback is a plain mapping without MADV_HUGEPAGE, so pages=hugetlb
 * isolates MAP_HUGETLB from THP; pages=hugetlb-thp advises the fallback as
 * CPython main does since gh-144353 (2 MiB plain mappings come back 2 MiB-
 * aligned on Linux >= 6.7, so the advice can get THP without over-mapping).
 * MAP_NORESERVE is never used: reservation happens at mmap time, so an empty
 * pool shows up as a failed mmap, never as a SIGBUS on first touch.
 */
#include <sys/mman.h>
#include "allocators/pages.h"

static void *map_hugetlb(ab_pages *pg, size_t size)
{
    if (pg->hugepage_size == 0 || size % pg->hugepage_size != 0) {
        pg->hugetlb_skipped++;
        return ab_pages_sys_mmap(pg, size, 0);
    }
    void *p = ab_pages_sys_mmap(pg, size, MAP_HUGETLB);
    if (p) return p;
    pg->hugetlb_fallbacks++;
    return ab_pages_sys_mmap(pg, size, 0);
}

static void *map_hugetlb_advised_fallback(ab_pages *pg, size_t size)
{
    int64_t fallbacks = pg->hugetlb_fallbacks, skipped = pg->hugetlb_skipped;
    void *p = map_hugetlb(pg, size);
    if (p && (pg->hugetlb_fallbacks != fallbacks || pg->hugetlb_skipped != skipped))
        ab_pages_advise_huge(p, size);
    return p;
}

static int unmap_hugetlb(ab_pages *pg, void *p, size_t size)
{
    /* Only sizes the huge page divides were mapped with MAP_HUGETLB, so
     * munmap(size) releases exactly what was mapped either way. */
    return ab_pages_sys_munmap(pg, p, size);
}

void ab_pages_hugetlb_init(ab_pages *pg, bool advise_fallback)
{
    pg->hugepage_size = ab_pages_hugetlb_size();
    pg->map = advise_fallback ? map_hugetlb_advised_fallback : map_hugetlb;
    pg->unmap = unmap_hugetlb;
}
