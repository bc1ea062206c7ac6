/*
 * cmd_compare.c -- `arenabench compare BASE NEW`: the regression gate.
 *
 * For every (variant, workload) cell present in both files and every
 * metric, decide better / worse / same:
 *   - noisy metrics (times, RSS, counters): worse when the change of the
 *     mean is beyond the threshold in the metric's worse direction AND the
 *     samples differ significantly (Mann-Whitney U by default, or Welch's t);
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
#include "harness/report/report_metrics.h"
#include "harness/util/report_stats.h"
#include "harness/report/report_table.h"
#include "harness/results/results_load.h"

#define DEFAULT_THRESHOLD_PCT 5.0
#define DEFAULT_ALPHA 0.05
#define CONFIDENCE 0.95
#define MAX_METRICS 64
/* Relative slack for "equal" deterministic values stored as doubles. */
#define EXACT_EPSILON 1e-9

typedef enum { TEST_MWU, TEST_WELCH } test_kind;

typedef struct metric_spec {
    const char *name;
    bool has_tolerance;        /* NAME=PCT given */
    double tolerance;          /* fraction */
} metric_spec;

typedef struct compare_opts {
    const char *base_file, *new_file;
    double threshold;          /* fraction */
    double alpha;
    metric_spec metrics[MAX_METRICS];
    size_t nmetrics;
    ab_table_format format;
    test_kind test;
    bool verbose;
} compare_opts;

typedef enum { V_SAME, V_BETTER, V_WORSE, V_NA } verdict;
static const char *const verdict_names[] = {"same", "better", "worse", "n/a"};

typedef struct row {
    const char *workload, *variant, *metric;
    double base_med, new_med;
    size_t base_n, new_n;
    ab_rel_change change;
    ab_test_result test;
    bool deterministic;
    double limit;              /* threshold or tolerance used, fraction */
    verdict v;
    char note[200];
} row;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: arenabench compare BASE.json NEW.json [--threshold PCT] [--metrics M[=PCT],...]\n"
            "                          [--alpha A] [--test mwu|welch] [--format text|md] [--verbose]\n"
            "\n"
            "Compare every (variant, workload) cell found in both files, metric by metric.\n"
            "Noisy metrics (wall_ns, user_ns, sys_ns, rss_peak_kb, rss_end_kb, mem_peak_kb, mem_end_kb,\n"
            "counters.EVENT) are worse when the change of the mean exceeds the threshold in the worse\n"
            "direction AND the samples differ significantly: two-sided Mann-Whitney U test (exact without ties for up\n"
            "to %d samples a side, else normal approximation with tie correction), or Welch's t test\n"
            "with --test welch.  Deterministic metrics (alloc.FIELD, hugepage_coverage, checksum) are\n"
            "compared by their median with a tight tolerance: 0 for arena counts (one extra arena is a\n"
            "regression), 2%% for hugepage_coverage; a checksum change is a correctness failure.\n"
            "Lower is better for everything except hugepage_coverage (higher is better).\n"
            "\n"
            "  --threshold PCT  noisy-metric threshold in %% of the base (default %.0f)\n"
            "  --metrics LIST   comma-separated metrics; NAME=PCT sets that metric's own threshold or\n"
            "                   tolerance (e.g. rss_peak_kb=10,counters.page-faults=5,alloc.arenas_current)\n"
            "                   default: wall_ns, rss_peak_kb, rss_end_kb, mem_peak_kb, mem_end_kb\n"
            "                   (RSS + hugetlb pages), every counter in both files,\n"
            "                   alloc.arenas_highwater, alloc.arenas_current, hugepage_coverage,\n"
            "                   alloc.hugetlb_fallbacks, checksum\n"
            "  --alpha A        significance level (default %.2f)\n"
            "  --format F       text (default) or md\n"
            "  --verbose        list every comparison, not only the ones that changed\n"
            "\n"
            "exit status: 0 no significant regression beyond the threshold; 1 regression or\n"
            "correctness failure (each listed); 2 unusable input: missing file, not JSON, unknown\n"
            "schema_version, missing keys, no cells in common, different scales, bad option.\n",
            AB_MWU_EXACT_MAX, DEFAULT_THRESHOLD_PCT, DEFAULT_ALPHA);
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
    if (strcmp(tok, "checksum") && !ab_metric_name_valid(tok)) {
        fprintf(stderr, "arenabench compare: unknown metric '%s' (see --help)\n", tok);
        return -1;
    }
    m->name = tok;
    o->nmetrics++;
    return 0;
}

static int parse_args(int argc, char **argv, compare_opts *o)
{
    static const struct option long_opts[] = {
        {"threshold", required_argument, 0, 't'}, {"metrics", required_argument, 0, 'm'},
        {"metric", required_argument, 0, 'm'},    {"alpha", required_argument, 0, 'a'},
        {"format", required_argument, 0, 'f'},    {"test", required_argument, 0, 'T'},
        {"verbose", no_argument, 0, 'v'},         {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->threshold = DEFAULT_THRESHOLD_PCT / 100;
    o->alpha = DEFAULT_ALPHA;
    o->format = AB_FMT_TEXT;
    int c;
    double pct;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:m:a:f:vh", long_opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_number(optarg, "--threshold", 0, 1e6, &pct))
                return -1;
            o->threshold = pct / 100;
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
            if (!strcmp(optarg, "mwu") || !strcmp(optarg, "mann-whitney"))
                o->test = TEST_MWU;
            else if (!strcmp(optarg, "welch"))
                o->test = TEST_WELCH;
            else {
                fprintf(stderr, "arenabench compare: unknown test '%s' (mwu or welch)\n", optarg);
                return -1;
            }
            break;
        case 'v': o->verbose = true; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "arenabench compare: expected two results files, BASE and NEW\n");
        usage(stderr);
        return -1;
    }
    o->base_file = argv[optind];
    o->new_file = argv[optind + 1];
    return 0;
}

/* Metrics compared when --metrics is not given. */
static size_t default_metrics(const ab_results *a, const ab_results *b, char ***owned)
{
    static const char *const fixed_head[] = {"wall_ns", "rss_peak_kb", "rss_end_kb", "mem_peak_kb", "mem_end_kb"};
    static const char *const fixed_tail[] = {"alloc.arenas_highwater", "alloc.arenas_current",
                                             "hugepage_coverage", "alloc.hugetlb_fallbacks", "checksum"};
    size_t na = 0, nb = 0, n = 0;
    const char **ea = ab_results_events(a, &na), **eb = ab_results_events(b, &nb);
    size_t cap = sizeof fixed_head / sizeof fixed_head[0] + na + sizeof fixed_tail / sizeof fixed_tail[0];
    char **list = calloc(cap, sizeof *list);
    if (list) {
        for (size_t i = 0; i < sizeof fixed_head / sizeof fixed_head[0]; i++)
            list[n++] = strdup(fixed_head[i]);
        for (size_t i = 0; i < na; i++)
            for (size_t j = 0; j < nb; j++)
                if (!strcmp(ea[i], eb[j])) {
                    size_t len = strlen(ea[i]) + sizeof "counters.";
                    if ((list[n] = malloc(len)))
                        snprintf(list[n++], len, "counters.%s", ea[i]);
                    break;
                }
        for (size_t i = 0; i < sizeof fixed_tail / sizeof fixed_tail[0]; i++)
            list[n++] = strdup(fixed_tail[i]);
    }
    free(ea);
    free(eb);
    *owned = list;
    return n;
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

static void judge_noisy(row *r, const ab_metric_desc *d, double alpha)
{
    if (!r->change.valid || !r->test.valid) {
        r->v = V_SAME;
        snprintf(r->note, sizeof r->note, "too few samples to test");
        return;
    }
    bool significant = r->test.p < alpha;
    double ch = r->change.change;
    bool worse_dir = d->better == AB_LOWER_IS_BETTER ? ch > r->limit : ch < -r->limit;
    bool better_dir = d->better == AB_LOWER_IS_BETTER ? ch < -r->limit : ch > r->limit;
    r->v = significant && worse_dir ? V_WORSE : significant && better_dir ? V_BETTER : V_SAME;
    if (!significant && (worse_dir || better_dir))
        snprintf(r->note, sizeof r->note, "beyond threshold but not significant");
}

static int compare_metric(const compare_opts *o, const metric_spec *m, const ab_results_cell *ca,
                          const ab_results_cell *cb, row *r)
{
    ab_metric_desc d;
    ab_metric_describe(m->name, &d);
    memset(r, 0, sizeof *r);
    r->workload = ca->workload;
    r->variant = ca->variant;
    r->metric = m->name;
    r->deterministic = d.deterministic;
    r->limit = m->has_tolerance ? m->tolerance : d.deterministic ? d.default_tolerance : o->threshold;
    ab_metric_values va, vb;
    if (ab_cell_metric(ca, m->name, &va) || ab_cell_metric(cb, m->name, &vb))
        return -1;
    r->base_n = va.n;
    r->new_n = vb.n;
    if (!va.n || !vb.n) {
        r->v = V_NA;
        snprintf(r->note, sizeof r->note, "not measured in %s", !va.n && !vb.n ? "either file" : !va.n ? "BASE" : "NEW");
    } else {
        r->base_med = ab_stat_median(va.v, va.n);
        r->new_med = ab_stat_median(vb.v, vb.n);
        r->change = ab_relative_change(va.v, va.n, vb.v, vb.n, CONFIDENCE);
        if (d.deterministic) {
            judge_deterministic(r, &d);
        } else {
            r->test = o->test == TEST_WELCH ? ab_welch_t(va.v, va.n, vb.v, vb.n)
                                            : ab_mann_whitney_u(va.v, va.n, vb.v, vb.n);
            judge_noisy(r, &d, o->alpha);
        }
    }
    ab_metric_values_free(&va);
    ab_metric_values_free(&vb);
    return 0;
}

static void compare_checksum(const ab_results_cell *ca, const ab_results_cell *cb, bool seeds_differ, row *r)
{
    memset(r, 0, sizeof *r);
    r->workload = ca->workload;
    r->variant = ca->variant;
    r->metric = "checksum";
    r->deterministic = true;
    if (seeds_differ) {
        /* workloads draw their random choices from the seed: other seed, other checksum */
        r->v = V_NA;
        snprintf(r->note, sizeof r->note, "different config.seed");
        return;
    }
    bool da, db;
    const char *sa = ab_cell_checksum(ca, &da), *sb = ab_cell_checksum(cb, &db);
    if (db) {
        r->v = V_WORSE;
        snprintf(r->note, sizeof r->note, "CORRECTNESS: NEW samples disagree on the checksum");
    } else if (!sa || !sb) {
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
    const json_t *samples = json_object_get(c->json, "samples");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        const json_t *s = json_array_get(samples, i);
        if (ab_sample_ok(s))
            continue;
        if (!n++) {
            const char *why = json_string_value(json_object_get(s, "reason"));
            snprintf(reason, len, "%s%s%s", json_string_value(json_object_get(s, "status")), why ? ": " : "",
                     why ? why : "");
        }
    }
    return n;
}

/* A sample that crashes, times out or fails in NEW but not in BASE is a
 * regression whatever the metrics say.  Returns true when a row was made. */
static bool compare_failures(const ab_results_cell *ca, const ab_results_cell *cb, row *r)
{
    char reason[160] = "", ignored[160];
    size_t fa = failed_samples(ca, ignored, sizeof ignored), fb = failed_samples(cb, reason, sizeof reason);
    if (fb <= fa)
        return false;
    memset(r, 0, sizeof *r);
    r->workload = ca->workload;
    r->variant = ca->variant;
    r->metric = "samples";
    r->deterministic = true;
    r->v = V_WORSE;
    snprintf(r->note, sizeof r->note, "%zu of %zu NEW samples not ok (BASE: %zu) - %s", fb,
             json_array_size(json_object_get(cb->json, "samples")), fa, reason);
    return true;
}

static void format_row_values(const row *r, char *base, char *cand, char *change, char *p, size_t len)
{
    ab_metric_desc d;
    ab_metric_describe(r->metric, &d);
    if (!strcmp(r->metric, "checksum") || !strcmp(r->metric, "samples") || r->v == V_NA) {
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
    else if (r->test.valid)
        snprintf(p, len, "%.3g", r->test.p);
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
        ab_text_table_set(t, k, 0, rows[i].workload);
        ab_text_table_set(t, k, 1, rows[i].variant);
        ab_text_table_set(t, k, 2, rows[i].metric);
        ab_text_table_set(t, k, 3, base);
        ab_text_table_set(t, k, 4, cand);
        ab_text_table_set(t, k, 5, change);
        ab_text_table_set(t, k, 6, p);
        ab_text_table_set(t, k, 7, verdict_names[rows[i].v]);
        if (!rows[i].note[0] && rows[i].v != V_NA && strcmp(rows[i].metric, "checksum") &&
            strcmp(rows[i].metric, "samples")) {
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
    return r->v == V_WORSE || r->v == V_BETTER;
}

static bool want_all(const row *r)
{
    (void)r;
    return true;
}

static void print_summary(const compare_opts *o, const char *const *metrics, size_t nmetrics, const row *rows,
                          size_t nrows, size_t ncommon)
{
    char title[256];
    snprintf(title, sizeof title, "compare: %zu cells in common; %s, alpha %.3g, threshold %.3g%%", ncommon,
             o->test == TEST_WELCH ? "Welch's t test" : "Mann-Whitney U test", o->alpha, 100 * o->threshold);
    ab_text_table *t = ab_text_table_new(title, 5);
    if (!t)
        return;
    static const char *const heads[] = {"metric", "better", "worse", "same", "n/a"};
    for (size_t c = 0; c < 5; c++)
        ab_text_table_header(t, c, heads[c]);
    for (size_t m = 0; m < nmetrics; m++) {
        size_t count[4] = {0};
        for (size_t i = 0; i < nrows; i++)
            if (!strcmp(rows[i].metric, metrics[m]))
                count[rows[i].v]++;
        size_t k = ab_text_table_add_row(t);
        ab_text_table_set(t, k, 0, metrics[m]);
        static const verdict order[] = {V_BETTER, V_WORSE, V_SAME, V_NA};
        for (size_t c = 0; c < 4; c++) {
            char num[32];
            snprintf(num, sizeof num, "%zu", count[order[c]]);
            ab_text_table_set(t, k, c + 1, num);
        }
    }
    ab_text_table_print(t, o->format, stdout);
    ab_text_table_free(t);
}

static int run_compare(const compare_opts *o, const ab_results *a, const ab_results *b)
{
    double sa = ab_results_scale(a), sb = ab_results_scale(b);
    if (!isnan(sa) && !isnan(sb) && sa != sb) {
        fprintf(stderr, "arenabench compare: different scales: %s has config.scale %g, %s has %g "
                        "(results at different scales are not comparable)\n",
                o->base_file, sa, o->new_file, sb);
        return AB_EXIT_USAGE;
    }
    size_t ncommon = 0;
    for (size_t i = 0; i < a->ncells; i++)
        ncommon += ab_results_find(b, a->cells[i].variant, a->cells[i].workload) != NULL;
    if (!ncommon) {
        fprintf(stderr, "arenabench compare: no cells in common: no (variant, workload) pair of %s is in %s\n",
                o->base_file, o->new_file);
        return AB_EXIT_USAGE;
    }
    warn_machine_differences(a, b);
    const json_t *seed_a = json_object_get(json_object_get(a->root, "config"), "seed"),
                 *seed_b = json_object_get(json_object_get(b->root, "config"), "seed");
    bool seeds_differ = seed_a && seed_b && !json_equal((json_t *)seed_a, (json_t *)seed_b);
    if (seeds_differ)
        fprintf(stderr, "arenabench compare: warning: the files were run with different config.seed; "
                        "checksums are not compared\n");
    if (ncommon < a->ncells || ncommon < b->ncells)
        fprintf(stderr, "arenabench compare: note: only %zu cells are in both files (%zu in BASE, %zu in NEW); "
                        "the others are not compared\n",
                ncommon, a->ncells, b->ncells);
    char **owned = NULL;
    size_t nowned = 0;
    const char *names[MAX_METRICS];
    metric_spec specs[MAX_METRICS];
    size_t nmetrics = o->nmetrics;
    if (nmetrics) {
        memcpy(specs, o->metrics, nmetrics * sizeof *specs);
    } else {
        nowned = default_metrics(a, b, &owned);
        for (size_t i = 0; i < nowned && nmetrics < MAX_METRICS; i++)
            specs[nmetrics++] = (metric_spec){.name = owned[i]};
    }
    for (size_t m = 0; m < nmetrics; m++)
        names[m] = specs[m].name;
    row *rows = calloc(ncommon * (nmetrics + 1) + 1, sizeof *rows);
    size_t nrows = 0;
    int rc = AB_EXIT_OK;
    if (!rows) {
        fprintf(stderr, "arenabench compare: out of memory\n");
        rc = AB_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < a->ncells; i++) {
        const ab_results_cell *ca = &a->cells[i], *cb = ab_results_find(b, ca->variant, ca->workload);
        if (!cb)
            continue;
        nrows += compare_failures(ca, cb, &rows[nrows]);
        for (size_t m = 0; m < nmetrics; m++) {
            if (!strcmp(specs[m].name, "checksum"))
                compare_checksum(ca, cb, seeds_differ, &rows[nrows]);
            else if (compare_metric(o, &specs[m], ca, cb, &rows[nrows])) {
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
    print_summary(o, names, nmetrics, rows, nrows, ncommon);
    print_rows(o->verbose ? "every comparison" : "changes (better or worse)", rows, nrows,
               o->verbose ? want_all : want_changed, o->format);
    const json_t *corr = json_object_get(b->root, "correctness");
    const json_t *agree = json_object_get(corr, "checksums_agree");
    size_t nreg = 0;
    for (size_t i = 0; i < nrows; i++)
        nreg += rows[i].v == V_WORSE;
    if (json_is_false(agree)) {
        printf("CORRECTNESS: %s reports checksums that disagree between variants (correctness.mismatches)\n",
               o->new_file);
        rc = AB_EXIT_FAIL;
    }
    if (nreg) {
        printf("%zu regression%s:\n", nreg, nreg == 1 ? "" : "s");
        for (size_t i = 0; i < nrows; i++) {
            if (rows[i].v != V_WORSE)
                continue;
            char base[64], cand[64], change[96], p[32];
            format_row_values(&rows[i], base, cand, change, p, sizeof base);
            if (!strcmp(rows[i].metric, "checksum") || !strcmp(rows[i].metric, "samples"))
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
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(rows);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    compare_opts o;
    int pa = parse_args(argc, argv, &o);
    if (pa)
        return pa > 0 ? AB_EXIT_OK : AB_EXIT_USAGE;
    char err[600];
    ab_results *a = ab_results_load(o.base_file, err, sizeof err);
    if (!a) {
        fprintf(stderr, "arenabench compare: BASE %s\n", err);
        return AB_EXIT_USAGE;
    }
    ab_results *b = ab_results_load(o.new_file, err, sizeof err);
    if (!b) {
        fprintf(stderr, "arenabench compare: NEW %s\n", err);
        ab_results_free(a);
        return AB_EXIT_USAGE;
    }
    int rc = run_compare(&o, a, b);
    ab_results_free(a);
    ab_results_free(b);
    return rc;
}
