/*
 * cmd_table.c -- `arenabench table`: comparison tables from a results file.
 *
 * A table per metric: a row per workload, a column per variant; every cell
 * shows the median over the ok samples and, for variants other than the
 * baseline, the change against the baseline with its 95% CI and "~" where
 * the difference is not significant at alpha = 0.05.  Noisy metrics pair the
 * two cells' samples by round (report_pair.h): the change is the geometric
 * mean of the per-round ratios and the test is paired; deterministic ones
 * show the change of the mean.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "harness/commands.h"
#include "harness/report/costs_table.h"
#include "harness/report/report_metrics.h"
#include "harness/report/report_pair.h"
#include "harness/util/report_stats.h"
#include "harness/report/report_table.h"
#include "harness/results/results_load.h"

#define TABLE_ALPHA 0.05
#define TABLE_CONFIDENCE 0.95
#define MAX_METRICS 64
#define HELP_WIDTH 92

typedef struct table_opts {
    const char *file;
    const char *baseline;
    const char *metrics[MAX_METRICS];
    size_t nmetrics;
    ab_table_format format;
    const char *out_dir;
    ab_test_kind test;
    bool costs_only;           /* --costs */
    bool by_machine;
} table_opts;

/* One cell of one metric's table, computed once, rendered as text or CSV. */
typedef struct entry {
    bool present;              /* the file has this (variant, workload) cell */
    bool available;            /* at least one ok sample has the metric */
    size_t n, n_samples, n_not_ok;
    double median, mean;
    double base_mean;
    bool compared;             /* not the baseline and both sides available */
    ab_pair_change change;
    bool significant;
    char why[256];             /* why not available */
    char not_ok[160];          /* first failed sample's status and reason */
} entry;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: arenabench table FILE [--baseline VARIANT] [--metric M ...] [--format md|text|csv]\n"
            "                        [--out DIR] [--test paired-t|wilcoxon|mwu|welch]\n"
            "\n"
            "Print a table per metric: a row per workload, a column per variant.  Each cell is the\n"
            "median over the ok samples; other variants also show the change against the baseline,\n"
            "in %%, with its 95%% confidence interval and '~' where the change is not significant\n"
            "(two-sided, alpha %.2f).  Noisy metrics pair each sample with the baseline's sample of\n"
            "the same round: the change is the geometric mean of the per-round ratios, its CI and\n"
            "test are paired (t on the log ratios by default; docs/noise.md).  Cells that do not\n"
            "pair, and deterministic metrics, show the change of the mean (delta-method CI,\n"
            "Mann-Whitney U).  n/a: not measured, reason in a footnote.\n"
            "\n"
            "  --baseline V   variant to compare against (default: 4k if present, else the first)\n"
            "  --metric M     repeatable or comma list, any of:\n                 ",
            TABLE_ALPHA);
    ab_metric_print_names(f, 0, "                 ", HELP_WIDTH);
    fprintf(f, "\n                 default: ");
    ab_metric_print_names(f, AB_LIST_TABLE, "                 ", HELP_WIDTH);
    fprintf(f,
            "\n"
            "  --format F     text (default), md, or csv (long format: one line per cell)\n"
            "  --out DIR      also write each table to DIR/table-METRIC.md and .csv\n"
            "  --test T       auto (default), wilcoxon or paired-t (paired, by round; docs/noise.md),\n"
            "                 mwu or welch (unpaired)\n"
            "  --costs        only the costs table (fork/COW, bloat, THP; docs/costs.md), which\n"
            "                 the default output also ends with when the file has prefork or\n"
            "                 survivors cells (DIR/table-costs.md with --out)\n"
            "  --by machine   a column per variant and machine (VARIANT@MACHINE), each compared\n"
            "                 with the baseline on its own machine; needed for fleet files\n");
}

static int add_metric(table_opts *o, const char *m)
{
    if (!ab_metric_name_valid(m)) {
        fprintf(stderr, "arenabench table: unknown metric '%s' (see --help)\n", m);
        return -1;
    }
    if (o->nmetrics == MAX_METRICS) {
        fprintf(stderr, "arenabench table: more than %d metrics\n", MAX_METRICS);
        return -1;
    }
    o->metrics[o->nmetrics++] = m;
    return 0;
}

static int parse_args(int argc, char **argv, table_opts *o)
{
    static const struct option long_opts[] = {
        {"baseline", required_argument, 0, 'b'}, {"metric", required_argument, 0, 'm'},
        {"metrics", required_argument, 0, 'm'},  {"format", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'},      {"help", no_argument, 0, 'h'},
        {"test", required_argument, 0, 'T'},
        {"costs", no_argument, 0, 'c'},
        {"by", required_argument, 0, 'y'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->format = AB_FMT_TEXT;
    o->test = AB_TEST_AUTO;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:m:f:o:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'b': o->baseline = optarg; break;
        case 'm':
            /* argv strings are ours to modify: split comma lists in place */
            for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ","))
                if (add_metric(o, tok))
                    return -1;
            break;
        case 'f':
            if (ab_table_format_parse(optarg, &o->format)) {
                fprintf(stderr, "arenabench table: unknown format '%s' (md, text or csv)\n", optarg);
                return -1;
            }
            break;
        case 'o': o->out_dir = optarg; break;
        case 'T':
            if (ab_test_kind_parse(optarg, &o->test)) {
                fprintf(stderr, "arenabench table: unknown test '%s' (auto, paired-t, wilcoxon, mwu or welch)\n",
                        optarg);
                return -1;
            }
            break;
        case 'c': o->costs_only = true; break;
        case 'y':
            if (strcmp(optarg, "machine")) {
                fprintf(stderr, "arenabench table: --by takes 'machine', not '%s'\n", optarg);
                return -1;
            }
            o->by_machine = true;
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (o->costs_only && (o->nmetrics || o->format == AB_FMT_CSV)) {
        fprintf(stderr, "arenabench table: --costs is one fixed table in text or md (no --metric, no csv)\n");
        return -1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "arenabench table: expected one results FILE\n");
        usage(stderr);
        return -1;
    }
    o->file = argv[optind];
    return 0;
}

static void fill_entry(const ab_results *r, const char *metric, const char *variant, const char *workload,
                       const ab_metric_values *base, ab_test_kind test, entry *e, ab_metric_values *keep)
{
    memset(e, 0, sizeof *e);
    memset(keep, 0, sizeof *keep);
    const ab_results_cell *cell = ab_results_find(r, variant, workload);
    if (!cell)
        return;
    e->present = true;
    if (ab_cell_metric(cell, metric, keep))
        return;
    e->n = keep->n;
    e->n_samples = keep->n_samples;
    e->n_not_ok = keep->n_not_ok;
    if (keep->n_not_ok)
        snprintf(e->not_ok, sizeof e->not_ok, "%s%s%s", keep->not_ok_status ? keep->not_ok_status : "?",
                 keep->not_ok_reason ? ": " : "", keep->not_ok_reason ? keep->not_ok_reason : "");
    if (!keep->n) {
        if (keep->unavailable_status)
            snprintf(e->why, sizeof e->why, "counter status %s%s%s", keep->unavailable_status,
                     keep->unavailable_detail ? " - " : "", keep->unavailable_detail ? keep->unavailable_detail : "");
        else if (keep->n_not_ok == keep->n_samples)
            snprintf(e->why, sizeof e->why, "no sample finished ok (%s)", e->not_ok);
        else
            snprintf(e->why, sizeof e->why, "%s: not recorded (null or absent) for %s", metric, variant);
        return;
    }
    e->available = true;
    e->median = ab_stat_median(keep->v, keep->n);
    e->mean = ab_stat_mean(keep->v, keep->n);
    if (base && base->n) {
        e->compared = true;
        e->base_mean = ab_stat_mean(base->v, base->n);
        ab_metric_desc desc;
        ab_metric_describe(metric, &desc);
        /* Deterministic metrics: the change of the mean, never a ratio of rounds. */
        e->change = ab_pair_change_compute(base, keep, TABLE_CONFIDENCE, desc.deterministic ? AB_TEST_MWU : test);
        e->significant = e->change.tested && e->change.p < TABLE_ALPHA;
    }
}

static void format_change(const entry *e, const ab_metric_desc *desc, char *buf, size_t len)
{
    if (e->base_mean == 0 && e->mean == 0) {
        snprintf(buf, len, "+0");   /* both zero: no change, and no ratio either */
        return;
    }
    if (!strcmp(desc->unit, "%")) {
        /* A fraction is compared in percentage points: 0% -> 100% is "+100 pp". */
        snprintf(buf, len, "%+.1f pp", 100 * (e->mean - e->base_mean));
        return;
    }
    if (!e->change.valid) {
        snprintf(buf, len, "(base 0)");
        return;
    }
    int n = snprintf(buf, len, "%+.1f%%", 100 * e->change.change);
    bool has_ci = !isnan(e->change.lo) && e->change.hi > e->change.lo;
    if (has_ci && n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " [%+.1f, %+.1f]", 100 * e->change.lo, 100 * e->change.hi);
    /* Deterministic metrics are exact: a difference is a difference. */
    if (!desc->deterministic && !e->significant && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " ~");
}

typedef struct built_table {
    ab_text_table *tt;
    entry *entries;            /* nworkloads * nvariants */
    bool all_unavailable;
    char all_reason[256];
} built_table;

static int build(const ab_results *r, const char *metric, const char *baseline, ab_test_kind test,
                 built_table *bt)
{
    ab_metric_desc desc;
    ab_metric_describe(metric, &desc);
    char title[300];
    snprintf(title, sizeof title, "%s%s%s, change vs %s%s", desc.title, *desc.unit ? ", " : "", desc.unit, baseline,
             r->by_machine && !strchr(baseline, '@') ? " on each machine" : "");
    memset(bt, 0, sizeof *bt);
    bt->tt = ab_text_table_new(title, r->nvariants + 1);
    bt->entries = calloc(r->nworkloads * r->nvariants + 1, sizeof *bt->entries);
    if (!bt->tt || !bt->entries)
        return -1;
    ab_text_table_header(bt->tt, 0, "workload");
    for (size_t v = 0; v < r->nvariants; v++) {
        char head[200];
        char cb[300];
        const char *col_base = ab_results_column_baseline(r, baseline, r->variants[v], cb, sizeof cb);
        snprintf(head, sizeof head, "%s%s", r->variants[v], strcmp(r->variants[v], col_base) ? "" : " (baseline)");
        ab_text_table_header(bt->tt, v + 1, head);
    }
    bool any_available = false, any_present = false;
    for (size_t w = 0; w < r->nworkloads; w++) {
        size_t row = ab_text_table_add_row(bt->tt);
        ab_text_table_set(bt->tt, row, 0, r->workloads[w]);
        ab_metric_values base_vals, vals;
        entry base_entry;
        char base_of_vals[300] = "", cb[300];
        fill_entry(r, metric, baseline, r->workloads[w], NULL, test, &base_entry, &base_vals);
        snprintf(base_of_vals, sizeof base_of_vals, "%s", baseline);
        for (size_t v = 0; v < r->nvariants; v++) {
            entry *e = &bt->entries[w * r->nvariants + v];
            const char *col_base = ab_results_column_baseline(r, baseline, r->variants[v], cb, sizeof cb);
            if (strcmp(col_base, base_of_vals)) { /* read by machine: this machine's baseline */
                ab_metric_values_free(&base_vals);
                fill_entry(r, metric, col_base, r->workloads[w], NULL, test, &base_entry, &base_vals);
                snprintf(base_of_vals, sizeof base_of_vals, "%s", col_base);
            }
            bool is_base = !strcmp(r->variants[v], col_base);
            fill_entry(r, metric, r->variants[v], r->workloads[w], is_base ? NULL : &base_vals, test, e, &vals);
            ab_metric_values_free(&vals);
            char text[256], val[64], change[128];
            if (!e->present) {
                ab_text_table_set(bt->tt, row, v + 1, "-");
                continue;
            }
            any_present = true;
            if (!e->available) {
                size_t note = ab_text_table_footnote(bt->tt, e->why);
                snprintf(text, sizeof text, "n/a [%zu]", note);
                if (!bt->all_reason[0])
                    snprintf(bt->all_reason, sizeof bt->all_reason, "%s", e->why);
                ab_text_table_set(bt->tt, row, v + 1, text);
                continue;
            }
            any_available = true;
            ab_format_value(e->median * desc.display_scale, desc.unit, val, sizeof val);
            if (e->compared) {
                format_change(e, &desc, change, sizeof change);
                snprintf(text, sizeof text, "%s %s", val, change);
            } else if (!is_base) {
                snprintf(text, sizeof text, "%s (no baseline)", val);
            } else {
                snprintf(text, sizeof text, "%s", val);
            }
            if (e->n_not_ok) {
                char note_text[600];
                snprintf(note_text, sizeof note_text, "%s/%s: %zu of %zu samples left out (%s)",
                         r->variants[v], r->workloads[w], e->n_not_ok, e->n_samples, e->not_ok);
                size_t note = ab_text_table_footnote(bt->tt, note_text);
                size_t used = strlen(text);
                snprintf(text + used, sizeof text - used, " [%zu]", note);
            }
            ab_text_table_set(bt->tt, row, v + 1, text);
        }
        ab_metric_values_free(&base_vals);
    }
    bt->all_unavailable = any_present && !any_available;
    char how[300];
    if (ab_test_kind_paired(test))
        snprintf(how, sizeof how,
                 "cells: median; change vs the baseline = %s [95%% CI], "
                 "~ = not significant (%s, p >= %.2f); cells that do not pair by round: change of the mean, "
                 "Mann-Whitney U",
                 test == AB_TEST_PAIRED_T ? "geometric mean of the per-round ratios"
                                          : "Hodges-Lehmann estimate of the per-round ratio",
                 test == AB_TEST_WILCOXON   ? "Wilcoxon signed-rank"
                 : test == AB_TEST_PAIRED_T ? "paired t on log ratios"
                                            : "Wilcoxon signed-rank; paired t and geometric mean below " AB_SIGNED_RANK_MIN_PAIRS_TEXT
                                              " rounds",
                 TABLE_ALPHA);
    else
        snprintf(how, sizeof how,
                 "cells: median; change of the mean vs the baseline [95%% CI]; ~ = not significant (%s, p >= %.2f)",
                 test == AB_TEST_WELCH ? "Welch's t" : "Mann-Whitney U", TABLE_ALPHA);
    ab_text_table_footnote(bt->tt, desc.deterministic
                                       ? "cells: median; change vs the baseline (deterministic metric: exact, no CI)"
                                       : how);
    return 0;
}

static void built_free(built_table *bt)
{
    ab_text_table_free(bt->tt);
    free(bt->entries);
}

static void print_csv_header(FILE *f)
{
    fputs("metric,workload,variant,baseline,n,n_samples,median,mean,change_pct,ci95_lo_pct,ci95_hi_pct,"
          "p_value,significant,status,test,pairs\n",
          f);
}

static void print_csv_rows(const ab_results *r, const char *metric, const char *baseline, const built_table *bt,
                           FILE *f)
{
    for (size_t w = 0; w < r->nworkloads; w++)
        for (size_t v = 0; v < r->nvariants; v++) {
            const entry *e = &bt->entries[w * r->nvariants + v];
            if (!e->present)
                continue;
            ab_csv_field(f, metric);
            fputc(',', f);
            ab_csv_field(f, r->workloads[w]);
            fputc(',', f);
            ab_csv_field(f, r->variants[v]);
            fputc(',', f);
            char cb[300];
            ab_csv_field(f, ab_results_column_baseline(r, baseline, r->variants[v], cb, sizeof cb));
            fprintf(f, ",%zu,%zu,", e->n, e->n_samples);
            if (e->available)
                fprintf(f, "%.17g,%.17g,", e->median, e->mean);
            else
                fputs(",,", f);
            if (e->compared && e->change.valid) {
                fprintf(f, "%.6g,", 100 * e->change.change);
                if (!isnan(e->change.lo))
                    fprintf(f, "%.6g,%.6g,", 100 * e->change.lo, 100 * e->change.hi);
                else
                    fputs(",,", f);
                if (e->change.tested)
                    fprintf(f, "%.6g,%s,", e->change.p, e->significant ? "yes" : "no");
                else
                    fputs(",,", f);
            } else {
                fputs(",,,,,", f);
            }
            if (e->available) {
                fputs("ok", f);
            } else {
                char status[300];
                snprintf(status, sizeof status, "n/a: %s", e->why);
                ab_csv_field(f, status);
            }
            if (e->compared && e->change.valid && e->change.tested)
                fprintf(f, ",%s,%zu\n", ab_test_kind_name(e->change.test), e->change.n_pairs);
            else
                fputs(",,\n", f);
        }
}

static void print_table(const ab_results *r, const char *metric, const char *baseline, const built_table *bt,
                        ab_table_format fmt, FILE *f)
{
    if (fmt == AB_FMT_CSV) {
        print_csv_rows(r, metric, baseline, bt, f);
        return;
    }
    if (bt->all_unavailable) {
        /* A whole table of n/a says one thing: say it once. */
        if (fmt == AB_FMT_MD)
            fprintf(f, "### %s\n\nn/a for every cell: %s\n\n", metric, bt->all_reason);
        else
            fprintf(f, "%s: n/a for every cell: %s\n\n", metric, bt->all_reason);
        return;
    }
    ab_text_table_print(bt->tt, fmt, f);
}

static int write_files(const ab_results *r, const char *metric, const char *baseline, const built_table *bt,
                       const char *dir)
{
    char stem[128], path[1024];
    ab_metric_file_stem(metric, stem, sizeof stem);
    static const struct {
        const char *ext;
        ab_table_format fmt;
    } kinds[] = {{"md", AB_FMT_MD}, {"csv", AB_FMT_CSV}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        snprintf(path, sizeof path, "%s/table-%s.%s", dir, stem, kinds[k].ext);
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "arenabench table: cannot write %s: %s\n", path, strerror(errno));
            return -1;
        }
        if (kinds[k].fmt == AB_FMT_CSV)
            print_csv_header(f);
        print_table(r, metric, baseline, bt, kinds[k].fmt, f);
        if (fclose(f)) {
            fprintf(stderr, "arenabench table: cannot write %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int write_costs_file(const ab_results *r, const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/table-costs.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "arenabench table: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    ab_costs_table_print(r, AB_FMT_MD, f);
    if (fclose(f)) {
        fprintf(stderr, "arenabench table: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Default metric list: the registry's table list, counters for every event
 * the file names. */
static char **default_metrics(const ab_results *r, size_t *n)
{
    size_t nev = 0;
    const char **events = ab_results_events(r, &nev);
    const char *model = ab_results_tlb_model(r);
    char **list = ab_metric_list(AB_LIST_TABLE | ab_metric_simulated_lists(model, model), events, nev, n);
    if (!list)
        *n = 0;
    free(events);
    return list;
}

int cmd_table(int argc, char **argv)
{
    table_opts o;
    int pa = parse_args(argc, argv, &o);
    if (pa) {
        return pa > 0 ? AB_EXIT_OK : AB_EXIT_USAGE;
    }
    char err[600];
    ab_results_load_opts lo = {.by_machine = o.by_machine};
    ab_results *r = ab_results_load_with(o.file, &lo, err, sizeof err);
    if (!r) {
        fprintf(stderr, "arenabench table: %s\n", err);
        return AB_EXIT_USAGE;
    }
    int rc = AB_EXIT_OK;
    char **owned = NULL;
    size_t nowned = 0;
    const char *baseline = o.baseline;
    if (!r->ncells) {
        fprintf(stderr, "arenabench table: %s: no cells\n", o.file);
        rc = AB_EXIT_USAGE;
        goto out;
    }
    if (baseline) {
        bool found = false;
        for (size_t v = 0; v < r->nvariants; v++)
            found |= !strcmp(r->variants[v], baseline);
        found |= r->by_machine && ab_results_has_base_variant(r, baseline);
        if (!found) {
            fprintf(stderr, "arenabench table: baseline variant '%s' is not in %s (variants:", baseline, o.file);
            for (size_t v = 0; v < r->nvariants; v++)
                fprintf(stderr, " %s", r->variants[v]);
            fprintf(stderr, ")\n");
            rc = AB_EXIT_USAGE;
            goto out;
        }
    } else {
        baseline = r->by_machine ? r->cells[0].base_variant : r->variants[0];
        if (r->by_machine ? ab_results_has_base_variant(r, "4k") : ab_results_find(r, "4k", r->workloads[0]) != NULL)
            baseline = "4k";
        for (size_t v = 0; v < r->nvariants && !r->by_machine; v++)
            if (!strcmp(r->variants[v], "4k"))
                baseline = "4k";
    }
    if (o.out_dir && mkdir(o.out_dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "arenabench table: cannot create %s: %s\n", o.out_dir, strerror(errno));
        rc = AB_EXIT_USAGE;
        goto out;
    }
    const char *const *metrics = o.metrics;
    size_t nmetrics = o.nmetrics;
    if (o.costs_only) {
        if (ab_costs_table_print(r, o.format, stdout) != 0) rc = AB_EXIT_USAGE;
        else if (o.out_dir && write_costs_file(r, o.out_dir)) rc = AB_EXIT_USAGE;
        goto out;
    }
    if (!nmetrics) {
        owned = default_metrics(r, &nowned);
        metrics = (const char *const *)owned;
        nmetrics = nowned;
    }
    if (o.format == AB_FMT_CSV)
        print_csv_header(stdout);
    for (size_t m = 0; m < nmetrics; m++) {
        built_table bt;
        if (build(r, metrics[m], baseline, o.test, &bt)) {
            fprintf(stderr, "arenabench table: out of memory\n");
            built_free(&bt);
            rc = AB_EXIT_FAIL;
            break;
        }
        print_table(r, metrics[m], baseline, &bt, o.format, stdout);
        if (o.out_dir && write_files(r, metrics[m], baseline, &bt, o.out_dir))
            rc = AB_EXIT_USAGE;
        built_free(&bt);
    }
    /* The default output ends with the costs table where there is one. */
    if (!o.nmetrics && o.format != AB_FMT_CSV && ab_costs_table_print(r, o.format, stdout) == 0 && o.out_dir &&
        write_costs_file(r, o.out_dir))
        rc = AB_EXIT_USAGE;
out:
    ab_metric_names_free(owned, nowned);
    ab_results_free(r);
    return rc;
}
