/* cost_blocks.c -- see cost_blocks.h. */
#include <stdlib.h>
#include "harness/run/cost_blocks.h"
#include "harness/run/stats.h"

#define KIB 1024

static json_t *int_or_null(int64_t v)
{
    return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

/* Set median_key and max_key (either may be NULL) to the median and max of x[0..n-1]; null when n == 0. */
static void set_summary(json_t *o, const char *median_key, const char *max_key, const double *x, size_t n)
{
    ab_summary su;
    ab_stats_summarize(x, n, &su);
    if (median_key) json_object_set_new(o, median_key, n ? json_real(su.median) : json_null());
    if (max_key) json_object_set_new(o, max_key, n ? json_real(su.max) : json_null());
}

json_t *ab_fork_workers_json(const ab_fork_report *r)
{
    json_t *per = json_array();
    for (int i = 0; i < r->workers; i++) {
        const ab_worker_result *w = &r->w[i];
        json_array_append_new(per, json_pack(
            "{s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
            "end", ab_worker_end_name(w->end),
            "signal", w->signal ? json_integer(w->signal) : json_null(),
            "exit_code", w->exit_code >= 0 ? json_integer(w->exit_code) : json_null(),
            "fork_ns", (json_int_t)w->fork_ns,
            "worker_wall_ns", int_or_null(w->wall_ns),
            "cow_faults", int_or_null(w->cow_faults),
            "minflt", int_or_null(w->minflt),
            "private_dirty_kb", int_or_null(w->smaps.private_dirty_kb),
            "private_hugetlb_kb", int_or_null(w->smaps.private_hugetlb_kb),
            "private_kb", int_or_null(ab_worker_private_kb(w)),
            "pss_kb", int_or_null(w->smaps.pss_kb)));
    }
    return per;
}

json_t *ab_fork_block_json(const ab_fork_report *r)
{
    json_t *o = json_object();
    double fork_ns[AB_FORK_MAX_WORKERS], cow[AB_FORK_MAX_WORKERS], priv[AB_FORK_MAX_WORKERS],
        wall[AB_FORK_MAX_WORKERS];
    size_t nf = 0, nc = 0, np = 0, nw = 0;
    int ok = 0;
    int64_t cow_total = 0;
    for (int i = 0; i < r->workers; i++) {
        const ab_worker_result *w = &r->w[i];
        long private_kb = ab_worker_private_kb(w);
        ok += w->end == AB_WORKER_OK;
        if (w->end != AB_WORKER_NOT_STARTED) fork_ns[nf++] = (double)w->fork_ns;
        if (w->cow_faults >= 0) {
            cow[nc++] = (double)w->cow_faults;
            cow_total += w->cow_faults;
        }
        if (private_kb >= 0) priv[np++] = (double)private_kb;
        if (w->wall_ns >= 0) wall[nw++] = (double)w->wall_ns;
    }
    json_object_set_new(o, "workers", json_integer(r->workers));
    json_object_set_new(o, "workers_ok", json_integer(ok));
    set_summary(o, "fork_ns_median", "fork_ns_max", fork_ns, nf);
    set_summary(o, "cow_faults_median", NULL, cow, nc);
    json_object_set_new(o, "cow_faults_total", nc ? json_integer((json_int_t)cow_total) : json_null());
    set_summary(o, "private_kb_median", "private_kb_max", priv, np);
    json_object_set_new(o, "pss_total_kb", int_or_null(ab_fork_family_pss_kb(r)));
    json_object_set_new(o, "parent_pss_kb", int_or_null(r->parent.pss_kb));
    set_summary(o, "worker_wall_ns_median", "worker_wall_ns_max", wall, nw);
    return o;
}

static json_t *kb_of(int64_t bytes)
{
    return bytes >= 0 ? json_integer((json_int_t)(bytes / KIB)) : json_null();
}

static json_t *ratio_or_null(double v)
{
    return v >= 0 ? json_real(v) : json_null();
}

json_t *ab_survivors_block_json(const ab_survivors_report *r)
{
    /* Numbers only (a registry family); the layout is in the workload spec. */
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "k", (json_int_t)r->k,
                     "objects", (json_int_t)r->objects, "kept", (json_int_t)r->kept,
                     "arenas_peak", int_or_null(r->peak.arenas_current),
                     "arenas_end", int_or_null(r->end.arenas_current),
                     "held_kb_peak", kb_of(r->peak.arena_bytes_resident),
                     "held_kb_end", kb_of(r->end.arena_bytes_resident),
                     "live_kb_peak", kb_of(r->peak.bytes_in_blocks),
                     "live_kb_end", kb_of(r->end.bytes_in_blocks),
                     "bloat_peak", ratio_or_null(ab_survivors_bloat(&r->peak)),
                     "bloat_end", ratio_or_null(ab_survivors_bloat(&r->end)));
}
