/* pagesize.c -- page size per 2 MiB region from PAGEMAP_SCAN or smaps. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "tlbsim/pagesize.h"

/* PAGEMAP_SCAN, from the kernel's include/uapi/linux/fs.h (6.7+); Debian
 * 12's headers predate it.  The ABI is fixed by the struct's size field. */
#ifndef PAGEMAP_SCAN
struct page_region {
    uint64_t start, end, categories;
};
struct pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_HUGE (1 << 6)
#endif

#define REGION_SHIFT 21                  /* the x86-64 PMD: a 2 MiB page covers one region */
#define SMALL_PAGE 4096u
#define TABLE_INITIAL 1024u              /* slots; doubles at half full */
#define SMAPS_HUGE_KB 2048ull            /* KernelPageSize of a 2 MiB hugetlb VMA */

typedef struct slot {
    uint64_t region_plus1;   /* region number + 1; 0 empty */
    uint8_t kind;
} slot;

struct ab_pagesize_map {
    slot *table;
    size_t cap, used;
    int pagemap_fd;          /* -1: not opened yet or unavailable */
    bool scan_unavailable;
    uint64_t last_region_plus1;
    ab_page_kind last_kind;
    ab_pagesize_stats stats;
};

ab_pagesize_map *ab_pagesize_map_new(bool use_pagemap_scan)
{
    ab_pagesize_map *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->table = calloc(TABLE_INITIAL, sizeof *m->table);
    if (!m->table) {
        free(m);
        return NULL;
    }
    m->cap = TABLE_INITIAL;
    m->pagemap_fd = -1;
    m->scan_unavailable = !use_pagemap_scan;
    m->stats.method = "none";
    return m;
}

void ab_pagesize_map_free(ab_pagesize_map *m)
{
    if (!m) return;
    if (m->pagemap_fd >= 0) close(m->pagemap_fd);
    free(m->table);
    free(m);
}

static size_t hash_slot(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static slot *find(ab_pagesize_map *m, uint64_t key)
{
    size_t i = hash_slot(key, m->cap);
    while (m->table[i].region_plus1 != 0 && m->table[i].region_plus1 != key) i = (i + 1) & (m->cap - 1);
    return &m->table[i];
}

static void grow(ab_pagesize_map *m)
{
    slot *old = m->table;
    size_t oldcap = m->cap;
    slot *t = calloc(oldcap * 2, sizeof *t);
    if (!t) return;                      /* keeps working, just fuller */
    m->table = t;
    m->cap = oldcap * 2;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].region_plus1) *find(m, old[i].region_plus1) = old[i];
    free(old);
}

/* 1 huge, 0 small, -1 not present, -2 the ioctl is unavailable. */
static int ask_pagemap_scan(ab_pagesize_map *m, uint64_t addr)
{
    if (m->scan_unavailable) return -2;
    if (m->pagemap_fd < 0) m->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (m->pagemap_fd < 0) {
        m->scan_unavailable = true;
        return -2;
    }
    struct page_region r;
    struct pm_scan_arg arg = {
        .size = sizeof arg,
        .start = addr & ~(uint64_t)(SMALL_PAGE - 1),
        .end = (addr & ~(uint64_t)(SMALL_PAGE - 1)) + SMALL_PAGE,
        .vec = (uint64_t)(uintptr_t)&r,
        .vec_len = 1,
        .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE,
        .return_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE,
    };
    int n = ioctl(m->pagemap_fd, PAGEMAP_SCAN, &arg);
    if (n < 0) {
        m->scan_unavailable = true;
        return -2;
    }
    if (n == 0) return -1;
    return (r.categories & PAGE_IS_HUGE) ? 1 : 0;
}

/* The smaps rule of pagesize.h: 1 huge, 0 small, -1 no VMA holds addr,
 * -3 ambiguous. */
static int ask_smaps(uint64_t addr)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f) return -1;
    char line[512];
    bool inside = false;
    unsigned long long kps = 0, ahp = 0, rss = 0;
    int verdict = -1;
    while (fgets(line, sizeof line, f)) {
        uint64_t lo, hi;
        unsigned long long kb;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            if (inside) break;
            inside = addr >= lo && addr < hi;
        } else if (inside) {
            if (sscanf(line, "Rss: %llu kB", &kb) == 1) rss = kb;
            else if (sscanf(line, "KernelPageSize: %llu kB", &kb) == 1) kps = kb;
            else if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) ahp = kb;
        }
    }
    fclose(f);
    if (kps == 0 && rss == 0) return verdict;
    if (kps >= SMAPS_HUGE_KB) return 1;
    if (ahp == 0) return 0;
    return ahp >= rss ? 1 : -3;
}

static ab_page_kind resolve(ab_pagesize_map *m, uint64_t addr, bool *cacheable)
{
    int v = ask_pagemap_scan(m, addr);
    if (v != -2) {
        m->stats.method = "pagemap_scan";
    } else {
        m->stats.method = "smaps";
        v = ask_smaps(addr);
        if (v == -3) {
            m->stats.ambiguous++;
            v = 0;
        }
    }
    if (v < 0) {
        m->stats.not_present++;
        *cacheable = false;
        return AB_PAGE_4K;
    }
    *cacheable = true;
    return v ? AB_PAGE_2M : AB_PAGE_4K;
}

ab_page_kind ab_pagesize_of(ab_pagesize_map *m, uint64_t addr)
{
    uint64_t key = (addr >> REGION_SHIFT) + 1;
    if (key == m->last_region_plus1) return m->last_kind;
    slot *s = find(m, key);
    if (s->region_plus1 == 0) {
        bool cacheable;
        ab_page_kind k = resolve(m, addr, &cacheable);
        if (!cacheable) return k;
        s->region_plus1 = key;
        s->kind = (uint8_t)k;
        if (k == AB_PAGE_2M) m->stats.regions_2m++;
        else m->stats.regions_4k++;
        if (++m->used * 2 > m->cap) {
            grow(m);
            s = find(m, key);
        }
    }
    m->last_region_plus1 = key;
    m->last_kind = (ab_page_kind)s->kind;
    return m->last_kind;
}

void ab_pagesize_forget(ab_pagesize_map *m, uint64_t lo, uint64_t hi)
{
    if (hi <= lo) return;
    uint64_t first = lo >> REGION_SHIFT, last = (hi - 1) >> REGION_SHIFT;
    bool any = false;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t k = m->table[i].region_plus1;
        if (k && k - 1 >= first && k - 1 <= last) any = true;
    }
    m->last_region_plus1 = 0;
    if (!any) return;
    /* Rebuild without the forgotten regions (open addressing cannot just
     * clear a slot); unmaps are rare next to accesses. */
    slot *old = m->table;
    size_t cap = m->cap;
    slot *t = calloc(cap, sizeof *t);
    if (!t) {
        memset(old, 0, cap * sizeof *old);   /* forget everything: still correct */
        m->used = 0;
        return;
    }
    m->table = t;
    m->used = 0;
    for (size_t i = 0; i < cap; i++) {
        uint64_t k = old[i].region_plus1;
        if (!k || (k - 1 >= first && k - 1 <= last)) continue;
        *find(m, k) = old[i];
        m->used++;
    }
    free(old);
}

ab_pagesize_stats ab_pagesize_map_stats(const ab_pagesize_map *m)
{
    return m->stats;
}
