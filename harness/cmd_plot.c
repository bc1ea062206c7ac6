/*
 * cmd_plot.c -- `arenabench plot FILE [-o DIR]`: TSV data + gnuplot PNG/SVG.
 *
 * gnuplot cannot read JSON, so every plot's data is first written as a TSV
 * next to the images (useful on its own), then gnuplot runs as a child with
 * the script from plots/ and its variables on the command line:
 *     gnuplot -e "dir='plots/'; datafile='…'; outfile='…'; fmt='png'; …" plots/X.gp
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/commands.h"
#include "harness/report/report_metrics.h"
#include "harness/util/forkcollect.h"
#include "harness/util/report_stats.h"
#include "harness/results/results_load.h"
#include "harness/results/metrics.h"

#define PLOT_CONFIDENCE 0.95
#define DEFAULT_OUT_DIR "plots/out"
#define KIB_PER_MIB 1024.0
#define NS_PER_MS 1e6
#define CI_AXIS_FACTOR 3.0
/* One render is a fraction of a second; a gnuplot still running after a
 * minute waits on something (a terminal, a font server) and will not finish. */
#define GNUPLOT_TIMEOUT_S 60.0

typedef struct plot_ctx {
    const ab_results *r;
    const char *baseline;
    const char *out_dir;
    char scripts[1024];        /* directory of the .gp scripts, with trailing '/' */
    char gnuplot[1024];
    int rendered, skipped, failed;
} plot_ctx;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: arenabench plot FILE [-o DIR] [--baseline VARIANT] [--by machine]\n"
            "\n"
            "Write TSV data and render PNG + SVG with gnuplot (scripts in plots/):\n"
            "  wall-change       wall-time change vs the baseline per workload, bars per variant, 95%% CI\n"
            "  counter-EVENT     the same for page faults and dTLB misses (skipped with a message when\n"
            "                    the counter was not counted on the machine that made FILE)\n"
            "  timeline-WORKLOAD RSS and arenas over time, one line per variant (median-time sample)\n"
            "  kept              RSS and arenas still held at the end, for workloads that free memory\n"
            "\n"
            "  -o, --out DIR     output directory (default %s)\n"
            "  --baseline V      variant the changes are relative to (default 4k, else the first)\n"
            "  --by machine      one series per variant and machine (VARIANT@MACHINE), each changed\n"
            "                    against the baseline on its own machine; needed for fleet files\n"
            "Environment: AB_GNUPLOT (gnuplot to run), AB_PLOTS_DIR (where the .gp scripts are).\n"
            "Exit 2 when gnuplot is missing or FILE is unusable.\n",
            DEFAULT_OUT_DIR);
}

/* Find an executable by name on PATH (or take a path as is). */
static bool find_program(const char *name, char *out, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t seg = strcspn(path, ":");
        snprintf(out, len, "%.*s/%s", (int)seg, path, name);
        if (seg && access(out, X_OK) == 0)
            return true;
        path += seg + (path[seg] == ':');
    }
    return false;
}

/* DIR/../plots/ next to this binary's directory: build/arenabench finds the
 * repository's plots/, a dist tarball's bin/arenabench its own plots/. */
static bool scripts_next_to_binary(char *out, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = 0;
    struct stat st;
    char dir[4200], probe[4300];
    snprintf(dir, sizeof dir, "%s/../plots/", exe);
    snprintf(probe, sizeof probe, "%schange.gp", dir);
    if (strlen(dir) >= len || stat(probe, &st) != 0)
        return false;
    memcpy(out, dir, strlen(dir) + 1);
    return true;
}

/* AB_PLOTS_DIR, else next to the binary, else the source tree it was built
 * from, else ./plots/. */
static void find_scripts(char *out, size_t len)
{
    const char *env = getenv("AB_PLOTS_DIR");
    struct stat st;
    if (env && *env)
        snprintf(out, len, "%s/", env);
    else if (scripts_next_to_binary(out, len))
        ;
#ifdef AB_SOURCE_DIR
    else if (stat(AB_SOURCE_DIR "/plots/change.gp", &st) == 0)
        snprintf(out, len, "%s/plots/", AB_SOURCE_DIR);
#endif
    else
        snprintf(out, len, "plots/");
}

/* Append name='value' to buf; gnuplot doubles a quote inside '…'. */
static void add_var(char *buf, size_t len, const char *name, const char *value)
{
    size_t used = strlen(buf);
    used += (size_t)snprintf(buf + used, len > used ? len - used : 0, "%s='", name);
    for (const char *p = value; *p && used + 3 < len; p++) {
        if (*p == '\'')
            buf[used++] = '\'';
        buf[used++] = *p;
    }
    if (used + 3 < len)
        snprintf(buf + used, len - used, "'; ");
}

static void add_int(char *buf, size_t len, const char *name, size_t value)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len > used ? len - used : 0, "%s=%zu; ", name, value);
}

typedef struct gnuplot_job {
    const char *gnuplot, *assign, *script_path;
} gnuplot_job;

/* gnuplot's own stdout and stderr stay the user's: the pipe is not used. */
static int gnuplot_child(void *arg, int out_fd)
{
    const gnuplot_job *j = arg;
    (void)out_fd;
    execl(j->gnuplot, "gnuplot", "-e", j->assign, j->script_path, (char *)NULL);
    fprintf(stderr, "arenabench plot: cannot run %s: %s\n", j->gnuplot, strerror(errno));
    return 127;
}

/* Render one script in both formats; vars holds the plot-specific part. */
static void render(plot_ctx *c, const char *script, const char *stem, const char *datafile, const char *vars)
{
    static const char *const formats[] = {"png", "svg"};
    for (size_t f = 0; f < 2; f++) {
        char outfile[1200], script_path[1200], assign[8192] = "";
        snprintf(outfile, sizeof outfile, "%s/%s.%s", c->out_dir, stem, formats[f]);
        snprintf(script_path, sizeof script_path, "%s%s", c->scripts, script);
        add_var(assign, sizeof assign, "dir", c->scripts);
        add_var(assign, sizeof assign, "datafile", datafile);
        add_var(assign, sizeof assign, "outfile", outfile);
        add_var(assign, sizeof assign, "fmt", formats[f]);
        strncat(assign, vars, sizeof assign - strlen(assign) - 1);
        gnuplot_job job = {c->gnuplot, assign, script_path};
        ab_fc_buffer ignored = {0};
        ab_fc_job fj = {.child = gnuplot_child, .arg = &job, .out = &ignored, .timeout_s = GNUPLOT_TIMEOUT_S};
        ab_fc_result fc;
        int rc = ab_fork_collect(&fj, &fc);
        ab_fc_buffer_free(&ignored);
        if (rc != 0) {
            fprintf(stderr, "arenabench plot: %s\n", fc.error);
            c->failed++;
            return;
        }
        if (fc.outcome != AB_FC_EXITED || fc.exit_code != 0) {
            if (fc.outcome == AB_FC_TIMEOUT)
                fprintf(stderr, "arenabench plot: gnuplot took longer than %g s on %s; killed\n", fj.timeout_s,
                        script_path);
            fprintf(stderr, "arenabench plot: gnuplot failed on %s for %s\n", script_path, outfile);
            c->failed++;
            return;
        }
        printf("wrote %s\n", outfile);
    }
    c->rendered++;
}

static FILE *open_tsv(plot_ctx *c, const char *stem, char *path, size_t len)
{
    snprintf(path, len, "%s/%s.tsv", c->out_dir, stem);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "arenabench plot: cannot write %s: %s\n", path, strerror(errno));
        c->failed++;
    }
    return f;
}

/*
 * Change-vs-baseline TSV for one metric.  Returns the number of values
 * written (0: nothing measured, *why says why).
 */
/* Range of the plotted values; gnuplot warns (and draws nothing useful)
 * when autoscaling meets an empty range, so the scripts get it explicitly. */
typedef struct value_range {
    double lo, hi;
} value_range;

static void range_add(value_range *r, double v)
{
    if (isnan(v))
        return;
    if (v < r->lo)
        r->lo = v;
    if (v > r->hi)
        r->hi = v;
}

/* Pass ymin/ymax: the range plus 8% headroom, never narrower than min_span. */
static void add_range(char *vars, size_t len, value_range r, double min_span)
{
    double span = r.hi - r.lo;
    if (span < min_span) {
        double mid = (r.hi + r.lo) / 2;
        r.lo = r.lo >= 0 && mid - min_span / 2 < 0 ? 0 : mid - min_span / 2;
        r.hi = r.lo + min_span;
        span = min_span;
    }
    size_t used = strlen(vars);
    snprintf(vars + used, len > used ? len - used : 0, "ymin=%.6g; ymax=%.6g; ",
             r.lo < 0 ? r.lo - 0.08 * span : r.lo, r.hi > 0 ? r.hi + 0.08 * span : r.hi);
}

static size_t write_change_tsv(plot_ctx *c, const char *metric, FILE *f, size_t *nseries, char *why, size_t wlen,
                               value_range *bars, value_range *cis)
{
    const ab_results *r = c->r;
    size_t written = 0;
    *nseries = 0;
    why[0] = 0;
    fputs("workload", f);
    char cb[300];
    for (size_t v = 0; v < r->nvariants; v++)
        if (strcmp(r->variants[v], ab_results_column_baseline(r, c->baseline, r->variants[v], cb, sizeof cb))) {
            fprintf(f, "\t%s\t%s_lo\t%s_hi", r->variants[v], r->variants[v], r->variants[v]);
            (*nseries)++;
        }
    fputc('\n', f);
    for (size_t w = 0; w < r->nworkloads; w++) {
        fputs(r->workloads[w], f);
        ab_metric_values base = {0};
        for (size_t v = 0; v < r->nvariants; v++) {
            /* Each column against its own baseline (its machine's, read by machine). */
            const char *col_base = ab_results_column_baseline(r, c->baseline, r->variants[v], cb, sizeof cb);
            if (!strcmp(r->variants[v], col_base))
                continue;
            ab_metric_values_free(&base);
            memset(&base, 0, sizeof base);
            const ab_results_cell *bc = ab_results_find(r, col_base, r->workloads[w]);
            if (bc && ab_cell_metric(bc, metric, &base) == 0 && !base.n && base.unavailable_status && !why[0])
                snprintf(why, wlen, "%s", base.unavailable_status);
            const ab_results_cell *cell = ab_results_find(r, r->variants[v], r->workloads[w]);
            ab_metric_values mv = {0};
            ab_rel_change ch = {.valid = false};
            if (cell && base.n && ab_cell_metric(cell, metric, &mv) == 0 && mv.n)
                ch = ab_relative_change(base.v, base.n, mv.v, mv.n, PLOT_CONFIDENCE);
            if (ch.valid && !isnan(ch.lo)) {
                fprintf(f, "\t%.4f\t%.4f\t%.4f", 100 * ch.change, 100 * ch.lo, 100 * ch.hi);
                range_add(bars, 100 * ch.change);
                range_add(cis, 100 * ch.lo);
                range_add(cis, 100 * ch.hi);
                written++;
            } else if (ch.valid) {
                fprintf(f, "\t%.4f\t%.4f\t%.4f", 100 * ch.change, 100 * ch.change, 100 * ch.change);
                range_add(bars, 100 * ch.change);
                written++;
            } else {
                fputs("\t?\t?\t?", f);
            }
            ab_metric_values_free(&mv);
        }
        ab_metric_values_free(&base);
        fputc('\n', f);
    }
    return written;
}

static void plot_change(plot_ctx *c, const char *metric, const char *stem, const char *what)
{
    char path[1200], why[128];
    FILE *f = open_tsv(c, stem, path, sizeof path);
    if (!f)
        return;
    size_t nseries;
    value_range bars = {0, 0}, cis = {0, 0};   /* always include the zero line */
    size_t n = write_change_tsv(c, metric, f, &nseries, why, sizeof why, &bars, &cis);
    fclose(f);
    if (!nseries) {
        printf("%s: only the baseline variant is in the file; nothing to compare, no plot\n", stem);
        c->skipped++;
        return;
    }
    if (!n) {
        printf("%s: %s not counted on this machine (%s); no plot\n", stem, metric, why[0] ? why : "no values");
        c->skipped++;
        return;
    }
    /* One wild interval (3 noisy samples) must not flatten every bar: the
     * axis shows the bars and at most CI_AXIS_FACTOR times the largest bar. */
    double largest = fmax(fmax(fabs(bars.lo), fabs(bars.hi)), 1.0);
    value_range range = bars;
    range_add(&range, fmax(cis.lo, -CI_AXIS_FACTOR * largest));
    range_add(&range, fmin(cis.hi, CI_AXIS_FACTOR * largest));
    bool clipped = cis.lo < range.lo || cis.hi > range.hi;
    char vars[2048] = "", title[512], ylab[256];
    snprintf(title, sizeof title, "%s: change vs %s per workload (bars: mean ratio - 1; error bars: 95%% CI%s)",
             what, c->baseline, clipped ? ", some clipped at the axis" : "");
    snprintf(ylab, sizeof ylab, "%s change vs %s (%%, lower is better)", metric, c->baseline);
    add_var(vars, sizeof vars, "ptitle", title);
    add_var(vars, sizeof vars, "ylab", ylab);
    add_int(vars, sizeof vars, "nseries", nseries);
    add_int(vars, sizeof vars, "nrows", c->r->nworkloads);
    add_range(vars, sizeof vars, range, 2.0);
    render(c, "change.gp", stem, path, vars);
}

static bool name_has(const char *name, const char *needle)
{
    return strcasestr(name, needle) != NULL;
}

/* A change plot per metric of the registry's plot list; of the counters,
 * those that speak to the question, TLB pressure and faulting: dTLB events
 * (generic or native walk events) and the total page faults. */
static void plot_changes(plot_ctx *c)
{
    size_t nev = 0, nplotted = 0, n = 0;
    const char **events = ab_results_events(c->r, &nev);
    const char **plotted = calloc(nev + 1, sizeof *plotted);
    for (size_t i = 0; plotted && i < nev; i++)
        if (name_has(events[i], "dtlb") || name_has(events[i], "page-fault"))
            plotted[nplotted++] = events[i];
    const char *model = ab_results_tlb_model(c->r);
    char **names = plotted ? ab_metric_list(AB_LIST_PLOT | ab_metric_simulated_lists(model, model), plotted,
                                             nplotted, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *member;
        const ab_metric *m = ab_metric_lookup(names[i], &member);
        char stem[300];
        snprintf(stem, sizeof stem, "%s", m->plot_stem);
        if (member)
            ab_metric_file_stem(member, stem + strlen(stem), sizeof stem - strlen(stem));
        plot_change(c, names[i], stem, member ? member : m->title);
    }
    ab_metric_names_free(names, n);
    free(plotted);
    free(events);
}

/* The ok sample with the median wall time that has a timeline, or NULL. */
static const json_t *median_timeline_sample(const ab_results_cell *cell)
{
    const json_t *samples = json_object_get(cell->json, AB_KEY_SAMPLES);
    const json_t *best = NULL;
    double walls[256];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(samples) && n < 256; i++) {
        const json_t *s = json_array_get(samples, i);
        double w;
        if (ab_sample_ok(s) && json_is_array(json_object_get(json_object_get(s, AB_KEY_TIMELINE), AB_KEY_TL_T_NS)) &&
            ab_sample_value_id(s, AB_M_WALL_NS, &w))
            walls[n++] = w;
    }
    if (!n)
        return NULL;
    double med = ab_stat_median(walls, n), best_dist = INFINITY;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        const json_t *s = json_array_get(samples, i);
        double w;
        if (ab_sample_ok(s) && json_is_array(json_object_get(json_object_get(s, AB_KEY_TIMELINE), AB_KEY_TL_T_NS)) &&
            ab_sample_value_id(s, AB_M_WALL_NS, &w) && fabs(w - med) < best_dist) {
            best_dist = fabs(w - med);
            best = s;
        }
    }
    return best;
}

static void plot_timeline(plot_ctx *c, const char *workload)
{
    const ab_results *r = c->r;
    char stem[300], path[1200], titles[2048] = "";
    snprintf(stem, sizeof stem, "timeline-");
    ab_metric_file_stem(workload, stem + strlen(stem), sizeof stem - strlen(stem));
    size_t nseries = 0;
    FILE *f = NULL;
    value_range rss_range = {0, 0}, arena_range = {0, 0};
    for (size_t v = 0; v < r->nvariants; v++) {
        const ab_results_cell *cell = ab_results_find(r, r->variants[v], workload);
        const json_t *s = cell ? median_timeline_sample(cell) : NULL;
        if (!s)
            continue;
        if (!f && !(f = open_tsv(c, stem, path, sizeof path)))
            return;
        const json_t *tl = json_object_get(s, AB_KEY_TIMELINE);
        /* Memory = rss_kb + hugetlb_kb: RSS omits MAP_HUGETLB pages.  Files
         * from before the hugetlb_kb column have none; RSS alone stands. */
        const json_t *t = json_object_get(tl, AB_KEY_TL_T_NS), *rss = json_object_get(tl, AB_KEY_TL_RSS_KB),
                     *huge = json_object_get(tl, AB_KEY_TL_HUGETLB_KB), *arenas = json_object_get(tl, AB_KEY_TL_ARENAS);
        fprintf(f, "%s# variant %s (rep %lld)\n", nseries ? "\n\n" : "", r->variants[v],
                (long long)json_integer_value(json_object_get(s, "rep")));
        for (size_t i = 0; i < json_array_size(t); i++) {
            const json_t *ri = json_array_get(rss, i), *ai = json_array_get(arenas, i);
            const json_t *hi = huge ? json_array_get(huge, i) : NULL;
            fprintf(f, "%.4f\t", json_number_value(json_array_get(t, i)) / NS_PER_MS);
            if (json_is_number(ri) && (!huge || json_is_number(hi))) {
                double mib = (json_number_value(ri) + (hi ? json_number_value(hi) : 0)) / KIB_PER_MIB;
                fprintf(f, "%.4f\t", mib);
                range_add(&rss_range, mib);
            } else {
                fputs("?\t", f);
            }
            if (json_is_number(ai)) {
                fprintf(f, "%.0f\n", json_number_value(ai));
                range_add(&arena_range, json_number_value(ai));
            } else {
                fputs("?\n", f);
            }
        }
        /* word() splits on spaces: keep each title one word */
        char title[256];
        snprintf(title, sizeof title, "%s", r->variants[v]);
        for (char *p = title; *p; p++)
            if (*p == ' ')
                *p = '_';
        size_t used = strlen(titles);
        snprintf(titles + used, sizeof titles - used, "%s%s", used ? " " : "", title);
        nseries++;
    }
    if (!f) {
        printf("%s: no sample of %s has a timeline; no plot\n", stem, workload);
        c->skipped++;
        return;
    }
    fclose(f);
    char vars[4096] = "";
    add_var(vars, sizeof vars, "wname", workload);
    add_var(vars, sizeof vars, "titles", titles);
    add_int(vars, sizeof vars, "nseries", nseries);
    size_t used = strlen(vars);
    snprintf(vars + used, sizeof vars - used, "rssmax=%.6g; arenamax=%.6g; ",
             rss_range.hi > 0 ? rss_range.hi * 1.08 : 1, arena_range.hi > 0 ? arena_range.hi * 1.08 + 1 : 1);
    render(c, "timeline.gp", stem, path, vars);
}

static bool cell_median(const ab_results_cell *cell, const char *metric, double *out)
{
    ab_metric_values mv;
    if (!cell || ab_cell_metric(cell, metric, &mv))
        return false;
    bool ok = mv.n > 0;
    if (ok)
        *out = ab_stat_median(mv.v, mv.n);
    ab_metric_values_free(&mv);
    return ok;
}

/* A workload "frees memory" when some variant ends with fewer arenas than
 * its highwater: that is where reclaim policies differ. */
static bool workload_frees(const ab_results *r, const char *workload)
{
    for (size_t v = 0; v < r->nvariants; v++) {
        const ab_results_cell *cell = ab_results_find(r, r->variants[v], workload);
        double hw, cur;
        if (cell_median(cell, ab_metric_key(AB_M_ARENAS_HIGHWATER), &hw) &&
            cell_median(cell, ab_metric_key(AB_M_ARENAS_CURRENT), &cur) &&
            cur < hw)
            return true;
    }
    return false;
}

static void plot_kept(plot_ctx *c)
{
    const ab_results *r = c->r;
    char path[1200];
    size_t rows = 0;
    for (size_t w = 0; w < r->nworkloads; w++)
        rows += workload_frees(r, r->workloads[w]);
    if (!rows) {
        printf("kept: no workload in the file frees arenas (arenas_current < arenas_highwater); no plot\n");
        c->skipped++;
        return;
    }
    FILE *f = open_tsv(c, "kept", path, sizeof path);
    if (!f)
        return;
    value_range rss_range = {0, 0}, arena_range = {0, 0};
    fputs("workload", f);
    for (size_t v = 0; v < r->nvariants; v++)
        fprintf(f, "\t%s\t%s", r->variants[v], r->variants[v]);
    fputc('\n', f);
    for (size_t w = 0; w < r->nworkloads; w++) {
        if (!workload_frees(r, r->workloads[w]))
            continue;
        fputs(r->workloads[w], f);
        for (size_t v = 0; v < r->nvariants; v++) {
            const ab_results_cell *cell = ab_results_find(r, r->variants[v], r->workloads[w]);
            double rss, arenas;
            if (cell_median(cell, ab_metric_key(AB_M_MEM_END_KB), &rss)) {
                fprintf(f, "\t%.3f", rss / KIB_PER_MIB);
                range_add(&rss_range, rss / KIB_PER_MIB);
            } else {
                fputs("\t?", f);
            }
            if (cell_median(cell, ab_metric_key(AB_M_ARENAS_CURRENT), &arenas)) {
                fprintf(f, "\t%.1f", arenas);
                range_add(&arena_range, arenas);
            } else {
                fputs("\t?", f);
            }
        }
        fputc('\n', f);
    }
    fclose(f);
    char vars[512] = "";
    add_int(vars, sizeof vars, "nseries", r->nvariants);
    add_int(vars, sizeof vars, "nrows", rows);
    size_t used = strlen(vars);
    snprintf(vars + used, sizeof vars - used, "rssmax=%.6g; arenamax=%.6g; ",
             rss_range.hi > 0 ? rss_range.hi * 1.08 : 1, arena_range.hi > 0 ? arena_range.hi * 1.08 : 1);
    render(c, "kept.gp", "kept", path, vars);
}

int cmd_plot(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"out", required_argument, 0, 'o'}, {"baseline", required_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},      {"by", required_argument, 0, 'y'},
        {0, 0, 0, 0},
    };
    plot_ctx c = {.out_dir = DEFAULT_OUT_DIR};
    const char *baseline = NULL;
    ab_results_load_opts lo = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:b:h", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'o': c.out_dir = optarg; break;
        case 'b': baseline = optarg; break;
        case 'y':
            if (strcmp(optarg, "machine")) {
                fprintf(stderr, "arenabench plot: --by takes 'machine', not '%s'\n", optarg);
                return AB_EXIT_USAGE;
            }
            lo.by_machine = true;
            break;
        case 'h': usage(stdout); return AB_EXIT_OK;
        default: usage(stderr); return AB_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "arenabench plot: expected one results FILE\n");
        usage(stderr);
        return AB_EXIT_USAGE;
    }
    const char *file = argv[optind];
    const char *gp = getenv("AB_GNUPLOT");
    if (!find_program(gp && *gp ? gp : "gnuplot", c.gnuplot, sizeof c.gnuplot)) {
        fprintf(stderr, "arenabench plot: gnuplot not found (%s); install it with "
                        "'apt-get install gnuplot-nox' (or set AB_GNUPLOT)\n",
                gp && *gp ? gp : "not on PATH");
        return AB_EXIT_USAGE;
    }
    find_scripts(c.scripts, sizeof c.scripts);
    char err[600];
    ab_results *r = ab_results_load_with(file, &lo, err, sizeof err);
    if (!r) {
        fprintf(stderr, "arenabench plot: %s\n", err);
        return AB_EXIT_USAGE;
    }
    int rc = AB_EXIT_OK;
    c.r = r;
    if (!r->ncells) {
        fprintf(stderr, "arenabench plot: %s: no cells\n", file);
        rc = AB_EXIT_USAGE;
        goto out;
    }
    c.baseline = r->by_machine ? r->cells[0].base_variant : r->variants[0];
    for (size_t v = 0; v < r->nvariants; v++)
        if (baseline ? !strcmp(r->variants[v], baseline) : !strcmp(r->variants[v], "4k"))
            c.baseline = r->variants[v];
    if (r->by_machine && ab_results_has_base_variant(r, baseline ? baseline : "4k"))
        c.baseline = baseline ? baseline : "4k";
    if (baseline && strcmp(c.baseline, baseline)) {
        fprintf(stderr, "arenabench plot: baseline variant '%s' is not in %s\n", baseline, file);
        rc = AB_EXIT_USAGE;
        goto out;
    }
    /* mkdir -p: the default plots/out has a parent that exists in the repo */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", c.out_dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    if (mkdir(tmp, 0777) && errno != EEXIST) {
        fprintf(stderr, "arenabench plot: cannot create %s: %s\n", c.out_dir, strerror(errno));
        rc = AB_EXIT_USAGE;
        goto out;
    }
    plot_changes(&c);
    for (size_t w = 0; w < r->nworkloads; w++)
        plot_timeline(&c, r->workloads[w]);
    plot_kept(&c);
    printf("plots: %d rendered (png + svg), %d skipped, %d failed, in %s\n", c.rendered, c.skipped, c.failed,
           c.out_dir);
    if (c.failed)
        rc = AB_EXIT_FAIL;
out:
    ab_results_free(r);
    return rc;
}
