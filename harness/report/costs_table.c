/* costs_table.c -- see costs_table.h. */
#include <string.h>
#include "harness/report/costs_table.h"
#include "harness/report/report_metrics.h"
#include "harness/results/metrics.h"
#include "harness/results/schema.h"
#include "harness/util/report_stats.h"

typedef struct cost_column {
    ab_metric_id family;  /* fork, survivors or vmstat */
    const char *member;
    const char *head;
} cost_column;

static const cost_column columns[] = {
    {AB_M_FORK, "fork_ns_median", "fork()"},
    {AB_M_FORK, "cow_faults_median", "COW faults/worker"},
    {AB_M_FORK, "private_kb_median", "private/worker"},
    {AB_M_FORK, "pss_total_kb", "family PSS"},
    {AB_M_SURVIVORS, "arenas_end", "arenas kept"},
    {AB_M_SURVIVORS, "held_kb_end", "memory kept"},
    {AB_M_SURVIVORS, "bloat_end", "bloat end"},
    {AB_M_SURVIVORS, "bloat_peak", "bloat peak"},
    {AB_M_VMSTAT, "thp_fault_fallback", "THP fallbacks*"},
    {AB_M_VMSTAT, "thp_split_pmd", "PMD splits*"},
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

/* The cost families whose cells get a row: a cell is theirs when one of its
 * samples carries the family's block. */
static const ab_metric_id families[] = {AB_M_FORK, AB_M_SURVIVORS};

static bool cell_has_block(const ab_results_cell *cell, ab_metric_id family)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(cell->json, AB_KEY_SAMPLES), i, s)
        if (json_is_object(json_object_get(s, ab_metric_key(family)))) return true;
    return false;
}

static void cell_text(const ab_results_cell *cell, const cost_column *col, ab_text_table *t, char *buf, size_t len)
{
    char metric[128];
    ab_metric_member_name(col->family, col->member, metric, sizeof metric);
    ab_metric_values mv;
    if (ab_cell_metric(cell, metric, &mv) != 0) {
        snprintf(buf, len, "n/a");
        return;
    }
    if (!mv.n) {
        char why[400];
        snprintf(why, sizeof why, "%s/%s %s: %s", cell->variant, cell->workload, metric,
                 mv.n_not_ok ? (mv.not_ok_reason ? mv.not_ok_reason : "no sample finished ok") : "not recorded");
        snprintf(buf, len, "n/a [%zu]", ab_text_table_footnote(t, why));
    } else {
        ab_metric_desc d;
        ab_metric_describe(metric, &d);
        ab_format_value(ab_stat_median(mv.v, mv.n) * d.display_scale, d.unit, buf, len);
        if (mv.n_not_ok) {
            char why[400];
            snprintf(why, sizeof why, "%s/%s: %zu of %zu samples left out (%s)", cell->variant, cell->workload,
                     mv.n_not_ok, mv.n_samples, mv.not_ok_reason ? mv.not_ok_reason : "not ok");
            size_t used = strlen(buf);
            snprintf(buf + used, len - used, " [%zu]", ab_text_table_footnote(t, why));
        }
    }
    ab_metric_values_free(&mv);
}

int ab_costs_table_print(const ab_results *r, ab_table_format fmt, FILE *f)
{
    ab_text_table *t = ab_text_table_new("costs: fork/copy-on-write, bloat, THP (median per cell)", NCOLUMNS + 2);
    if (!t) return -1;
    ab_text_table_header(t, 0, "workload");
    ab_text_table_header(t, 1, "variant");
    ab_text_table_align_left(t, 1);
    for (size_t c = 0; c < NCOLUMNS; c++) ab_text_table_header(t, c + 2, columns[c].head);
    size_t rows = 0;
    for (size_t w = 0; w < r->nworkloads; w++) {
        for (size_t v = 0; v < r->nvariants; v++) {
            const ab_results_cell *cell = ab_results_find(r, r->variants[v], r->workloads[w]);
            if (!cell) continue;
            ab_metric_id family = AB_METRIC_COUNT;
            for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
                if (cell_has_block(cell, families[i])) family = families[i];
            if (family == AB_METRIC_COUNT) continue;
            size_t row = ab_text_table_add_row(t);
            rows++;
            ab_text_table_set(t, row, 0, r->workloads[w]);
            ab_text_table_set(t, row, 1, r->variants[v]);
            for (size_t c = 0; c < NCOLUMNS; c++) {
                char text[96] = "-";
                if (columns[c].family == family || columns[c].family == AB_M_VMSTAT)
                    cell_text(cell, &columns[c], t, text, sizeof text);
                ab_text_table_set(t, row, c + 2, text);
            }
        }
    }
    if (!rows) {
        if (fmt != AB_FMT_CSV) fprintf(f, "costs: no prefork or survivors cell in this file\n\n");
        ab_text_table_free(t);
        return -1;
    }
    ab_text_table_footnote(t, "fork(), COW faults, private memory: per worker (Private_Dirty + Private_Hugetlb); "
                              "family PSS counts hugetlb pages once; bloat = resident arena memory / live block bytes");
    ab_text_table_footnote(t, "*: /proc/vmstat deltas over the measured phase, system-wide (other processes move them too)");
    ab_text_table_print(t, fmt, f);
    ab_text_table_free(t);
    return 0;
}
