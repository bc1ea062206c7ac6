/*
 * cmd_compare.c -- `arenabench compare`: the regression gate.
 *
 *   compare BASE NEW                      one run per side
 *   compare A1 A2 .. --vs B1 B2 ..        several runs per side (files or dirs)
 *   compare FILE --base-variant A --new-variant B    within one file, paired
 *   compare FILE --base-build X --new-build Y        within one file, paired
 *
 * For every cell matched between the sides (compare_inputs.h) and every
 * metric, decide better / worse / inconclusive / same:
 *   - noisy metrics (times, memory, counters): worse when the change is
 *     beyond the threshold in the metric's worse direction, beyond the
 *     metric's absolute floor (counts), AND significant: within one file
 *     paired by round (report_pair.h); across runs with the run as the unit
 *     (report_runs.h).  Beyond the threshold but not significant is
 *     "inconclusive", with the reason;
 *   - deterministic metrics (alloc.*, huge-page coverage, checksum): worse
 *     when the median moved in the worse direction by more than a tight
 *     tolerance (0 for arena counts: one extra arena is a regression);
 *   - the checksum must be identical: a change is a correctness failure.
 * Exit 0 when nothing is worse, 1 listing each regression, 2 when the input
 * cannot be compared (see commands.h).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/commands.h"
#include "harness/report/compare_inputs.h"
#include "harness/report/report_pair.h"
#include "harness/report/report_runs.h"
#include "harness/report/report_metrics.h"
#include "harness/util/report_stats.h"
#include "harness/report/report_table.h"
#include "harness/results/results_load.h"
#include "harness/results/metrics.h"
#include "harness/results/sample.h"

#define DEFAULT_THRESHOLD_PCT 5.0
/* Paired rounds resolve smaller changes than separate runs do: within one
 * file a change is reported from this size on (docs/noise.md measures what
 * this machine can detect). */
#define DEFAULT_PAIRED_THRESHOLD_PCT 2.0
#define DEFAULT_ALPHA 0.05
#define CONFIDENCE 0.95
#define MAX_METRICS 64
#define HELP_WIDTH 92
/* Relative slack for "equal" deterministic values stored as doubles. */
#define EXACT_EPSILON 1e-9
/* The row that reports samples which did not finish ok. */
#define FAILURES_ROW "samples"

typedef struct metric_spec {
    const char *name;
    bool has_tolerance;        /* NAME=PCT given */
    double tolerance;          /* fraction */
} metric_spec;

typedef enum { MODE_RUNS, MODE_WITHIN } compare_mode;

typedef struct compare_opts {
    compare_mode mode;
    const char *base_paths[AB_COMPARE_MAX_RUNS], *new_paths[AB_COMPARE_MAX_RUNS];
    size_t nbase, nnew;
    bool vs_given;
    ab_select_by select;
    const char *from, *to;     /* within one file: base and new variant/build */
    double threshold;          /* fraction */
    bool threshold_given;
    double alpha;
    metric_spec metrics[MAX_METRICS];
    size_t nmetrics;
    ab_table_format format;
    ab_test_kind test;
    bool test_given;
    bool verbose;
    bool by_machine;
} compare_opts;

typedef enum { V_SAME, V_BETTER, V_WORSE, V_INCONCLUSIVE, V_NA } verdict;
static const char *const verdict_names[] = {"same", "better", "worse", "inconclusive", "n/a"};

/* A noisy metric's change however it was computed. */
typedef struct change_est {
    bool valid;                /* a change could be computed */
    double change, lo, hi;     /* fractions; lo/hi NaN when no CI */
    bool tested;
    double p;
} change_est;

typedef struct row {
    const char *workload, *variant, *metric;
    double base_med, new_med;
    double base_mean, new_mean;
    size_t base_n, new_n;
    change_est change;
    bool deterministic;
    double limit;              /* threshold or tolerance used, fraction */
    verdict v;
    char note[200];
} row;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: arenabench compare BASE NEW [OPTIONS]\n"
            "       arenabench compare BASE1 [BASE2 ...] --vs NEW1 [NEW2 ...] [OPTIONS]\n"
            "       arenabench compare FILE --base-variant A --new-variant B [OPTIONS]\n"
            "       arenabench compare FILE --base-build X --new-build Y [OPTIONS]\n"
            "options: [--threshold PCT] [--metrics M[=PCT],...] [--alpha A] [--test T]\n"
            "         [--format text|md] [--verbose] [--by machine]\n"
            "\n"
            "Compare cells metric by metric: across runs (each BASE/NEW a results file, or with --vs\n"
            "also a directory of them; cells matched by variant and workload), or within one file (the\n"
            "cells of variant/build A against those of B, workload by workload).\n"
            "\n"
            "Noisy metrics (times, memory, counters) are worse when the change exceeds the threshold\n"
            "in the worse direction AND is significant; beyond the threshold but not significant is\n"
            "'inconclusive', with the reason.  Counters must also move by more than a floor of a few\n"
            "events.  Significance depends on the shape:\n"
            "  within one file   samples pair by round.  Default (auto): from %d rounds the change is\n"
            "                    the Hodges-Lehmann estimate of the per-round ratio with its rank\n"
            "                    interval, tested by the Wilcoxon signed-rank test; below, the\n"
            "                    geometric mean of the ratios and a paired t test on their logs\n"
            "                    (--test wilcoxon or paired-t force one); cells that do not pair\n"
            "                    fall back to Mann-Whitney U\n"
            "  several runs      the run is the unit: Welch's t on the logs of the runs' means\n"
            "  one run per side  run-to-run noise is estimated across the cells of the metric and\n"
            "                    added to the within-run noise; a change that moved every cell alike\n"
            "                    cannot be told from a slower machine and needs several runs per side\n"
            "--test mwu|welch tests the samples as one population instead (Mann-Whitney U, exact\n"
            "without ties up to %d a side; Welch's t), ignoring run-to-run noise.\n"
            "Deterministic metrics (the allocator's own counts, hugepage_coverage, checksum) are\n"
            "compared by their median with a tight tolerance: 0 for arena counts (one extra arena is a\n"
            "regression), 2%% for hugepage_coverage; a checksum change is a correctness failure.\n"
            "`arenabench list metrics` shows each metric's direction and kind; docs/noise.md what this\n"
            "machine can detect.\n"
            "\n"
            "  --threshold PCT  noisy-metric threshold in %% of the base (default %.0f across runs,\n"
            "                   %.0f within one file)\n"
            "  --metrics LIST   comma-separated metrics; NAME=PCT sets that metric's own threshold or\n"
            "                   tolerance (e.g. rss_peak_kb=10,counters.page-faults=5,alloc.arenas_current)\n"
            "                   default (counters: every event in both files):\n                   ",
            AB_SIGNED_RANK_MIN_PAIRS, AB_MWU_EXACT_MAX, DEFAULT_THRESHOLD_PCT, DEFAULT_PAIRED_THRESHOLD_PCT);
    ab_metric_print_names(f, AB_LIST_COMPARE, "                   ", HELP_WIDTH);
    fprintf(f,
            "\n"
            "  --alpha A        significance level (default %.2f)\n"
            "  --test T         auto (default), wilcoxon or paired-t within a file; mwu or welch\n"
            "  --format F       text (default) or md\n"
            "  --verbose        list every comparison, not only the ones that changed\n"
            "  --by machine     match cells by variant, workload and machine (VARIANT@MACHINE):\n"
            "                   needed for fleet files; a machine only one file has is not compared\n"
            "\n"
            "exit status: 0 no significant regression beyond the threshold; 1 regression or\n"
            "correctness failure (each listed); 2 unusable input: missing file, an empty directory, not JSON,\n"
            "unknown schema_version, missing keys, a bad value, no cells in common, no or different\n"
            "config.scale, bad option.\n",
            DEFAULT_ALPHA);
}

static int parse_number(const char *text, const char *what, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "arenabench compare: %s must be a number in [%g, %g], not '%s'\n", what, lo, hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

static int add_metric(compare_opts *o, char *tok)
{
    if (o->nmetrics == MAX_METRICS) {
        fprintf(stderr, "arenabench compare: more than %d metrics\n", MAX_METRICS);
        return -1;
    }
    metric_spec *m = &o->metrics[o->nmetrics];
    memset(m, 0, sizeof *m);
    char *eq = strchr(tok, '=');
    if (eq) {
        *eq = 0;
        double pct;
        if (parse_number(eq + 1, "a metric's threshold", 0, 1e6, &pct))
            return -1;
        m->has_tolerance = true;
        m->tolerance = pct / 100;
    }
    if (!ab_metric_lookup(tok, NULL)) {
        fprintf(stderr, "arenabench compare: unknown metric '%s' (see --help)\n", tok);
        return -1;
    }
    m->name = tok;
    o->nmetrics++;
    return 0;
}

enum { OPT_VS = 256, OPT_BASE_VARIANT, OPT_NEW_VARIANT, OPT_BASE_BUILD, OPT_NEW_BUILD };

static int select_option(compare_opts *o, int c, const char *arg)
{
    ab_select_by by = c == OPT_BASE_VARIANT || c == OPT_NEW_VARIANT ? AB_SELECT_VARIANT : AB_SELECT_BUILD;
    if ((o->from || o->to) && o->select != by) {
        fprintf(stderr, "arenabench compare: give either --base-variant/--new-variant or --base-build/--new-build\n");
        return -1;
    }
    o->select = by;
    if (c == OPT_BASE_VARIANT || c == OPT_BASE_BUILD)
        o->from = arg;
    else
        o->to = arg;
    return 0;
}

/* Sort the positional arguments into BASE and NEW and pick the mode. */
static int settle_mode(compare_opts *o)
{
    if (o->from || o->to) {
        const char *what = o->select == AB_SELECT_VARIANT ? "variant" : "build";
        if (!o->from || !o->to) {
            fprintf(stderr, "arenabench compare: --base-%s and --new-%s go together\n", what, what);
            return -1;
        }
        if (!strcmp(o->from, o->to)) {
            fprintf(stderr, "arenabench compare: --base-%s and --new-%s are both '%s'\n", what, what, o->from);
            return -1;
        }
        if (o->vs_given || o->nbase != 1) {
            fprintf(stderr, "arenabench compare: --base-%s/--new-%s compare within one results FILE\n", what, what);
            return -1;
        }
        o->mode = MODE_WITHIN;
        return 0;
    }
    o->mode = MODE_RUNS;
    if (!o->vs_given) {
        if (o->nbase != 2) {
            fprintf(stderr, "arenabench compare: expected two results files, BASE and NEW (or BASE... --vs NEW..., "
                            "or FILE --base-variant A --new-variant B)\n");
            return -1;
        }
        o->new_paths[0] = o->base_paths[1];
        o->nbase = o->nnew = 1;
    } else if (!o->nbase || !o->nnew) {
        fprintf(stderr, "arenabench compare: --vs needs results on both sides: BASE... --vs NEW...\n");
        return -1;
    }
    if (o->test_given && ab_test_kind_paired(o->test) && o->test != AB_TEST_AUTO) {
        fprintf(stderr, "arenabench compare: --test %s pairs rounds of one file; across runs use the default, "
                        "mwu or welch\n",
                ab_test_kind_name(o->test));
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, compare_opts *o)
{
    static const struct option long_opts[] = {
        {"threshold", required_argument, 0, 't'},       {"metrics", required_argument, 0, 'm'},
        {"metric", required_argument, 0, 'm'},          {"alpha", required_argument, 0, 'a'},
        {"format", required_argument, 0, 'f'},          {"test", required_argument, 0, 'T'},
        {"verbose", no_argument, 0, 'v'},               {"help", no_argument, 0, 'h'},
        {"vs", no_argument, 0, OPT_VS},                 {"base-variant", required_argument, 0, OPT_BASE_VARIANT},
        {"new-variant", required_argument, 0, OPT_NEW_VARIANT},
        {"base-build", required_argument, 0, OPT_BASE_BUILD},
        {"new-build", required_argument, 0, OPT_NEW_BUILD},
        {"by", required_argument, 0, 'y'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->threshold = DEFAULT_THRESHOLD_PCT / 100;
    o->alpha = DEFAULT_ALPHA;
    o->format = AB_FMT_TEXT;
    o->test = AB_TEST_AUTO;
    int c;
    double pct;
    optind = 1;
    /* Leading '-': positional arguments come back in order (as 1), so the
     * ones after --vs are NEW. */
    while ((c = getopt_long(argc, argv, "-t:m:a:f:vh", long_opts, NULL)) != -1) {
        switch (c) {
        case 1: {
            size_t *n = o->vs_given ? &o->nnew : &o->nbase;
            const char **list = o->vs_given ? o->new_paths : o->base_paths;
            if (*n == AB_COMPARE_MAX_RUNS) {
                fprintf(stderr, "arenabench compare: more than %d results on one side\n", AB_COMPARE_MAX_RUNS);
                return -1;
            }
            list[(*n)++] = optarg;
            break;
        }
        case OPT_VS: o->vs_given = true; break;
        case OPT_BASE_VARIANT: case OPT_NEW_VARIANT: case OPT_BASE_BUILD: case OPT_NEW_BUILD:
            if (select_option(o, c, optarg))
                return -1;
            break;
        case 't':
            if (parse_number(optarg, "--threshold", 0, 1e6, &pct))
                return -1;
            o->threshold = pct / 100;
            o->threshold_given = true;
            break;
        case 'm':
            for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ","))
                if (add_metric(o, tok))
                    return -1;
            break;
        case 'a':
            if (parse_number(optarg, "--alpha", 1e-12, 0.5, &o->alpha))
                return -1;
            break;
        case 'f':
            if (ab_table_format_parse(optarg, &o->format) || o->format == AB_FMT_CSV) {
                fprintf(stderr, "arenabench compare: unknown format '%s' (text or md)\n", optarg);
                return -1;
            }
            break;
        case 'T':
            if (ab_test_kind_parse(optarg, &o->test)) {
                fprintf(stderr, "arenabench compare: unknown test '%s' (auto, paired-t, wilcoxon, mwu or welch)\n",
                        optarg);
                return -1;
            }
            o->test_given = true;
            break;
        case 'v': o->verbose = true; break;
        case 'y':
            if (strcmp(optarg, "machine")) {
                fprintf(stderr, "arenabench compare: --by takes 'machine', not '%s'\n", optarg);
                return -1;
            }
            o->by_machine = true;
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (settle_mode(o)) {
        usage(stderr);
        return -1;
    }
    if (o->mode == MODE_WITHIN && !o->threshold_given)
        o->threshold = DEFAULT_PAIRED_THRESHOLD_PCT / 100;
    return 0;
}

/* Metrics compared when --metrics is not given: the registry's compare
 * list, counters for the events both files name. */
static char **default_metrics(const ab_results *a, const ab_results *b, size_t *n)
{
    size_t na = 0, nb = 0, nboth = 0;
    const char **ea = ab_results_events(a, &na), **eb = ab_results_events(b, &nb);
    const char **both = calloc(na + 1, sizeof *both);
    for (size_t i = 0; both && i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (!strcmp(ea[i], eb[j])) {
                both[nboth++] = ea[i];
                break;
            }
    unsigned sim = ab_metric_simulated_lists(ab_results_tlb_model(a), ab_results_tlb_model(b));
    char **list = both ? ab_metric_list(AB_LIST_COMPARE | sim, both, nboth, n) : NULL;
    if (!list)
        *n = 0;
    free(both);
    free(ea);
    free(eb);
    return list;
}

static bool is_checksum(const char *metric)
{
    const ab_metric *m = ab_metric_lookup(metric, NULL);
    return m && ab_metric_id_of(m) == AB_M_CHECKSUM;
}

/* Warn (never fail) when the files describe different machines. */
static void warn_machine_differences(const ab_results *a, const ab_results *b)
{
    static const char *const keys[] = {"hostname", "cpu_model", "kernel", "thp_enabled", NULL};
    for (size_t i = 0; keys[i]; i++) {
        const char *x = ab_results_machine_str(a, keys[i]), *y = ab_results_machine_str(b, keys[i]);
        if (x && y && strcmp(x, y))
            fprintf(stderr, "arenabench compare: warning: different machine.%s: '%s' vs '%s' "
                            "(differences may come from the machine, not the change)\n",
                    keys[i], x, y);
    }
}

/* Is `now` worse than `was` by more than `limit` (a fraction of |was|)? */
static bool beyond(double was, double now, double limit, ab_direction better)
{
    double slack = limit * fabs(was) + EXACT_EPSILON * fabs(was);
    return better == AB_LOWER_IS_BETTER ? now > was + slack : now < was - slack;
}

static void judge_deterministic(row *r, const ab_metric_desc *d)
{
    if (beyond(r->base_med, r->new_med, r->limit, d->better))
        r->v = V_WORSE;
    else if (beyond(r->new_med, r->base_med, r->limit, d->better))
        r->v = V_BETTER;
    else
        r->v = V_SAME;
}

/* What compare knows about one noisy metric across all cells before judging
 * any: with one run per side, the run-to-run noise it estimated. */
typedef struct metric_context {
    ab_run_noise noise;
} metric_context;

static const char *test_description(const compare_opts *o, size_t kb, size_t kn)
{
    if (o->test_given && !ab_test_kind_paired(o->test))
        return o->test == AB_TEST_WELCH ? "Welch's t test on the samples" : "Mann-Whitney U test on the samples";
    if (o->mode == MODE_WITHIN)
        return o->test == AB_TEST_WILCOXON   ? "paired by round, Hodges-Lehmann ratio, Wilcoxon signed-rank"
               : o->test == AB_TEST_PAIRED_T ? "paired by round, t test on log ratios"
                                             : "paired by round, Hodges-Lehmann ratio and Wilcoxon signed-rank "
                                               "(paired t below " AB_SIGNED_RANK_MIN_PAIRS_TEXT " rounds)";
    if (kb == 1 && kn == 1)
        return "one run per side, run-to-run noise estimated across cells";
    return "run as the unit, Welch's t on log run means";
}

static void judge_noisy(row *r, const ab_metric_desc *d, double alpha, const char *why_untested)
{
    if (!r->change.valid || !r->change.tested) {
        r->v = V_SAME;
        snprintf(r->note, sizeof r->note, "%s", why_untested);
        bool big = r->change.valid && fabs(r->change.change) > r->limit;
        if (big)   /* a change that cannot be judged is not "same" */
            r->v = V_INCONCLUSIVE;
        return;
    }
    double ch = r->change.change;
    bool worse_dir = d->better == AB_LOWER_IS_BETTER ? ch > r->limit : ch < -r->limit;
    bool better_dir = d->better == AB_LOWER_IS_BETTER ? ch < -r->limit : ch > r->limit;
    bool above_floor = !(d->abs_floor > 0) || fabs(r->new_mean - r->base_mean) > d->abs_floor;
    if ((worse_dir || better_dir) && !above_floor) {
        r->v = V_SAME;
        snprintf(r->note, sizeof r->note, "within the absolute floor of %g (means differ by %.3g)", d->abs_floor,
                 fabs(r->new_mean - r->base_mean));
        return;
    }
    bool significant = r->change.p < alpha;
    r->v = significant && worse_dir ? V_WORSE : significant && better_dir ? V_BETTER : V_SAME;
    if (!significant && (worse_dir || better_dir))
        r->v = V_INCONCLUSIVE;
}

/* The reason a change beyond the threshold was not significant. */
static void explain_inconclusive(row *r, const compare_opts *o, size_t kb, size_t kn, const metric_context *ctx,
                                 size_t npairs, bool paired)
{
    if (r->v != V_INCONCLUSIVE || r->note[0])
        return;
    if (o->mode == MODE_WITHIN && paired)
        snprintf(r->note, sizeof r->note, "not significant over %zu paired rounds (p %.2g); more rounds or "
                                          "run --target-ci narrow it", npairs, r->change.p);
    else if (o->mode == MODE_WITHIN)
        snprintf(r->note, sizeof r->note, "samples do not pair by round; unpaired test not significant (p %.2g)",
                 r->change.p);
    else if (o->test_given)
        snprintf(r->note, sizeof r->note, "not significant (p %.2g)", r->change.p);
    else if (kb == 1 && kn == 1)
        snprintf(r->note, sizeof r->note, "within run-to-run noise (+-%.1f%% between two runs, from %zu cells); "
                                          "one run per side cannot tell, give several (--vs)",
                 100 * ctx->noise.sd, ctx->noise.cells);
    else
        snprintf(r->note, sizeof r->note, "not significant across %zu vs %zu runs (p %.2g)", kb, kn, r->change.p);
}

/* The change of a noisy metric between the two sides of a match. */
static change_est estimate_noisy(const compare_opts *o, const ab_side_values *a, const ab_side_values *b,
                                 const metric_context *ctx, size_t *npairs, bool *paired)
{
    *npairs = 0;
    *paired = false;
    if (o->mode == MODE_WITHIN || (o->test_given && !ab_test_kind_paired(o->test))) {
        /* One population per side: pooled samples, paired by round when the
         * sides are cells of one file. */
        ab_metric_values pa = a->runs[0], pb = b->runs[0];
        if (o->mode != MODE_WITHIN) {
            pa = (ab_metric_values){.v = a->pooled, .n = a->npooled};
            pb = (ab_metric_values){.v = b->pooled, .n = b->npooled};
        }
        ab_pair_change pc = ab_pair_change_compute(&pa, &pb, CONFIDENCE, o->test_given || o->mode == MODE_WITHIN
                                                                             ? o->test : AB_TEST_MWU);
        *npairs = pc.n_pairs;
        *paired = pc.paired;
        return (change_est){pc.valid, pc.change, pc.lo, pc.hi, pc.tested, pc.p};
    }
    ab_runs_change rc = a->k == 1 && b->k == 1
                            ? ab_runs_change_single(&a->runs[0], &b->runs[0], ctx->noise, CONFIDENCE)
                            : ab_runs_change_multi(a->runs, a->k, b->runs, b->k, CONFIDENCE);
    return (change_est){rc.valid, rc.change, rc.lo, rc.hi, rc.tested, rc.p};
}

static int compare_metric(const compare_opts *o, const metric_spec *m, const ab_cell_match *x,
                          const metric_context *ctx, row *r)
{
    ab_metric_desc d;
    ab_metric_describe(m->name, &d);
    memset(r, 0, sizeof *r);
    r->workload = x->workload;
    r->variant = x->label;
    r->metric = m->name;
    r->deterministic = d.deterministic;
    r->limit = m->has_tolerance ? m->tolerance : d.deterministic ? d.default_tolerance : o->threshold;
    ab_side_values va, vb;
    int rc = ab_side_values_get(x->base, x->nb, m->name, &va) | ab_side_values_get(x->cand, x->nn, m->name, &vb);
    if (rc)
        goto out;
    r->base_n = va.npooled;
    r->new_n = vb.npooled;
    if (!va.npooled || !vb.npooled) {
        r->v = V_NA;
        snprintf(r->note, sizeof r->note, "not measured in %s",
                 !va.npooled && !vb.npooled ? "either side" : !va.npooled ? "BASE" : "NEW");
        goto out;
    }
    r->base_med = ab_stat_median(va.pooled, va.npooled);
    r->new_med = ab_stat_median(vb.pooled, vb.npooled);
    r->base_mean = ab_stat_mean(va.pooled, va.npooled);
    r->new_mean = ab_stat_mean(vb.pooled, vb.npooled);
    if (d.deterministic) {
        ab_rel_change c = ab_relative_change(va.pooled, va.npooled, vb.pooled, vb.npooled, CONFIDENCE);
        r->change = (change_est){c.valid, c.change, c.lo, c.hi, false, NAN};
        judge_deterministic(r, &d);
        goto out;
    }
    size_t npairs;
    bool paired;
    r->change = estimate_noisy(o, &va, &vb, ctx, &npairs, &paired);
    const char *untested = va.npooled < 2 || vb.npooled < 2 ? "too few samples to test"
                           : o->mode == MODE_RUNS && va.k == 1 && vb.k == 1 && !ctx->noise.known
                               ? "one run per side and too few cells to estimate run-to-run noise; give several "
                                 "runs per side (--vs)"
                               : "cannot be tested (a mean or value is not positive)";
    judge_noisy(r, &d, o->alpha, untested);
    explain_inconclusive(r, o, va.k, vb.k, ctx, npairs, paired);
out:
    ab_side_values_free(&va);
    ab_side_values_free(&vb);
    return rc ? -1 : 0;
}

/* One run per side: estimate each noisy metric's run-to-run noise across the
 * cells before judging any of them. */
static int metric_contexts(const compare_opts *o, const metric_spec *specs, size_t nmetrics, const ab_cell_match *x,
                           size_t nx, metric_context *ctx)
{
    for (size_t m = 0; m < nmetrics; m++) {
        memset(&ctx[m], 0, sizeof ctx[m]);
        ab_metric_desc d;
        ab_metric_describe(specs[m].name, &d);
        if (o->mode != MODE_RUNS || d.deterministic || is_checksum(specs[m].name))
            continue;
        if (ab_match_run_noise(x, nx, specs[m].name, &ctx[m].noise))
            return -1;
    }
    return 0;
}

static void compare_checksum(const ab_cell_match *x, bool seeds_differ, row *r)
{
    memset(r, 0, sizeof *r);
    r->workload = x->workload;
    r->variant = x->label;
    r->metric = ab_metric_key(AB_M_CHECKSUM);
    r->deterministic = true;
    if (seeds_differ) {
        /* workloads draw their random choices from the seed: other seed, other checksum */
        r->v = V_NA;
        snprintf(r->note, sizeof r->note, "different config.seed");
        return;
    }
    bool da, db;
    const char *sa = ab_cell_checksum(x->base[0], &da), *sb = NULL;
    for (size_t i = 0; i < x->nn; i++) {
        const char *si = ab_cell_checksum(x->cand[i], &db);
        if (db || (si && sb && strcmp(si, sb))) {
            r->v = V_WORSE;
            snprintf(r->note, sizeof r->note, "CORRECTNESS: NEW samples disagree on the checksum");
            return;
        }
        if (si)
            sb = si;
    }
    if (!sa || !sb) {
        r->v = V_NA;
        snprintf(r->note, sizeof r->note, "no checksum in %s", !sb ? "NEW" : "BASE");
    } else if (strcmp(sa, sb)) {
        r->v = V_WORSE;
        snprintf(r->note, sizeof r->note, "CORRECTNESS: checksum %.20s != base %.20s", sb, sa);
    } else {
        r->v = V_SAME;
    }
}

/* Count the samples of a cell that did not finish ok; *reason gets the first
 * one's status and reason. */
static size_t failed_samples(const ab_results_cell *c, char *reason, size_t len)
{
    const json_t *samples = json_object_get(c->json, AB_KEY_SAMPLES);
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        const json_t *s = json_array_get(samples, i);
        if (ab_sample_ok(s))
            continue;
        if (!n++) {
            const char *why = ab_sample_json_reason(s);
            snprintf(reason, len, "%s%s%s", ab_sample_status_name(ab_sample_json_status(s)), why ? ": " : "",
                     why ? why : "");
        }
    }
    return n;
}

static size_t side_failures(const ab_results_cell *const *cells, size_t k, size_t *total, char *reason, size_t len)
{
    size_t n = 0;
    *total = 0;
    for (size_t i = 0; i < k; i++) {
        char why[160] = "";
        size_t f = failed_samples(cells[i], why, sizeof why);
        if (f && !n)
            snprintf(reason, len, "%s", why);
        n += f;
        *total += json_array_size(json_object_get(cells[i]->json, AB_KEY_SAMPLES));
    }
    return n;
}

/* A sample that crashes, times out or fails in NEW but not in BASE is a
 * regression whatever the metrics say (compared per run, as sides may have
 * different numbers of runs).  Returns true when a row was made. */
static bool compare_failures(const ab_cell_match *x, row *r)
{
    char reason[160] = "", ignored[160];
    size_t ta, tb;
    size_t fa = side_failures(x->base, x->nb, &ta, ignored, sizeof ignored);
    size_t fb = side_failures(x->cand, x->nn, &tb, reason, sizeof reason);
    if (fb * x->nb <= fa * x->nn)
        return false;
    memset(r, 0, sizeof *r);
    r->workload = x->workload;
    r->variant = x->label;
    r->metric = FAILURES_ROW;
    r->deterministic = true;
    r->v = V_WORSE;
    if (x->nb == 1)
        snprintf(r->note, sizeof r->note, "%zu of %zu NEW samples not ok (BASE: %zu) - %s", fb, tb, fa, reason);
    else
        snprintf(r->note, sizeof r->note, "%zu of %zu NEW samples not ok (BASE: %zu of %zu) - %s", fb, tb, fa, ta,
                 reason);
    return true;
}

static void format_row_values(const row *r, char *base, char *cand, char *change, char *p, size_t len)
{
    ab_metric_desc d;
    ab_metric_describe(r->metric, &d);
    if (is_checksum(r->metric) || !strcmp(r->metric, FAILURES_ROW) || r->v == V_NA) {
        snprintf(base, len, "-");
        snprintf(cand, len, "-");
        snprintf(change, len, "-");
        snprintf(p, len, "-");
        return;
    }
    ab_format_value(r->base_med * d.display_scale, d.unit, base, len);
    ab_format_value(r->new_med * d.display_scale, d.unit, cand, len);
    if (!strcmp(d.unit, "%"))
        snprintf(change, len, "%+.1f pp", 100 * (r->new_med - r->base_med));
    else if (!r->change.valid)
        snprintf(change, len, "(base 0)");
    else if (!isnan(r->change.lo) && r->change.hi > r->change.lo && !r->deterministic)
        snprintf(change, len, "%+.1f%% [%+.1f, %+.1f]", 100 * r->change.change, 100 * r->change.lo,
                 100 * r->change.hi);
    else
        snprintf(change, len, "%+.1f%%", 100 * r->change.change);
    if (r->deterministic)
        snprintf(p, len, "exact");
    else if (r->change.tested)
        snprintf(p, len, "%.3g", r->change.p);
    else
        snprintf(p, len, "-");
}

static void print_rows(const char *title, const row *rows, size_t n, bool (*want)(const row *), ab_table_format fmt)
{
    ab_text_table *t = ab_text_table_new(title, 9);
    if (!t)
        return;
    static const char *const heads[] = {"workload", "variant", "metric", "base", "new", "change [95% CI]",
                                        "p", "verdict", "note"};
    for (size_t c = 0; c < 9; c++)
        ab_text_table_header(t, c, heads[c]);
    static const size_t text_cols[] = {1, 2, 7, 8};
    for (size_t c = 0; c < sizeof text_cols / sizeof text_cols[0]; c++)
        ab_text_table_align_left(t, text_cols[c]);
    for (size_t i = 0; i < n; i++) {
        if (!want(&rows[i]))
            continue;
        char base[64], cand[64], change[96], p[32], limit[48];
        format_row_values(&rows[i], base, cand, change, p, sizeof base);
        size_t k = ab_text_table_add_row(t);
        /* the note column says why for inconclusive rows */
        ab_text_table_set(t, k, 0, rows[i].workload);
        ab_text_table_set(t, k, 1, rows[i].variant);
        ab_text_table_set(t, k, 2, rows[i].metric);
        ab_text_table_set(t, k, 3, base);
        ab_text_table_set(t, k, 4, cand);
        ab_text_table_set(t, k, 5, change);
        ab_text_table_set(t, k, 6, p);
        ab_text_table_set(t, k, 7, verdict_names[rows[i].v]);
        if (!rows[i].note[0] && rows[i].v != V_NA && !is_checksum(rows[i].metric) &&
            strcmp(rows[i].metric, FAILURES_ROW)) {
            snprintf(limit, sizeof limit, "%s %.3g%%", rows[i].deterministic ? "tolerance" : "threshold",
                     100 * rows[i].limit);
            ab_text_table_set(t, k, 8, limit);
        } else {
            ab_text_table_set(t, k, 8, rows[i].note);
        }
    }
    if (ab_text_table_rows(t))
        ab_text_table_print(t, fmt, stdout);
    ab_text_table_free(t);
}

static bool want_changed(const row *r)
{
    return r->v == V_WORSE || r->v == V_BETTER || r->v == V_INCONCLUSIVE;
}

static bool want_all(const row *r)
{
    (void)r;
    return true;
}

static void print_summary(const compare_opts *o, const char *const *metrics, size_t nmetrics, const row *rows,
                          size_t nrows, size_t ncommon, size_t kb, size_t kn)
{
    char title[400];
    if (o->mode == MODE_WITHIN)
        snprintf(title, sizeof title, "compare: %zu cells, %s %s vs %s; %s, alpha %.3g, threshold %.3g%%", ncommon,
                 o->select == AB_SELECT_VARIANT ? "variant" : "build", o->to, o->from,
                 test_description(o, 1, 1), o->alpha, 100 * o->threshold);
    else
        snprintf(title, sizeof title, "compare: %zu cells in common, %zu vs %zu run%s; %s, alpha %.3g, "
                                      "threshold %.3g%%",
                 ncommon, kb, kn, kb == 1 && kn == 1 ? "" : "s", test_description(o, kb, kn), o->alpha,
                 100 * o->threshold);
    ab_text_table *t = ab_text_table_new(title, 6);
    if (!t)
        return;
    static const char *const heads[] = {"metric", "better", "worse", "inconclusive", "same", "n/a"};
    for (size_t c = 0; c < 6; c++)
        ab_text_table_header(t, c, heads[c]);
    for (size_t m = 0; m < nmetrics; m++) {
        size_t count[5] = {0};
        for (size_t i = 0; i < nrows; i++)
            if (!strcmp(rows[i].metric, metrics[m]))
                count[rows[i].v]++;
        size_t k = ab_text_table_add_row(t);
        ab_text_table_set(t, k, 0, metrics[m]);
        static const verdict order[] = {V_BETTER, V_WORSE, V_INCONCLUSIVE, V_SAME, V_NA};
        for (size_t c = 0; c < 5; c++) {
            char num[32];
            snprintf(num, sizeof num, "%zu", count[order[c]]);
            ab_text_table_set(t, k, c + 1, num);
        }
    }
    ab_text_table_print(t, o->format, stdout);
    ab_text_table_free(t);
}

/* The sides must have measured the same work, and say so when they differ. */
static int check_sides(const compare_opts *o, const ab_compare_side *a, const ab_compare_side *b, bool *seeds_differ)
{
    const ab_compare_side *sides[] = {a, b};
    double scale = NAN;
    const char *scale_file = NULL;
    const json_t *seed = NULL;
    *seeds_differ = false;
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < sides[s]->n; i++) {
            const ab_results *r = sides[s]->runs[i];
            double sc = ab_results_scale(r);
            /* Workload sizes scale with config.scale: without it, nothing
             * says the files measured the same amount of work. */
            if (isnan(sc)) {
                fprintf(stderr, "arenabench compare: %s has no numeric config.scale; results whose scale is "
                                "unknown cannot be compared\n",
                        r->path);
                return -1;
            }
            if (!isnan(scale) && sc != scale) {
                fprintf(stderr, "arenabench compare: different scales: %s has config.scale %g, %s has %g "
                                "(results at different scales are not comparable)\n",
                        scale_file, scale, r->path, sc);
                return -1;
            }
            if (isnan(scale)) {
                scale = sc;
                scale_file = r->path;
            }
            const json_t *sd = json_object_get(json_object_get(r->root, AB_KEY_CONFIG), AB_KEY_CONFIG_SEED);
            if (sd && seed && !json_equal((json_t *)sd, (json_t *)seed))
                *seeds_differ = true;
            if (sd && !seed)
                seed = sd;
        }
    if (o->mode == MODE_RUNS)
        warn_machine_differences(a->runs[0], b->runs[0]);
    if (*seeds_differ)
        fprintf(stderr, "arenabench compare: warning: the files were run with different config.seed; "
                        "checksums are not compared\n");
    return 0;
}

static int run_compare(const compare_opts *o, const ab_compare_side *a, const ab_compare_side *b)
{
    bool seeds_differ;
    if (check_sides(o, a, b, &seeds_differ))
        return AB_EXIT_USAGE;
    size_t ncommon = 0;
    char err[700];
    ab_cell_match *cells = o->mode == MODE_WITHIN
                               ? ab_match_within(a->runs[0], o->select, o->from, o->to, &ncommon, err, sizeof err)
                               : ab_match_across_runs(a, b, &ncommon);
    if (!cells && o->mode == MODE_WITHIN) {
        fprintf(stderr, "arenabench compare: %s\n", err);
        return AB_EXIT_USAGE;
    }
    if (!cells || !ncommon) {
        fprintf(stderr, "arenabench compare: no cells in common: no (variant, workload) pair of %s is in %s\n",
                a->runs[0]->path, b->runs[0]->path);
        free(cells);
        return AB_EXIT_USAGE;
    }
    if (o->mode == MODE_RUNS && (ncommon < a->runs[0]->ncells || ncommon < b->runs[0]->ncells))
        fprintf(stderr, "arenabench compare: note: only %zu cells are in both files (%zu in BASE, %zu in NEW); "
                        "the others are not compared\n",
                ncommon, a->runs[0]->ncells, b->runs[0]->ncells);
    char **owned = NULL;
    size_t nowned = 0;
    const char *names[MAX_METRICS];
    metric_spec specs[MAX_METRICS];
    metric_context ctx[MAX_METRICS];
    size_t nmetrics = o->nmetrics;
    if (nmetrics) {
        memcpy(specs, o->metrics, nmetrics * sizeof *specs);
    } else {
        owned = default_metrics(a->runs[0], b->runs[0], &nowned);
        for (size_t i = 0; i < nowned && nmetrics < MAX_METRICS; i++)
            specs[nmetrics++] = (metric_spec){.name = owned[i]};
    }
    for (size_t m = 0; m < nmetrics; m++)
        names[m] = specs[m].name;
    row *rows = calloc(ncommon * (nmetrics + 1) + 1, sizeof *rows);
    size_t nrows = 0;
    int rc = AB_EXIT_OK;
    if (!rows || metric_contexts(o, specs, nmetrics, cells, ncommon, ctx)) {
        fprintf(stderr, "arenabench compare: out of memory\n");
        rc = AB_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < ncommon; i++) {
        nrows += compare_failures(&cells[i], &rows[nrows]);
        for (size_t m = 0; m < nmetrics; m++) {
            if (is_checksum(specs[m].name))
                compare_checksum(&cells[i], seeds_differ, &rows[nrows]);
            else if (compare_metric(o, &specs[m], &cells[i], &ctx[m], &rows[nrows])) {
                fprintf(stderr, "arenabench compare: out of memory\n");
                rc = AB_EXIT_FAIL;
                goto out;
            }
            nrows++;
        }
    }
    for (size_t m = 0; m < nmetrics; m++) {
        bool any = false;
        for (size_t i = 0; i < nrows; i++)
            any |= !strcmp(rows[i].metric, names[m]) && rows[i].v != V_NA;
        if (!any)
            fprintf(stderr, "arenabench compare: note: %s is not available in both files for any cell\n", names[m]);
    }
    print_summary(o, names, nmetrics, rows, nrows, ncommon, a->n, b->n);
    for (size_t m = 0; m < nmetrics; m++)
        if (ctx[m].noise.known)
            printf("%s: run-to-run noise between the two runs +-%.1f%% (estimated from %zu cells)\n", names[m],
                   100 * ctx[m].noise.sd, ctx[m].noise.cells);
    print_rows(o->verbose ? "every comparison" : "changes (better, worse or inconclusive)", rows, nrows,
               o->verbose ? want_all : want_changed, o->format);
    size_t nreg = 0;
    for (size_t i = 0; i < nrows; i++)
        nreg += rows[i].v == V_WORSE;
    for (size_t i = 0; i < b->n; i++) {
        const json_t *corr = json_object_get(b->runs[i]->root, AB_KEY_CORRECTNESS);
        if (json_is_false(json_object_get(corr, AB_KEY_CHECKSUMS_AGREE))) {
            printf("CORRECTNESS: %s reports checksums that disagree between variants (correctness.mismatches)\n",
                   b->runs[i]->path);
            rc = AB_EXIT_FAIL;
        }
    }
    if (nreg) {
        printf("%zu regression%s:\n", nreg, nreg == 1 ? "" : "s");
        for (size_t i = 0; i < nrows; i++) {
            if (rows[i].v != V_WORSE)
                continue;
            char base[64], cand[64], change[96], p[32];
            format_row_values(&rows[i], base, cand, change, p, sizeof base);
            if (is_checksum(rows[i].metric) || !strcmp(rows[i].metric, FAILURES_ROW))
                printf("REGRESSION %s/%s %s: %s\n", rows[i].variant, rows[i].workload, rows[i].metric,
                       rows[i].note);
            else
                printf("REGRESSION %s/%s %s: %s -> %s (%s, %s%s, %s %.3g%%)\n", rows[i].variant, rows[i].workload,
                       rows[i].metric, base, cand, change, rows[i].deterministic ? "" : "p ", p,
                       rows[i].deterministic ? "tolerance" : "threshold", 100 * rows[i].limit);
        }
        rc = AB_EXIT_FAIL;
    } else if (rc == AB_EXIT_OK) {
        printf("no regression beyond the threshold\n");
    }
out:
    ab_metric_names_free(owned, nowned);
    free(rows);
    free(cells);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    compare_opts o;
    int pa = parse_args(argc, argv, &o);
    if (pa)
        return pa > 0 ? AB_EXIT_OK : AB_EXIT_USAGE;
    char err[800];
    ab_compare_side a, b;
    ab_results_load_opts lo = {.by_machine = o.by_machine};
    if (ab_compare_side_load(o.base_paths, o.nbase, o.vs_given, &lo, &a, err, sizeof err)) {
        fprintf(stderr, "arenabench compare: %s %s\n", o.mode == MODE_WITHIN ? "FILE" : "BASE", err);
        ab_compare_side_free(&a);
        return AB_EXIT_USAGE;
    }
    if (o.mode == MODE_WITHIN && a.n != 1) {
        fprintf(stderr, "arenabench compare: --base-%s/--new-%s compare within one results FILE, not %zu\n",
                o.select == AB_SELECT_VARIANT ? "variant" : "build", o.select == AB_SELECT_VARIANT ? "variant" : "build",
                a.n);
        ab_compare_side_free(&a);
        return AB_EXIT_USAGE;
    }
    if (o.mode == MODE_RUNS && ab_compare_side_load(o.new_paths, o.nnew, o.vs_given, &lo, &b, err, sizeof err)) {
        fprintf(stderr, "arenabench compare: NEW %s\n", err);
        ab_compare_side_free(&a);
        ab_compare_side_free(&b);
        return AB_EXIT_USAGE;
    }
    int rc = run_compare(&o, &a, o.mode == MODE_WITHIN ? &a : &b);
    ab_compare_side_free(&a);
    if (o.mode == MODE_RUNS)
        ab_compare_side_free(&b);
    return rc;
}
