/*
 * pages_thp.c -- transparent huge pages.
 *
 * A THP needs an aligned huge-page-sized range inside one VMA, and the advice
 * must be in place before the first touch (otherwise the range faults in 4 KiB
 * pages and only khugepaged may collapse it later).  The aligned backend
 * over-maps by one huge page minus a base page, trims both ends so the arena
 * starts on a huge page boundary, then advises.  The unaligned backend is what
 * CPython main does for every arena since gh-144353: plain mmap + advice, so a
 * 1 MiB arena is huge-backed only when neighbouring arenas happen to merge into
 * an aligned 2 MiB range of one VMA.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "allocators/pages.h"

static void *map_thp_unaligned(ab_pages *pg, size_t size)
{
    void *p = ab_pages_sys_mmap(pg, size, 0);
    if (p) ab_pages_advise_huge(p, size);
    return p;
}

static void *map_thp_aligned(ab_pages *pg, size_t size)
{
    size_t hp = pg->hugepage_size;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = size + hp - page;
    uint8_t *raw = ab_pages_sys_mmap(pg, span, 0);
    if (!raw) return NULL;
    uintptr_t start = ((uintptr_t)raw + hp - 1) & ~(uintptr_t)(hp - 1);
    size_t head = start - (uintptr_t)raw;
    size_t tail = span - head - size;
    /* Trimming cannot fail for page-aligned pieces of our own mapping. */
    if (head) (void)ab_pages_sys_munmap(pg, raw, head);
    if (tail) (void)ab_pages_sys_munmap(pg, (void *)(start + size), tail);
    ab_pages_advise_huge((void *)start, size);
    return (void *)start;
}

static int unmap_thp(ab_pages *pg, void *p, size_t size)
{
    return ab_pages_sys_munmap(pg, p, size);
}

void ab_pages_thp_init(ab_pages *pg, bool aligned)
{
    pg->hugepage_size = ab_pages_thp_size();
    pg->map = aligned ? map_thp_aligned : map_thp_unaligned;
    pg->unmap = unmap_thp;
}
