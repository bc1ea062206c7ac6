/* hugecover.c -- huge-page coverage of address ranges from /proc/self/smaps. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "allocators/hugecover.h"

static int cmp_range(const void *a, const void *b)
{
    uintptr_t x = ((const ab_addr_range *)a)->start, y = ((const ab_addr_range *)b)->start;
    return x < y ? -1 : x > y;
}

/* Bytes of [lo, hi) covered by the sorted ranges. */
static uint64_t overlap_bytes(const ab_addr_range *r, size_t n, uintptr_t lo, uintptr_t hi)
{
    /* First range whose end is above lo. */
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (r[m].start + r[m].size <= lo) a = m + 1;
        else b = m;
    }
    uint64_t total = 0;
    for (size_t i = a; i < n && r[i].start < hi; i++) {
        uintptr_t s = r[i].start > lo ? r[i].start : lo;
        uintptr_t e = r[i].start + r[i].size < hi ? r[i].start + r[i].size : hi;
        if (e > s) total += e - s;
    }
    return total;
}

static int64_t capped(uint64_t huge, uint64_t overlap)
{
    return (int64_t)(huge < overlap ? huge : overlap);
}

int64_t ab_hugecover_bytes(ab_addr_range *ranges, size_t n)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    if (n) qsort(ranges, n, sizeof *ranges, cmp_range);
    char line[512];
    int64_t total = 0;
    uint64_t vma_overlap = 0, vma_huge = 0;
    while (fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;
        unsigned long long kb;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            total += capped(vma_huge, vma_overlap);
            vma_huge = 0;
            vma_overlap = n ? overlap_bytes(ranges, n, lo, hi) : 0;
        } else if (vma_overlap && (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1
                                   || sscanf(line, "Private_Hugetlb: %llu kB", &kb) == 1
                                   || sscanf(line, "Shared_Hugetlb: %llu kB", &kb) == 1)) {
            vma_huge += (uint64_t)kb * 1024;
        }
    }
    total += capped(vma_huge, vma_overlap);
    fclose(f);
    return total;
}

int64_t ab_resident_bytes(const ab_addr_range *ranges, size_t n)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) return -1;
    size_t cap = 0;
    unsigned char *vec = NULL;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pages = (ranges[i].size + (size_t)page - 1) / (size_t)page;
        if (pages > cap) {
            unsigned char *v = realloc(vec, pages);
            if (!v) {
                free(vec);
                return -1;
            }
            vec = v;
            cap = pages;
        }
        if (mincore((void *)ranges[i].start, ranges[i].size, vec) != 0) {
            free(vec);
            return -1;
        }
        for (size_t p = 0; p < pages; p++) total += (vec[p] & 1) ? page : 0;
    }
    free(vec);
    return total;
}
