/*
 * hugecover.h -- how many bytes of given address ranges are backed by huge
 * pages, read from /proc/self/smaps: AnonHugePages (THP) plus Private_Hugetlb
 * and Shared_Hugetlb (hugetlbfs) of every VMA overlapping a range, each VMA's
 * contribution capped at the bytes of it the ranges cover.  smaps reports per
 * VMA, not per range, so a VMA shared with non-arena memory may be credited up
 * to its overlap; it can never report more than the ranges' total size.
 */
#ifndef AB_HUGECOVER_H
#define AB_HUGECOVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ab_addr_range {
    uintptr_t start;
    size_t size;
} ab_addr_range;

/* Bytes backed by huge pages, or -1 if /proc/self/smaps cannot be read.
 * Sorts ranges in place; ranges must not overlap each other. */
int64_t ab_hugecover_bytes(ab_addr_range *ranges, size_t n);

/* Huge-page coverage: huge / mapped, a fraction.  Nothing mapped means
 * nothing to cover: 0, which is also what a regression to "no huge pages"
 * looks like.  The one definition behind hugepage_coverage and
 * hugepage_coverage_settled. */
static inline double ab_hugepage_coverage(double huge_bytes, double mapped_bytes)
{
    return mapped_bytes > 0 ? huge_bytes / mapped_bytes : 0.0;
}

/* Bytes of the ranges resident in memory (mincore(2): 4 KiB pages, THP and
 * hugetlb pages alike, counted per base page), or -1 if mincore fails.
 * Ranges must be page-aligned and mapped. */
int64_t ab_resident_bytes(const ab_addr_range *ranges, size_t n);

#endif
