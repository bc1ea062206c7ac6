/*
 * pymalloc_stats.c -- statistics with sys._debugmallocstats() meanings, and
 * the structural self-check the tests run after random operations.
 *
 * Like pymalloc_print_stats(), the per-class numbers come from walking every
 * carved pool of every mapped arena (nothing is counted on the hot paths),
 * so they cost O(pools) and are meant for between-phase reporting.
 */
#include <stdarg.h>
#include <stdlib.h>
#include "allocators/pymalloc_internal.h"
#include "allocators/hugecover.h"

static unsigned numblocks(const ab_pymalloc *pm, unsigned szidx)
{
    return (unsigned)((pm->pool_size - PM_POOL_OVERHEAD) / PM_INDEX2SIZE(szidx));
}

/* First pool-aligned address of the arena (where carving starts). */
static uintptr_t first_pool(const ab_pymalloc *pm, const pm_arena *ao)
{
    uintptr_t mask = pm->pool_size - 1;
    return (ao->address + mask) & ~mask;
}

void ab_pymalloc_debug_stats_get(const ab_pymalloc *pm, ab_pymalloc_debug_stats *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < pm->maxarenas; i++) {
        const pm_arena *ao = &pm->arenas[i];
        if (ao->address == 0) continue;
        out->unused_pools += ao->nfreepools;
        if (ao->address & (pm->pool_size - 1)) out->bytes_lost_alignment += (int64_t)pm->pool_size;
        for (uintptr_t base = first_pool(pm, ao); base < (uintptr_t)ao->pool_address;
             base += pm->pool_size) {
            const pm_pool *p = (const pm_pool *)base;
            if (p->ref.count == 0) continue;
            ab_pymalloc_class_stats *c = &out->classes[p->szidx];
            c->pools++;
            c->blocks_in_use += p->ref.count;
            c->avail_blocks += numblocks(pm, p->szidx) - p->ref.count;
        }
    }
    for (unsigned i = 0; i < PM_NB_CLASSES; i++) {
        ab_pymalloc_class_stats *c = &out->classes[i];
        unsigned size = PM_INDEX2SIZE(i);
        c->size = size;
        out->bytes_in_allocated_blocks += c->blocks_in_use * size;
        out->bytes_in_available_blocks += c->avail_blocks * size;
        out->bytes_lost_pool_headers += c->pools * PM_POOL_OVERHEAD;
        out->bytes_lost_quantization += c->pools * (int64_t)((pm->pool_size - PM_POOL_OVERHEAD) % size);
    }
    out->arenas_allocated_total = pm->ntimes_arena_allocated;
    out->arenas_current = pm->narenas_currently_allocated;
    out->arenas_reclaimed = pm->ntimes_arena_allocated - pm->narenas_currently_allocated;
    out->arenas_highwater = pm->narenas_highwater;
    out->total = out->bytes_in_allocated_blocks + out->bytes_in_available_blocks
                 + out->unused_pools * (int64_t)pm->pool_size + out->bytes_lost_pool_headers
                 + out->bytes_lost_quantization + out->bytes_lost_alignment;
    out->radix_mid_nodes = pm->radix_mid_count;
    out->radix_bot_nodes = pm->radix_bot_count;
    out->system_allocs = pm->system_allocs;
}

/* obmalloc's printone(): the label padded to 35 columns, then the value
 * with thousands separators right-aligned in 21. */
static void print_one(FILE *f, const char *label, int64_t value)
{
    char digits[32], grouped[48];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(value < 0 ? -value : value));
    size_t k = 0;
    if (value < 0) grouped[k++] = '-';
    for (int i = 0; i < n; i++) {
        grouped[k++] = digits[i];
        if ((n - 1 - i) % 3 == 0 && i != n - 1) grouped[k++] = ',';
    }
    grouped[k] = 0;
    fprintf(f, "%-35s=%21s\n", label, grouped);
}

void ab_pymalloc_print_debug_stats(const ab_pymalloc *pm, FILE *f)
{
    ab_pymalloc_debug_stats d;
    ab_pymalloc_debug_stats_get(pm, &d);
    char label[64];
    fprintf(f, "Small block threshold = %d, in %d size classes.\n\n",
            AB_PYMALLOC_SMALL_REQUEST_THRESHOLD, AB_PYMALLOC_NB_CLASSES);
    fprintf(f, "class   size   num pools   blocks in use  avail blocks\n");
    fprintf(f, "-----   ----   ---------   -------------  ------------\n");
    for (unsigned i = 0; i < PM_NB_CLASSES; i++) {
        const ab_pymalloc_class_stats *c = &d.classes[i];
        if (c->pools == 0) continue;
        fprintf(f, "%5u %6u %11lld %15lld %13lld\n", i, c->size, (long long)c->pools,
                (long long)c->blocks_in_use, (long long)c->avail_blocks);
    }
    fputc('\n', f);
    print_one(f, "# arenas allocated total", d.arenas_allocated_total);
    print_one(f, "# arenas reclaimed", d.arenas_reclaimed);
    print_one(f, "# arenas highwater mark", d.arenas_highwater);
    print_one(f, "# arenas allocated current", d.arenas_current);
    snprintf(label, sizeof label, "%lld arenas * %zu bytes/arena", (long long)d.arenas_current, pm->arena_size);
    print_one(f, label, d.arenas_current * (int64_t)pm->arena_size);
    fputc('\n', f);
    print_one(f, "# bytes in allocated blocks", d.bytes_in_allocated_blocks);
    print_one(f, "# bytes in available blocks", d.bytes_in_available_blocks);
    snprintf(label, sizeof label, "%lld unused pools * %zu bytes", (long long)d.unused_pools, pm->pool_size);
    print_one(f, label, d.unused_pools * (int64_t)pm->pool_size);
    print_one(f, "# bytes lost to pool headers", d.bytes_lost_pool_headers);
    print_one(f, "# bytes lost to quantization", d.bytes_lost_quantization);
    print_one(f, "# bytes lost to arena alignment", d.bytes_lost_alignment);
    print_one(f, "Total", d.total);
    fprintf(f, "\narena map counts\n");
    print_one(f, "# arena map mid nodes", d.radix_mid_nodes);
    print_one(f, "# arena map bot nodes", d.radix_bot_nodes);
    fputc('\n', f);
    unsigned a = pm->arena_bits;
    int64_t root = (int64_t)(((size_t)1 << PM_INTERIOR_BITS(a)) * sizeof(void *));
    int64_t mid = d.radix_mid_nodes * (int64_t)(((size_t)1 << PM_INTERIOR_BITS(a)) * sizeof(void *));
    int64_t bot = d.radix_bot_nodes * (int64_t)(((size_t)1 << PM_BOT_BITS(a)) * sizeof(pm_radix_leaf));
    print_one(f, "# bytes lost to arena map root", root);
    print_one(f, "# bytes lost to arena map mid", mid);
    print_one(f, "# bytes lost to arena map bot", bot);
    print_one(f, "Total", root + mid + bot);
}

void ab_pymalloc_stats(ab_pymalloc *pm, ab_alloc_stats *out)
{
    ab_pymalloc_debug_stats d;
    ab_pymalloc_debug_stats_get(pm, &d);
    ab_alloc_stats_init_unknown(out);
    out->arenas_allocated_total = d.arenas_allocated_total;
    out->arenas_reclaimed = d.arenas_reclaimed;
    out->arenas_highwater = d.arenas_highwater;
    out->arenas_current = d.arenas_current;
    out->arena_size = (int64_t)pm->arena_size;
    out->pool_size = (int64_t)pm->pool_size;
    out->pools_in_use = 0;
    out->blocks_in_use = 0;
    for (unsigned i = 0; i < PM_NB_CLASSES; i++) {
        out->pools_in_use += d.classes[i].pools;
        out->blocks_in_use += d.classes[i].blocks_in_use;
    }
    out->bytes_in_blocks = d.bytes_in_allocated_blocks;
    out->bytes_lost_pool_headers = d.bytes_lost_pool_headers;
    out->bytes_lost_quantization = d.bytes_lost_quantization;
    out->bytes_lost_alignment = d.bytes_lost_alignment;
    out->system_allocs = pm->system_allocs;
    out->mmap_calls = pm->pages.mmap_calls;
    out->munmap_calls = pm->pages.munmap_calls;
    out->hugetlb_fallbacks = pm->pages.hugetlb_fallbacks;
    out->hugetlb_skipped = pm->pages.hugetlb_skipped;
    out->arena_bytes_mapped = d.arenas_current * (int64_t)pm->arena_size;

    /* Coverage is read from the kernel, never assumed from the backend. */
    size_t n = (size_t)d.arenas_current, k = 0;
    ab_addr_range *ranges = n ? malloc(n * sizeof *ranges) : NULL;
    if (n && !ranges) return;   /* hugepage_bytes stays unknown */
    for (unsigned i = 0; i < pm->maxarenas && k < n; i++) {
        if (pm->arenas[i].address == 0) continue;
        ranges[k].start = pm->arenas[i].address;
        ranges[k].size = pm->arena_size;
        k++;
    }
    int64_t huge = ab_hugecover_bytes(ranges, k);
    out->hugepage_bytes = huge < 0 ? AB_STAT_UNKNOWN : huge;
    int64_t resident = ab_resident_bytes(ranges, k);
    out->arena_bytes_resident = resident < 0 ? AB_STAT_UNKNOWN : resident;
    free(ranges);
}

/* ---- structural self-check ------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int check_usable_arenas(const ab_pymalloc *pm, char *err, size_t errlen)
{
    unsigned maxp = pm->max_pools_in_arena;
    const pm_arena *prev = NULL;
    int64_t on_list = 0;
    for (const pm_arena *ao = pm->usable_arenas; ao; prev = ao, ao = ao->nextarena) {
        if (++on_list > pm->narenas_currently_allocated)
            return fail(err, errlen, "usable_arenas longer than the mapped arena count (cycle?)");
        if (ao->address == 0) return fail(err, errlen, "unmapped arena on usable_arenas");
        if (ao->prevarena != prev) return fail(err, errlen, "usable_arenas prevarena link broken");
        if (ao->nfreepools == 0) return fail(err, errlen, "full arena on usable_arenas");
        if (prev && prev->nfreepools > ao->nfreepools)
            return fail(err, errlen, "usable_arenas not sorted: %u before %u free pools",
                        prev->nfreepools, ao->nfreepools);
        bool rightmost = ao->nextarena == NULL || ao->nextarena->nfreepools != ao->nfreepools;
        if (rightmost && pm->nfp2lasta[ao->nfreepools] != ao)
            return fail(err, errlen, "nfp2lasta[%u] is not the rightmost arena with %u free pools",
                        ao->nfreepools, ao->nfreepools);
    }
    /* Every non-NULL slot must point at an arena on the list with that count
     * (the loop above found the rightmost of each group present). */
    for (unsigned n = 0; n <= maxp; n++) {
        const pm_arena *a = pm->nfp2lasta[n];
        if (!a) continue;
        if (n == 0) return fail(err, errlen, "nfp2lasta[0] set");
        if (a->address == 0 || a->nfreepools != n)
            return fail(err, errlen, "nfp2lasta[%u] points at an arena with %u free pools", n,
                        a->nfreepools);
    }
    int64_t expect = 0;
    for (unsigned i = 0; i < pm->maxarenas; i++)
        if (pm->arenas[i].address && pm->arenas[i].nfreepools > 0) expect++;
    if (expect != on_list)
        return fail(err, errlen, "%lld non-full arenas but %lld on usable_arenas",
                    (long long)expect, (long long)on_list);
    return 0;
}

/* Free-pool list, carving state and pool headers of one arena; counts used
 * (partially allocated) pools per class into nused. */
static int check_arena(const ab_pymalloc *pm, const pm_arena *ao, int64_t *nused,
                       int64_t *empty_arenas, char *err, size_t errlen)
{
    uintptr_t end = ao->address + pm->arena_size;
    uintptr_t lo = first_pool(pm, ao);
    unsigned expect_total = pm->max_pools_in_arena - (lo != ao->address);
    if (ao->ntotalpools != expect_total)
        return fail(err, errlen, "arena ntotalpools %u, expected %u", ao->ntotalpools, expect_total);
    uintptr_t pa = (uintptr_t)ao->pool_address;
    if (pa < lo || pa > end || (pa - lo) % pm->pool_size)
        return fail(err, errlen, "arena pool_address out of range");
    unsigned uncarved = (unsigned)((end - pa) / pm->pool_size);
    unsigned nfree = 0;
    for (const pm_pool *p = ao->freepools; p; p = p->nextpool) {
        if (++nfree > ao->ntotalpools) return fail(err, errlen, "freepools list cycles");
        if ((uintptr_t)p < lo || (uintptr_t)p >= pa) return fail(err, errlen, "free pool outside carved range");
        if (p->ref.count != 0) return fail(err, errlen, "pool on freepools has %u blocks", p->ref.count);
    }
    if (nfree + uncarved != ao->nfreepools)
        return fail(err, errlen, "arena nfreepools %u != %u free + %u never carved", ao->nfreepools,
                    nfree, uncarved);
    unsigned nempty = 0;
    for (uintptr_t b = lo; b < pa; b += pm->pool_size) {
        const pm_pool *p = (const pm_pool *)b;
        if (p->arenaindex != (unsigned)(ao - pm->arenas))
            return fail(err, errlen, "pool arenaindex %u in arena %u", p->arenaindex,
                        (unsigned)(ao - pm->arenas));
        if (p->ref.count == 0) {
            nempty++;
            continue;
        }
        if (p->szidx >= PM_NB_CLASSES) return fail(err, errlen, "used pool with szidx %u", p->szidx);
        if (p->ref.count > numblocks(pm, p->szidx))
            return fail(err, errlen, "pool count %u exceeds %u blocks", p->ref.count, numblocks(pm, p->szidx));
        if (p->freeblock != NULL) nused[p->szidx]++;
        else if (p->ref.count != numblocks(pm, p->szidx))
            return fail(err, errlen, "pool with no free block holds %u of %u", p->ref.count,
                        numblocks(pm, p->szidx));
    }
    if (nempty != nfree) return fail(err, errlen, "%u empty pools but %u on freepools", nempty, nfree);
    if (ao->nfreepools == ao->ntotalpools) (*empty_arenas)++;
    bool in_range = ab_pymalloc_owns(pm, (void *)ao->address) && ab_pymalloc_owns(pm, (void *)(end - 1));
    if (!in_range) return fail(err, errlen, "radix tree does not claim a mapped arena");
    return 0;
}

static int check_usedpools(const ab_pymalloc *pm, const int64_t *nused, char *err, size_t errlen)
{
    for (unsigned i = 0; i < PM_NB_CLASSES; i++) {
        const pm_pool *head = &pm->used[i];
        int64_t n = 0;
        for (const pm_pool *p = head->nextpool; p != head; p = p->nextpool) {
            if (++n > nused[i]) return fail(err, errlen, "class %u ring longer than its used pools", i);
            if (p->nextpool->prevpool != p) return fail(err, errlen, "class %u ring link broken", i);
            if (p->szidx != i) return fail(err, errlen, "pool of class %u on ring %u", p->szidx, i);
            if (p->ref.count == 0 || p->freeblock == NULL)
                return fail(err, errlen, "empty or full pool on ring %u", i);
        }
        if (n != nused[i])
            return fail(err, errlen, "class %u: %lld used pools, %lld on its ring", i,
                        (long long)nused[i], (long long)n);
    }
    return 0;
}

int ab_pymalloc_check(const ab_pymalloc *pm, char *err, size_t errlen)
{
    int64_t nused[PM_NB_CLASSES] = {0};
    int64_t mapped = 0, empty_arenas = 0;
    for (unsigned i = 0; i < pm->maxarenas; i++) {
        const pm_arena *ao = &pm->arenas[i];
        if (ao->address == 0) continue;
        mapped++;
        if (check_arena(pm, ao, nused, &empty_arenas, err, errlen) < 0) return -1;
    }
    if (mapped != pm->narenas_currently_allocated)
        return fail(err, errlen, "arenas_current %lld but %lld arenas mapped",
                    (long long)pm->narenas_currently_allocated, (long long)mapped);
    if (check_usable_arenas(pm, err, errlen) < 0) return -1;
    if (check_usedpools(pm, nused, err, errlen) < 0) return -1;
    if (pm->reclaim == AB_RECLAIM_MOSTFULL && empty_arenas != 0)
        return fail(err, errlen, "mostfull keeps %lld empty arenas", (long long)empty_arenas);
    if (pm->reclaim == AB_RECLAIM_CPYTHON && empty_arenas > 1)
        return fail(err, errlen, "cpython reclaim keeps %lld empty arenas", (long long)empty_arenas);
    if (pm->narenas_highwater < pm->narenas_currently_allocated
        || pm->ntimes_arena_allocated < pm->narenas_highwater)
        return fail(err, errlen, "arena counters inconsistent");
    return 0;
}
