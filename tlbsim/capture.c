/* capture.c -- the process-wide simulator the access hooks feed. */
#include <stdlib.h>
#include "tlbsim/access_hook.h"
#include "tlbsim/capture.h"

#define SMALL_PAGE 4096u

typedef struct capture {
    ab_tlb_sim *sim;
    ab_pagesize_map *pages;
} capture;

/* The one piece of global state the simulator needs (see capture.h). */
static capture active;

bool ab_tlbsim_instrumented(void)
{
#ifdef AB_TLBSIM
    return true;
#else
    return false;
#endif
}

int ab_tlbsim_begin(const ab_tlb_model *m)
{
    if (active.sim) return -1;
    capture c = {ab_tlb_sim_new(m), ab_pagesize_map_new(true)};
    if (!c.sim || !c.pages) {
        ab_tlb_sim_free(c.sim);
        ab_pagesize_map_free(c.pages);
        return -1;
    }
    active = c;
    return 0;
}

int ab_tlbsim_end(ab_tlbsim_result *out)
{
    if (!active.sim) return -1;
    capture c = active;
    active = (capture){NULL, NULL};
    out->counts = *ab_tlb_sim_counts(c.sim);
    out->pages = ab_pagesize_map_stats(c.pages);
    ab_tlb_sim_free(c.sim);
    ab_pagesize_map_free(c.pages);
    return 0;
}

static void add_kinds(uint64_t *acc, const uint64_t *r)
{
    for (int k = 0; k < AB_PAGE_KINDS; k++) acc[k] += r[k];
}

void ab_tlbsim_result_add(ab_tlbsim_result *acc, const ab_tlbsim_result *r)
{
    ab_tlb_counts *a = &acc->counts;
    const ab_tlb_counts *c = &r->counts;
    a->loads += c->loads;
    a->stores += c->stores;
    a->invalidations += c->invalidations;
    add_kinds(a->accesses_by_kind, c->accesses_by_kind);
    add_kinds(a->dtlb_load_misses, c->dtlb_load_misses);
    add_kinds(a->dtlb_store_misses, c->dtlb_store_misses);
    add_kinds(a->stlb_load_misses, c->stlb_load_misses);
    add_kinds(a->stlb_store_misses, c->stlb_store_misses);
    acc->pages.regions_4k += r->pages.regions_4k;
    acc->pages.regions_2m += r->pages.regions_2m;
    acc->pages.not_present += r->pages.not_present;
    acc->pages.ambiguous += r->pages.ambiguous;
    if (r->pages.method) acc->pages.method = r->pages.method;
}

void ab_tlbsim_note(const void *p, int store)
{
    if (!active.sim) return;
    uint64_t a = (uint64_t)(uintptr_t)p;
    ab_tlb_sim_access(active.sim, a, ab_pagesize_of(active.pages, a), store != 0);
}

void ab_tlbsim_note_range(const void *p, size_t n, int store)
{
    if (!active.sim || n == 0) return;
    uint64_t a = (uint64_t)(uintptr_t)p, end = a + n;
    for (uint64_t page = a & ~(uint64_t)(SMALL_PAGE - 1); page < end; page += SMALL_PAGE) {
        uint64_t at = page < a ? a : page;
        ab_tlb_sim_access(active.sim, at, ab_pagesize_of(active.pages, at), store != 0);
    }
}

void ab_tlbsim_note_unmap(const void *p, size_t n)
{
    if (!active.sim) return;
    uint64_t a = (uint64_t)(uintptr_t)p;
    ab_tlb_sim_invalidate(active.sim, a, a + n);
    ab_pagesize_forget(active.pages, a, a + n);
}
