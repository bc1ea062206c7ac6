/*
 * results.c -- assemble, summarise, check and atomically write results.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness/system/machine.h"
#include "harness/run/results.h"
#include "harness/run/stats.h"
#include "harness/run/timeline.h"
#include "harness/results/metrics.h"
#include "harness/results/sample.h"

/* The sample as stored: the child's JSON (an ok sample's only: a failed
 * child's figures are not measurements) plus the parent's view of it. */
static json_t *assemble_sample(const ab_plan *plan, const ab_run_record *rec, size_t i)
{
    const ab_sample_record *r = &rec->samples[i];
    const ab_slot *slot = &plan->schedule[i];
    /* A sample the child itself declared failed (e.g. a prefork worker
     * killed by SIGBUS) keeps everything it measured; only a sample whose
     * process crashed, hung or was interrupted has no JSON of its own. */
    json_t *s = r->json_len > 0 ? ab_run_record_sample_json(rec, i) : NULL;
    if (!s) s = ab_sample_failure_json(r->status, r->reason, plan->events, plan->n_events);
    ab_sample_json_set_outcome(s, slot->rep, slot->order, r->status, r->reason, r->signal);
    if (r->have_rusage) ab_sample_json_set_rusage(s, &r->ru, r->elapsed_ns);
    return s;
}

static bool sample_ok(json_t *s)
{
    return ab_sample_json_status(s) == AB_SAMPLE_OK;
}

/* ---- summaries ----------------------------------------------------------- */

static json_t *summary_of(const double *x, size_t n)
{
    ab_summary su;
    ab_stats_summarize(x, n, &su);
#define NUM(v, ok) ((ok) ? json_real(v) : json_null())
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", AB_KEY_SUMMARY_N, (json_int_t)su.n,
                     AB_KEY_SUMMARY_MEDIAN, NUM(su.median, su.n > 0), "mean", NUM(su.mean, su.n > 0),
                     "stddev", NUM(su.stddev, su.has_spread), "min", NUM(su.min, su.n > 0),
                     "max", NUM(su.max, su.n > 0), "ci95_lo", NUM(su.ci95_lo, su.has_spread),
                     "ci95_hi", NUM(su.ci95_hi, su.has_spread));
#undef NUM
}

/* The metric over the ok samples that have it. */
static size_t collect(json_t *samples, const char *metric, double *out)
{
    size_t n = 0, i;
    json_t *s;
    json_array_foreach(samples, i, s)
        if (sample_ok(s) && ab_sample_value(s, metric, &out[n])) n++;
    return n;
}

static void summarise(json_t *sum, json_t *samples, const char *metric, double *x)
{
    if (!json_object_get(sum, metric)) json_object_set_new(sum, metric, summary_of(x, collect(samples, metric, x)));
}

/* Every metric on the summary list: config.events for counters, and for
 * any other family every member some sample reports. */
json_t *ab_results_summary(json_t *samples, const json_t *events)
{
    size_t ns = json_array_size(samples);
    double *x = malloc((ns ? ns : 1) * sizeof *x);
    json_t *sum = json_object();
    char name[160];
    for (size_t id = 0; id < AB_METRIC_COUNT; id++) {
        const ab_metric *m = ab_metric_get((ab_metric_id)id);
        if (!(m->lists & AB_LIST_SUMMARY)) continue;
        if (m->kind != AB_METRIC_FAMILY && m->simulated) {
            /* Simulated figures exist only in --tlb-model files: no sample
             * has them, no summary row (so other files keep their shape). */
            if (collect(samples, m->name, x) > 0) summarise(sum, samples, m->name, x);
        } else if (m->kind != AB_METRIC_FAMILY) {
            summarise(sum, samples, m->name, x);
        } else if (id == AB_M_COUNTERS) {
            size_t e;
            json_t *event;
            json_array_foreach(events, e, event)
                if (json_is_string(event))
                    summarise(sum, samples,
                              ab_metric_member_name(AB_M_COUNTERS, json_string_value(event), name, sizeof name), x);
        } else {
            size_t i;
            json_t *s;
            json_array_foreach(samples, i, s) {
                const char *key;
                json_t *v;
                json_object_foreach(json_object_get(s, m->name), key, v)
                    summarise(sum, samples, ab_metric_member_name((ab_metric_id)id, key, name, sizeof name), x);
            }
        }
    }
    free(x);
    return sum;
}

/* ---- correctness ----------------------------------------------------------- */

static bool string_is(const json_t *j, const char *s)
{
    const char *v = json_string_value(j);
    return v && s && !strcmp(v, s);
}

/* The cells of a (variant, workload) pair, in cell order (several in a
 * fleet file, one per machine). */
static json_t *cells_of(json_t *cells, const char *variant, const char *workload)
{
    json_t *found = json_array();
    size_t i;
    json_t *cell;
    json_array_foreach(cells, i, cell)
        if (string_is(json_object_get(cell, AB_KEY_VARIANT), variant) &&
            string_is(json_object_get(cell, AB_KEY_WORKLOAD), workload))
            json_array_append(found, cell);
    return found;
}

/* The first ok sample's checksum among the cells, or NULL. */
static const char *first_checksum(json_t *these)
{
    size_t c, i;
    json_t *cell, *s;
    json_array_foreach(these, c, cell)
        json_array_foreach(json_object_get(cell, AB_KEY_SAMPLES), i, s) {
            const char *cs = json_string_value(json_object_get(s, ab_metric_key(AB_M_CHECKSUM)));
            if (cs && sample_ok(s)) return cs;
        }
    return NULL;
}

/*
 * The expected checksum of a workload is the first ok sample's of the first
 * variant given (in config.variants order), so a table reads "variant X
 * differs from the reference"; every other distinct checksum of that
 * workload, in any variant, repetition or machine, is a mismatch.
 */
json_t *ab_results_correctness(json_t *cells, const json_t *variants, const json_t *workloads)
{
    json_t *mismatches = json_array();
    bool any_checked = false;
    size_t w, v;
    json_t *wj, *vj;
    json_array_foreach(workloads, w, wj) {
        const char *workload = json_string_value(wj), *expected = NULL;
        json_array_foreach(variants, v, vj) {
            json_t *these = cells_of(cells, json_string_value(vj), workload);
            expected = first_checksum(these);
            json_decref(these); /* expected stays valid: cells holds the samples */
            if (expected) break;
        }
        if (!expected) continue;
        any_checked = true;
        json_array_foreach(variants, v, vj) {
            json_t *these = cells_of(cells, json_string_value(vj), workload), *seen = json_object();
            size_t c, i;
            json_t *cell, *s;
            json_array_foreach(these, c, cell)
                json_array_foreach(json_object_get(cell, AB_KEY_SAMPLES), i, s) {
                    const char *cs = json_string_value(json_object_get(s, ab_metric_key(AB_M_CHECKSUM)));
                    if (!cs || !strcmp(cs, expected) || json_object_get(seen, cs)) continue;
                    json_object_set_new(seen, cs, json_true());
                    json_array_append_new(mismatches, json_pack("{s:s, s:s, s:s, s:s}", AB_KEY_WORKLOAD, workload,
                                                                AB_KEY_VARIANT, json_string_value(vj),
                                                                ab_metric_key(AB_M_CHECKSUM), cs, "expected", expected));
                }
            json_decref(seen);
            json_decref(these);
        }
    }
    return json_pack("{s:b, s:b, s:o}", AB_KEY_CHECKSUMS_AGREE, json_array_size(mismatches) == 0,
                     "checked", any_checked, AB_KEY_MISMATCHES, mismatches);
}

bool ab_results_checksums_agree(json_t *doc)
{
    return json_is_true(json_object_get(json_object_get(doc, AB_KEY_CORRECTNESS), AB_KEY_CHECKSUMS_AGREE));
}

/* ---- the document ---------------------------------------------------------- */

/* --target-ci: every cell judged over the rounds that ran (the final
 * verdict of the rule the runner stopped by).  Only ok samples have a wall
 * time in the record, as the runner saw them; a sample the final verdict
 * failed counts as missing. */
static ab_cell_ci *target_ci_cells(const ab_plan *plan, const ab_run_record *rec, int reps)
{
    size_t n_cells = ab_plan_n_cells(plan);
    ab_cell_ci *ci = malloc((n_cells ? n_cells : 1) * sizeof *ci);
    double *wall = malloc((rec->n_samples ? rec->n_samples : 1) * sizeof *wall);
    if (!ci || !wall) {
        free(ci);
        free(wall);
        return NULL;
    }
    for (size_t i = 0; i < rec->n_samples; i++)
        wall[i] = rec->samples[i].ran && rec->samples[i].status == AB_SAMPLE_OK ? rec->wall_ns[i] : NAN;
    ab_target_ci_eval(plan, wall, rec->n_samples, reps, ci);
    free(wall);
    return ci;
}

static json_t *string_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

static size_t count_words(char *const *w)
{
    size_t n = 0;
    while (w[n]) n++;
    return n;
}

/* config.shard: which part of which plan; config.workloads becomes the part's. */
static void set_shard(json_t *c, const ab_plan *plan)
{
    char plan_id[17];
    ab_plan_id(c, plan_id);
    json_object_set_new(c, AB_KEY_CONFIG_SHARD,
                        json_pack("{s:I, s:I, s:s, s:O}", AB_KEY_SHARD_INDEX, (json_int_t)plan->shard.index,
                                  AB_KEY_SHARD_COUNT, (json_int_t)plan->shard.count, AB_KEY_PLAN_ID, plan_id,
                                  AB_KEY_SHARD_PLAN_WORKLOADS, json_object_get(c, AB_KEY_CONFIG_WORKLOADS)));
    json_t *workloads = json_array();
    for (size_t w = 0; w < plan->n_workloads; w++) json_array_append_new(workloads, json_string(plan->workloads[w].spec));
    json_object_set_new(c, AB_KEY_CONFIG_WORKLOADS, workloads);
}

/* Measured rounds in the document: all of them, or as many as --target-ci ran. */
static int rounds_of(const ab_plan *plan, const ab_run_record *rec)
{
    return plan->target_ci_pct > 0 ? rec->rounds_run : plan->reps;
}

static json_t *config(const ab_plan *plan, int reps, const ab_results_extra *extra)
{
    json_t *variants = json_array(), *workloads = json_array();
    for (size_t v = 0; v < plan->n_variants; v++) json_array_append_new(variants, json_string(plan->variants[v].name));
    /* The whole plan's workloads first: the plan id is computed over them. */
    if (plan->shard.count > 0)
        for (size_t w = 0; w < plan->n_plan_workloads; w++) json_array_append_new(workloads, json_string(plan->plan_workloads[w]));
    else
        for (size_t w = 0; w < plan->n_workloads; w++) json_array_append_new(workloads, json_string(plan->workloads[w].spec));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)plan->seed);
    json_t *c = json_pack("{s:s, s:o, s:o, s:i, s:i, s:f, s:I, s:o, s:o, s:f, s:o, s:o}",
                          AB_KEY_CONFIG_MODE, plan->mode == AB_MODE_EXEC ? "exec" : "workloads",
                          AB_KEY_CONFIG_VARIANTS, variants, AB_KEY_CONFIG_WORKLOADS, workloads,
                          AB_KEY_CONFIG_REPS, reps, "warmup", plan->warmup, AB_KEY_CONFIG_SCALE, plan->scale,
                          AB_KEY_CONFIG_SEED, (json_int_t)plan->seed,
                          AB_KEY_CONFIG_EVENTS, string_array(plan->events, plan->n_events),
                          "pin", plan->pin >= 0 ? json_integer(plan->pin) : json_null(),
                          "timeout_s", plan->timeout_s,
                          "hugepages", plan->hugepages >= 0 ? json_integer(plan->hugepages) : json_null(),
                          "timeline_interval_ms", plan->timeline ? json_integer(AB_TIMELINE_INTERVAL_MS) : json_null());
    json_object_set_new(c, "hugepages_free_at_start",
                        extra && extra->hugepages_obtained >= 0 ? json_integer(extra->hugepages_obtained) : json_null());
    /* The simulated TLB (samples' sim blocks); wall and CPU times of such a
     * run include the simulator and are not comparable with others. */
    json_object_set_new(c, AB_KEY_CONFIG_TLB_MODEL, plan->tlb_model ? json_string(plan->tlb_model->name) : json_null());
    json_object_set_new(c, AB_KEY_CONFIG_TLB_MODEL_FILE,
                        plan->tlb_model_path ? json_string(plan->tlb_model_path) : json_null());
    json_object_set_new(c, "schedule", json_string("warmup rounds first, then one seeded random permutation of all cells per rep round"));
    if (plan->n_builds) {
        json_t *builds = json_array();
        for (size_t b = 0; b < plan->n_builds; b++) {
            const ab_plan_build *pb = &plan->builds[b];
            json_array_append_new(builds, json_pack("{s:s, s:s, s:s, s:o}", "name", pb->name, "source", pb->source,
                                                    "path", pb->path, "commit",
                                                    pb->commit ? json_string(pb->commit) : json_null()));
        }
        json_object_set_new(c, AB_KEY_CONFIG_BUILDS, builds);
    }
    if (plan->mode == AB_MODE_EXEC) {
        json_t *cmds = json_object(), *env = json_object();
        for (size_t v = 0; v < plan->n_variants; v++) {
            const ab_plan_variant *pv = &plan->variants[v];
            json_object_set_new(cmds, pv->name, string_array(pv->argv, count_words(pv->argv)));
            json_object_set_new(env, pv->name, string_array(pv->env, pv->n_env));
        }
        json_object_set_new(c, "commands", cmds);
        json_object_set_new(c, "env", env);
    }
    if (plan->shard.count > 0) set_shard(c, plan);
    return c;
}

json_t *ab_results_build(const ab_plan *plan, const ab_run_record *rec, const ab_results_extra *extra,
                         int argc, char **argv)
{
    json_t *doc = json_object();
    json_object_set_new(doc, AB_KEY_SCHEMA_VERSION, json_integer(AB_SCHEMA_VERSION));
    json_object_set_new(doc, AB_KEY_TOOL, json_string("arenabench"));
    json_t *machine = ab_machine_json(argc, argv);
    json_object_set_new(doc, AB_KEY_MACHINE, machine ? machine : json_object());
    int reps = rounds_of(plan, rec);
    json_t *cfg = config(plan, reps, extra);
    json_object_set_new(doc, AB_KEY_CONFIG, cfg);

    size_t n_cells = ab_plan_n_cells(plan);
    json_t *cells = json_array();
    json_t **measured = calloc(n_cells, sizeof *measured), **warm = calloc(n_cells, sizeof *warm);
    for (size_t c = 0; c < n_cells; c++) {
        measured[c] = json_array();
        warm[c] = json_array();
    }
    /* Place samples in rep order within each cell (the schedule is by order). */
    for (int pass = 0; pass < 2; pass++)
        for (int rep = 0; rep < (pass ? reps : plan->warmup); rep++)
            for (size_t i = 0; i < rec->n_samples; i++) {
                const ab_slot *sl = &plan->schedule[i];
                if (sl->warmup != (pass == 0) || sl->rep != rep || !rec->samples[i].ran) continue;
                json_t *s = assemble_sample(plan, rec, i);
                size_t c = ab_plan_slot_cell(plan, sl);
                if (sl->warmup) {
                    json_object_set_new(s, AB_KEY_TIMELINE, json_null());
                    json_array_append_new(warm[c], s);
                } else {
                    json_array_append_new(measured[c], s);
                }
            }
    size_t failed = 0;
    for (size_t i = 0; i < rec->n_samples; i++)
        if (rec->samples[i].ran && rec->samples[i].status != AB_SAMPLE_OK) failed++;
    ab_cell_ci *ci = rec->wall_ns ? target_ci_cells(plan, rec, reps) : NULL;
    for (size_t c = 0; c < n_cells; c++) {
        size_t b, v, w;
        ab_plan_cell_parts(plan, c, &b, &v, &w);
        json_t *cell = json_object();
        if (plan->n_builds) json_object_set_new(cell, AB_KEY_BUILD, json_string(plan->builds[b].name));
        json_object_set_new(cell, AB_KEY_VARIANT, json_string(plan->variants[v].name));
        json_object_set_new(cell, AB_KEY_VARIANT_SPEC, json_string(plan->variants[v].spec_text));
        json_object_set_new(cell, AB_KEY_WORKLOAD, json_string(plan->workloads[w].spec));
        json_object_set_new(cell, AB_KEY_SAMPLES, measured[c]);
        json_object_set_new(cell, AB_KEY_SUMMARY, ab_results_summary(measured[c], json_object_get(cfg, AB_KEY_CONFIG_EVENTS)));
        json_object_set_new(cell, AB_KEY_WARMUP_SAMPLES, warm[c]);
        if (ci) json_object_set_new(cell, AB_KEY_TARGET_CI, ab_target_ci_cell_json(plan, &ci[c], plan->target_ci_pct));
        json_array_append_new(cells, cell);
    }
    if (ci) {
        json_object_set_new(json_object_get(doc, AB_KEY_CONFIG), AB_KEY_TARGET_CI,
                            ab_target_ci_run_json(plan, ci, reps, rec->ci_stop));
        free(ci);
    }
    free(measured);
    free(warm);
    json_object_set_new(doc, AB_KEY_CELLS, cells);
    json_object_set_new(doc, AB_KEY_CORRECTNESS, ab_results_correctness(cells, json_object_get(cfg, AB_KEY_CONFIG_VARIANTS),
                                                                       json_object_get(cfg, AB_KEY_CONFIG_WORKLOADS)));
    size_t ran = 0;
    for (size_t i = 0; i < rec->n_samples; i++) ran += rec->samples[i].ran;
    json_object_set_new(doc, AB_KEY_RUN, json_pack("{s:f, s:I, s:I, s:I, s:b, s:o}",
                                              "total_wall_s", rec->total_wall_s,
                                              "samples_planned", (json_int_t)rec->n_samples,
                                              "samples_run", (json_int_t)ran,
                                              "samples_failed", (json_int_t)failed,
                                              "interrupted", rec->interrupted,
                                              "interrupt_signal", rec->interrupted ? json_integer(rec->interrupt_signal) : json_null()));
    return doc;
}
