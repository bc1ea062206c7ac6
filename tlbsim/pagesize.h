/*
 * pagesize.h -- which page size really maps an address, asked of the kernel
 * (never inferred from the variant's name), remembered per 2 MiB-aligned
 * region until that region is unmapped.
 *
 * How: the PAGEMAP_SCAN ioctl on /proc/self/pagemap (Linux 6.7+) reports
 * PAGE_IS_HUGE for a page mapped by a PMD-level THP or a hugetlb page;
 * without it, /proc/self/smaps of the VMA holding the address decides
 * (KernelPageSize 2048 kB: hugetlb; AnonHugePages covering the whole of the
 * VMA's Rss: THP; none: 4 KiB; partial coverage cannot be placed, counted as
 * ambiguous and taken as 4 KiB).  A page not yet present is taken as 4 KiB
 * for that access and asked again on the next one.
 */
#ifndef AB_TLBSIM_PAGESIZE_H
#define AB_TLBSIM_PAGESIZE_H

#include <stdbool.h>
#include <stdint.h>
#include "tlbsim/tlb.h"

typedef struct ab_pagesize_stats {
    uint64_t regions_4k, regions_2m;   /* 2 MiB regions resolved, by what maps them */
    uint64_t not_present;              /* lookups of a page not (yet) mapped */
    uint64_t ambiguous;                /* smaps fallback could not place a region */
    const char *method;                /* "pagemap_scan" | "smaps" | "none" (nothing asked yet) */
} ab_pagesize_stats;

typedef struct ab_pagesize_map ab_pagesize_map;

/* use_pagemap_scan false: smaps only (the fallback, testable on kernels
 * that have the ioctl). */
ab_pagesize_map *ab_pagesize_map_new(bool use_pagemap_scan);
void ab_pagesize_map_free(ab_pagesize_map *m);
ab_page_kind ab_pagesize_of(ab_pagesize_map *m, uint64_t addr);
/* Forget what was learnt about [lo, hi) (it was unmapped). */
void ab_pagesize_forget(ab_pagesize_map *m, uint64_t lo, uint64_t hi);
ab_pagesize_stats ab_pagesize_map_stats(const ab_pagesize_map *m);

#endif
