/*
 * target_ci.c -- the stopping rule and record of `run --target-ci` (see
 * target_ci.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/results/schema.h"
#include "harness/run/stats.h"
#include "harness/run/target_ci.h"
#include "harness/util/paired.h"
#include "harness/util/report_stats.h"

/* The CI level --target-ci speaks of. */
#define AB_TARGET_CI_CONF 0.95

const char *ab_ci_kind_name(ab_ci_kind k)
{
    switch (k) {
    case AB_CI_PAIRED: return "paired";
    case AB_CI_BASELINE: return "baseline";
    case AB_CI_UNPAIRED: return "unpaired";
    }
    return "unpaired";
}

const char *ab_ci_stop_name(ab_ci_stop s)
{
    switch (s) {
    case AB_CI_STOP_NONE: return "running";
    case AB_CI_STOP_REACHED: return "reached";
    case AB_CI_STOP_TIME: return "time_budget";
    case AB_CI_STOP_MAX_ROUNDS: return "max_rounds";
    case AB_CI_STOP_INTERRUPTED: return "interrupted";
    }
    return "running";
}

void ab_plan_cell_label(const ab_plan *plan, size_t cell, char *buf, size_t len)
{
    size_t b, v, w;
    ab_plan_cell_parts(plan, cell, &b, &v, &w);
    snprintf(buf, len, "%s%s%s x %s", plan->n_builds ? plan->builds[b].name : "", plan->n_builds ? "/" : "",
             plan->variants[v].name, plan->workloads[w].spec);
}

/* The cell a cell is paired against, or SIZE_MAX (see target_ci.h). */
static size_t baseline_of(const ab_plan *plan, size_t cell)
{
    size_t b, v, w;
    ab_plan_cell_parts(plan, cell, &b, &v, &w);
    if (plan->n_builds > 1) return b ? ab_plan_cell(plan, 0, v, w) : SIZE_MAX;
    if (plan->n_variants > 1) return v ? ab_plan_cell(plan, b, 0, w) : SIZE_MAX;
    return SIZE_MAX;
}

/* One cell's wall times and their round numbers. */
typedef struct cell_values {
    double *wall;
    long *round;
    size_t n;
} cell_values;

static void unpaired(const cell_values *cv, ab_cell_ci *out)
{
    ab_summary su;
    ab_stats_summarize(cv->wall, cv->n, &su);
    out->n = su.n;
    bool ok = su.has_spread && su.mean > 0;
    out->half_width_pct = ok ? (su.ci95_hi - su.ci95_lo) / 2 / su.mean * 100 : NAN;
    out->noise_pct = ok ? su.stddev / su.mean * 100 : NAN;
}

static void paired(const cell_values *base, const cell_values *cand, ab_cell_ci *out)
{
    size_t cap = base->n < cand->n ? base->n : cand->n;
    double *pb = malloc((cap ? cap : 1) * sizeof *pb), *pc = malloc((cap ? cap : 1) * sizeof *pc);
    size_t n = pb && pc ? ab_pair_by_round(base->wall, base->round, base->n, cand->wall, cand->round, cand->n, pb, pc) : 0;
    ab_paired_ratio r = ab_paired_ratio_test(pb, pc, n, AB_TARGET_CI_CONF, AB_PAIRED_AUTO);
    out->n = n;
    out->half_width_pct = r.valid ? r.half_width * 100 : NAN;
    out->ratio = r.valid ? r.ratio : NAN;
    /* The spread the paired CI is made of: sd of ln(cand/base). */
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (d && r.valid) {
        for (size_t i = 0; i < n; i++) d[i] = log(pc[i] / pb[i]);
        ab_summary su;
        ab_stats_summarize(d, n, &su);
        out->noise_pct = su.has_spread ? su.stddev * 100 : NAN;
        out->robust_noise_pct = n >= 2 ? ab_stat_robust_sd(d, n) * 100 : NAN;
    }
    free(d);
    free(pb);
    free(pc);
}

void ab_target_ci_eval(const ab_plan *plan, const double *wall, size_t n_ran, int rounds, ab_cell_ci *out)
{
    size_t n_cells = ab_plan_n_cells(plan);
    cell_values *cv = calloc(n_cells, sizeof *cv);
    size_t per_cell = (size_t)(rounds > 0 ? rounds : 1);
    for (size_t c = 0; cv && c < n_cells; c++) {
        cv[c].wall = malloc(per_cell * sizeof *cv[c].wall);
        cv[c].round = malloc(per_cell * sizeof *cv[c].round);
    }
    for (size_t i = 0; cv && i < n_ran && i < plan->n_slots; i++) {
        const ab_slot *s = &plan->schedule[i];
        if (s->warmup || s->rep >= rounds || isnan(wall[i])) continue;
        cell_values *v = &cv[ab_plan_slot_cell(plan, s)];
        if (!v->wall || !v->round || v->n >= per_cell) continue;
        v->wall[v->n] = wall[i];
        v->round[v->n++] = s->rep;
    }
    for (size_t c = 0; c < n_cells; c++) {
        ab_cell_ci *o = &out[c];
        memset(o, 0, sizeof *o);
        o->ratio = o->half_width_pct = o->noise_pct = o->robust_noise_pct = NAN;
        o->baseline = baseline_of(plan, c);
        if (!cv) continue;
        if (o->baseline != SIZE_MAX) {
            o->kind = AB_CI_PAIRED;
            paired(&cv[o->baseline], &cv[c], o);
        } else {
            o->kind = plan->n_builds > 1 || plan->n_variants > 1 ? AB_CI_BASELINE : AB_CI_UNPAIRED;
            unpaired(&cv[c], o);
        }
    }
    for (size_t c = 0; cv && c < n_cells; c++) {
        free(cv[c].wall);
        free(cv[c].round);
    }
    free(cv);
}

bool ab_target_ci_reached(const ab_plan *plan, const ab_cell_ci *cells, double target_pct, size_t *widest)
{
    bool all = true;
    double worst = -1;
    *widest = SIZE_MAX;
    for (size_t c = 0; c < ab_plan_n_cells(plan); c++) {
        if (cells[c].kind == AB_CI_BASELINE) continue;
        double h = isnan(cells[c].half_width_pct) ? INFINITY : cells[c].half_width_pct;
        if (h > target_pct) all = false;
        if (h > worst) {
            worst = h;
            *widest = c;
        }
    }
    return all;
}

size_t ab_target_ci_finish_workloads(const ab_plan *plan, const ab_cell_ci *cells, double target_pct,
                                     bool *finished)
{
    size_t n_cells = ab_plan_n_cells(plan), n_finished = 0;
    for (size_t w = 0; w < plan->n_workloads; w++) {
        bool all = true;
        for (size_t c = 0; c < n_cells && all; c++) {
            size_t b, v, cw;
            ab_plan_cell_parts(plan, c, &b, &v, &cw);
            if (cw != w || cells[c].kind == AB_CI_BASELINE) continue;
            all = cells[c].half_width_pct <= target_pct;   /* NaN: not reached */
        }
        finished[w] = finished[w] || all;
        n_finished += finished[w];
    }
    return n_finished;
}

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

json_t *ab_target_ci_cell_json(const ab_plan *plan, const ab_cell_ci *c, double target_pct)
{
    json_t *o = json_pack("{s:s, s:I, s:o, s:o, s:b}", "kind", ab_ci_kind_name(c->kind), "n", (json_int_t)c->n,
                          "half_width_pct", num_or_null(c->half_width_pct), "noise_pct", num_or_null(c->noise_pct),
                          "reached", c->kind != AB_CI_BASELINE && c->half_width_pct <= target_pct);
    if (c->kind == AB_CI_PAIRED) {
        size_t b, v, w;
        ab_plan_cell_parts(plan, c->baseline, &b, &v, &w);
        json_t *vs = json_pack("{s:s, s:s}", AB_KEY_VARIANT, plan->variants[v].name, AB_KEY_WORKLOAD,
                               plan->workloads[w].spec);
        if (plan->n_builds) json_object_set_new(vs, AB_KEY_BUILD, json_string(plan->builds[b].name));
        json_object_set_new(o, "vs", vs);
        json_object_set_new(o, "ratio", num_or_null(c->ratio));
    }
    return o;
}

/* Median of the finite noise figures of cells of one kind (kind < 0: all);
 * robust: the MAD-based figure. */
static double median_noise(const ab_plan *plan, const ab_cell_ci *cells, int kind, bool robust)
{
    size_t n_cells = ab_plan_n_cells(plan), n = 0;
    double *x = malloc((n_cells ? n_cells : 1) * sizeof *x);
    if (!x) return NAN;
    for (size_t c = 0; c < n_cells; c++) {
        double v = robust ? cells[c].robust_noise_pct : cells[c].noise_pct;
        if ((kind < 0 || (int)cells[c].kind == kind) && isfinite(v)) x[n++] = v;
    }
    double m = ab_stat_median(x, n);
    free(x);
    return m;
}

json_t *ab_target_ci_run_json(const ab_plan *plan, const ab_cell_ci *cells, int rounds, ab_ci_stop stop)
{
    size_t widest;
    bool all = ab_target_ci_reached(plan, cells, plan->target_ci_pct, &widest);
    /* Unpaired noise: the CV of every cell, whatever its role. */
    size_t n_cells = ab_plan_n_cells(plan);
    ab_cell_ci *cv = malloc((n_cells ? n_cells : 1) * sizeof *cv);
    double cell_cv = NAN;
    if (cv) {
        memcpy(cv, cells, n_cells * sizeof *cv);
        for (size_t c = 0; c < n_cells; c++)
            if (cv[c].kind == AB_CI_PAIRED) cv[c].noise_pct = NAN;
        cell_cv = median_noise(plan, cv, -1, false);
        free(cv);
    }
    char label[256] = "";
    if (widest != SIZE_MAX) ab_plan_cell_label(plan, widest, label, sizeof label);
    return json_pack("{s:f, s:f, s:i, s:i, s:s, s:b, s:o, s:o, s:{s:o, s:o, s:o, s:s}}", "pct", plan->target_ci_pct,
                     "max_time_s", plan->max_time_s, "min_rounds", plan->reps, "rounds", rounds, "stopped",
                     ab_ci_stop_name(stop), "all_reached", all, "widest_cell",
                     widest != SIZE_MAX ? json_string(label) : json_null(), "widest_half_width_pct",
                     widest != SIZE_MAX ? num_or_null(cells[widest].half_width_pct) : json_null(), "noise",
                     "paired_round_sd_pct", num_or_null(median_noise(plan, cells, AB_CI_PAIRED, false)),
                     "paired_round_robust_sd_pct", num_or_null(median_noise(plan, cells, AB_CI_PAIRED, true)),
                     "cell_cv_pct", num_or_null(cell_cv), "what",
                     "medians over cells: sd of the per-round log ratio to the baseline (paired) and the same "
                     "from its median absolute deviation (robust), coefficient of variation of wall time "
                     "(unpaired), in percent");
}
