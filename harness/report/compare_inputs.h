/*
 * compare_inputs.h -- what `compare` compares: the runs of each side and the
 * cells matched between them.
 *
 * Two shapes:
 *   - across runs: BASE runs and NEW runs (files, or directories whose *.json
 *     files are runs); a cell of the first BASE run is matched by its label
 *     (variant, or BUILD/VARIANT) and workload in every run that has it;
 *   - within one file: the cells of variant (or build) A against those of B,
 *     workload by workload (and, for variants, build by build; for builds,
 *     variant by variant).  Such cells ran in the same rounds and pair.
 */
#ifndef AB_COMPARE_INPUTS_H
#define AB_COMPARE_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include "harness/report/report_runs.h"
#include "harness/results/results_load.h"

/* Most runs per side (and files a directory may hold). */
#define AB_COMPARE_MAX_RUNS 64

typedef struct ab_compare_side {
    ab_results *runs[AB_COMPARE_MAX_RUNS];
    size_t n;
} ab_compare_side;

/*
 * Load paths into side: results files, and with dirs_are_runs directories
 * whose *.json files are runs (in name order); without it a directory is
 * the loader's error, as for every reader.  0, or -1 with the reason in err
 * (a file that does not load, an empty directory, too many runs).  opts
 * are the loader's (e.g. cells labelled by machine).
 */
int ab_compare_side_load(const char *const *paths, size_t npaths, bool dirs_are_runs,
                         const ab_results_load_opts *opts, ab_compare_side *side, char *err, size_t errlen);
void ab_compare_side_free(ab_compare_side *side);

typedef struct ab_cell_match {
    const char *workload;
    char label[256];                   /* "4k", "thp vs 4k", "new vs old: 4k" */
    const ab_results_cell *base[AB_COMPARE_MAX_RUNS];
    const ab_results_cell *cand[AB_COMPARE_MAX_RUNS];
    size_t nb, nn;
} ab_cell_match;

/* Cells of base->runs[0] found in at least one NEW run.  Malloc'd array. */
ab_cell_match *ab_match_across_runs(const ab_compare_side *base, const ab_compare_side *cand, size_t *n);

typedef enum { AB_SELECT_VARIANT, AB_SELECT_BUILD } ab_select_by;

/*
 * Cells of `which` = from against `which` = to in one file.  NULL with the
 * reason in err when either name is not in the file or nothing matches.
 */
ab_cell_match *ab_match_within(const ab_results *r, ab_select_by by, const char *from, const char *to, size_t *n,
                               char *err, size_t errlen);

/* One metric's values in each cell of one side of a match (one cell per
 * run); pooled holds all of them. */
typedef struct ab_side_values {
    ab_metric_values runs[AB_COMPARE_MAX_RUNS];
    size_t k;
    double *pooled;
    size_t npooled;
} ab_side_values;

/* 0, or -1 on out of memory (free it either way). */
int ab_side_values_get(const ab_results_cell *const *cells, size_t k, const char *metric, ab_side_values *sv);
void ab_side_values_free(ab_side_values *sv);

/* One run per side: the metric's run-to-run noise estimated across the
 * matches that have one cell a side (report_runs.h).  0, or -1 on out of
 * memory. */
int ab_match_run_noise(const ab_cell_match *x, size_t nx, const char *metric, ab_run_noise *out);

/* The cell's own variant name and build (NULL when it has none). */
const char *ab_cell_variant_name(const ab_results_cell *c);
const char *ab_cell_build(const ab_results_cell *c);

#endif
