/* sim_json.c -- the "sim" block of a sample. */
#include "harness/results/schema.h"
#include "harness/results/sim_json.h"

static int64_t count(uint64_t v)
{
    return (int64_t)v;
}

void ab_sim_fill(ab_sample_sim *o, const ab_tlbsim_result *r)
{
    const ab_tlb_counts *c = &r->counts;
    o->accesses = count(c->loads + c->stores);
    o->loads = count(c->loads);
    o->stores = count(c->stores);
    o->dtlb_load_misses = count(ab_tlb_sum(c->dtlb_load_misses));
    o->dtlb_store_misses = count(ab_tlb_sum(c->dtlb_store_misses));
    /* Second-level misses are page walks, what perf's dTLB-load-misses and
     * dTLB-store-misses count on Intel (DTLB_*_MISSES.WALK_COMPLETED). */
    o->stlb_load_misses = count(ab_tlb_sum(c->stlb_load_misses));
    o->stlb_store_misses = count(ab_tlb_sum(c->stlb_store_misses));
    o->stlb_misses = o->stlb_load_misses + o->stlb_store_misses;
    o->accesses_4k = count(c->accesses_by_kind[AB_PAGE_4K]);
    o->accesses_2m = count(c->accesses_by_kind[AB_PAGE_2M]);
    o->dtlb_load_misses_4k = count(c->dtlb_load_misses[AB_PAGE_4K]);
    o->dtlb_load_misses_2m = count(c->dtlb_load_misses[AB_PAGE_2M]);
    o->dtlb_store_misses_4k = count(c->dtlb_store_misses[AB_PAGE_4K]);
    o->dtlb_store_misses_2m = count(c->dtlb_store_misses[AB_PAGE_2M]);
    o->stlb_misses_4k = count(c->stlb_load_misses[AB_PAGE_4K] + c->stlb_store_misses[AB_PAGE_4K]);
    o->stlb_misses_2m = count(c->stlb_load_misses[AB_PAGE_2M] + c->stlb_store_misses[AB_PAGE_2M]);
    o->regions_4k = count(r->pages.regions_4k);
    o->regions_2m = count(r->pages.regions_2m);
    o->invalidations = count(c->invalidations);
    o->page_not_present = count(r->pages.not_present);
    o->page_size_ambiguous = count(r->pages.ambiguous);
}

void ab_sim_add_context(json_t *sample, const ab_tlb_model *m, const ab_tlbsim_result *r,
                        ab_sim_coverage coverage)
{
    json_t *o = json_object_get(sample, AB_KEY_SIM);
    if (!json_is_object(o)) return;
    json_object_set_new(o, AB_KEY_SIM_STATUS, json_string(AB_SIM_STATUS));
    json_object_set_new(o, AB_KEY_SIM_MODEL, json_string(m->name));
    json_object_set_new(o, AB_KEY_SIM_COVERAGE, json_string(coverage == AB_SIM_WORKLOAD_AND_ALLOCATOR
                                                                ? "workload+allocator" : "workload"));
    json_object_set_new(o, AB_KEY_SIM_PAGE_SIZE_METHOD,
                        json_string(r->pages.method ? r->pages.method : "none"));
}
