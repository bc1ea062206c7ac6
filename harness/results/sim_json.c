/* sim_json.c -- the "sim" block of a sample. */
#include <stdio.h>
#include "harness/results/sim_json.h"

const char *const ab_sim_report_metrics[] = {
    AB_SIM_KEY ".dtlb_load_misses", AB_SIM_KEY ".dtlb_store_misses", AB_SIM_KEY ".stlb_misses",
    AB_SIM_KEY ".stlb_load_misses", AB_SIM_KEY ".stlb_store_misses", NULL,
};

static void set_count(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

json_t *ab_sim_json(const ab_tlb_model *m, const ab_tlbsim_result *r, ab_sim_coverage coverage)
{
    const ab_tlb_counts *c = &r->counts;
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(AB_SIM_STATUS));
    json_object_set_new(o, "model", json_string(m->name));
    json_object_set_new(o, "coverage", json_string(coverage == AB_SIM_WORKLOAD_AND_ALLOCATOR
                                                       ? "workload+allocator" : "workload"));
    set_count(o, "accesses", c->loads + c->stores);
    set_count(o, "loads", c->loads);
    set_count(o, "stores", c->stores);
    set_count(o, "dtlb_load_misses", ab_tlb_sum(c->dtlb_load_misses));
    set_count(o, "dtlb_store_misses", ab_tlb_sum(c->dtlb_store_misses));
    /* Second-level misses are page walks, what perf's dTLB-load-misses and
     * dTLB-store-misses count on Intel (DTLB_*_MISSES.WALK_COMPLETED). */
    set_count(o, "stlb_misses", ab_tlb_sum(c->stlb_load_misses) + ab_tlb_sum(c->stlb_store_misses));
    set_count(o, "stlb_load_misses", ab_tlb_sum(c->stlb_load_misses));
    set_count(o, "stlb_store_misses", ab_tlb_sum(c->stlb_store_misses));
    char key[64];
    for (int k = 0; k < AB_PAGE_KINDS; k++) {
        const char *ps = ab_page_kind_name((ab_page_kind)k);
        snprintf(key, sizeof key, "accesses_%s", ps);
        set_count(o, key, c->accesses_by_kind[k]);
        snprintf(key, sizeof key, "dtlb_load_misses_%s", ps);
        set_count(o, key, c->dtlb_load_misses[k]);
        snprintf(key, sizeof key, "dtlb_store_misses_%s", ps);
        set_count(o, key, c->dtlb_store_misses[k]);
        snprintf(key, sizeof key, "stlb_misses_%s", ps);
        set_count(o, key, c->stlb_load_misses[k] + c->stlb_store_misses[k]);
        snprintf(key, sizeof key, "regions_%s", ps);
        set_count(o, key, k == AB_PAGE_2M ? r->pages.regions_2m : r->pages.regions_4k);
    }
    set_count(o, "invalidations", c->invalidations);
    set_count(o, "page_not_present", r->pages.not_present);
    set_count(o, "page_size_ambiguous", r->pages.ambiguous);
    json_object_set_new(o, "page_size_method", json_string(r->pages.method ? r->pages.method : "none"));
    return o;
}
