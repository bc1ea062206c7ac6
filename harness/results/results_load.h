/*
 * results_load.h -- read a results file (README "Results JSON", schema
 * version 1), check it against the schema, and pull metric values out of it.
 *
 * This is the input side shared by `table`, `plot` and `compare`; the
 * runner's tests may use ab_results_validate() on what it writes.  Readers
 * ignore unknown keys (the schema promises that), and a value that could not
 * be measured is JSON null, which is reported as "not available", never 0.
 */
#ifndef AB_RESULTS_LOAD_H
#define AB_RESULTS_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "harness/results/schema.h"

/*
 * A file made with `run --build` has several cells per (variant, workload),
 * one per build.  Readers that show or match cells by variant see the
 * label "BUILD/VARIANT" then, so every build is a column of its own in
 * tables and a series of its own in plots, and files with the same builds
 * compare cell by cell.
 */
typedef struct ab_results_cell {
    /* The label readers show and match: the variant, "BUILD/VARIANT" when
     * the cell has a build, "VARIANT@MACHINE" read by machine (owned by the
     * loader or borrowed from the document). */
    const char *variant;
    const char *build;         /* the cell's "build", NULL when it has none */
    const char *workload;
    const char *base_variant;  /* the variant as the cell names it */
    const char *machine;       /* the cell's machine id (fleet.h) */
    json_t *json;              /* the cell object */
} ab_results_cell;

typedef struct ab_results {
    json_t *root;
    char path[512];
    ab_results_cell *cells;
    size_t ncells;
    char **labels;             /* owned "BUILD/VARIANT" strings, one per cell (NULL without a build) */
    /* Distinct names in the order config.variants / config.workloads list
     * them, then in order of first appearance among the cells. */
    const char **variants;
    size_t nvariants;
    const char **workloads;
    size_t nworkloads;
    bool by_machine;           /* loaded with ab_results_load_opts.by_machine */
    json_t *owned;             /* strings the names above may borrow */
    json_t *variant_machine;   /* by_machine: "VARIANT@MACHINE" -> machine id */
    json_t *index;             /* "variant\x1fworkload" -> cell index */
} ab_results;

/*
 * How to read a file.  A fleet file (fleet.h) may hold a variant x workload
 * on several machines; without by_machine such a file is refused, so that
 * samples of different machines are never pooled silently.  With by_machine
 * every cell's variant reads "VARIANT@MACHINE" (machine ids from fleet.h; a
 * single-machine file's is its hostname), variants listed machine by machine.
 */
typedef struct ab_results_load_opts {
    bool by_machine;
} ab_results_load_opts;

/*
 * Check a parsed document against schema version 1: the version, the
 * required top-level objects, and for every cell its variant, workload and
 * samples with a known status whose metrics are each null or a finite
 * non-negative number (ab_sample_check).  0 if usable; otherwise -1 with the
 * first problem in err, naming where it is (e.g. "cells[3].samples[1]:
 * ... (cell variant "4k", workload "w")").
 */
int ab_results_validate(const json_t *root, char *err, size_t errlen);

/*
 * Load and validate a file.  NULL with a message in err that says which of
 * these it was: cannot open, is a directory, not JSON (with line and
 * column), unknown schema_version, a missing required key, a bad value.
 */
ab_results *ab_results_load(const char *path, char *err, size_t errlen);
ab_results *ab_results_load_with(const char *path, const ab_results_load_opts *opts, char *err, size_t errlen);

/* The variant name a by_machine reader shows for (variant, machine). */
void ab_results_machine_variant(const char *variant, const char *machine, char *out, size_t len);

/*
 * The baseline a variant column is compared with: `baseline` itself, or,
 * read by machine, `baseline` on the column's own machine -- a change is
 * never computed across machines unless the user names such a baseline.
 * Returns baseline or buf.
 */
const char *ab_results_column_baseline(const ab_results *r, const char *baseline, const char *variant, char *buf,
                                       size_t len);

/* Whether some cell has this variant (as the cell names it, without @machine). */
bool ab_results_has_base_variant(const ab_results *r, const char *variant);
void ab_results_free(ab_results *r);

/* The cell for (variant label, workload), or NULL. */
const ab_results_cell *ab_results_find(const ab_results *r, const char *variant, const char *workload);

/* config.scale, or NaN when absent. */
double ab_results_scale(const ab_results *r);
/* A string from machine.KEY, or NULL. */
const char *ab_results_machine_str(const ab_results *r, const char *key);
/* config.tlb_model: the TLB model the samples' sim blocks come from, NULL
 * when the run simulated none. */
const char *ab_results_tlb_model(const ab_results *r);
/* config.tlb_model: the TLB model the samples' sim blocks come from, NULL
 * when the run simulated none. */
const char *ab_results_tlb_model(const ab_results *r);

/*
 * Whether a metric name can be asked for: a row of the metrics registry
 * (harness/results/metrics.h) or a member of one of its families, other
 * than the checksum (compared, never a number).  mem_peak_kb / mem_end_kb
 * fall back to rss_peak_kb / rss_end_kb in files older than them.
 */
bool ab_metric_name_valid(const char *metric);

/*
 * The metric's value for one sample: true with *out set, or false when the
 * sample lacks it or it is null.
 */
bool ab_sample_metric(const json_t *sample, const char *metric, double *out);

/* Whether a sample has status "ok" (only those enter statistics). */
bool ab_sample_ok(const json_t *sample);

/* The round of a sample that has no integer "rep": it pairs with nothing. */
#define AB_NO_ROUND (-1L)

typedef struct ab_metric_values {
    double *v;                 /* values of the ok samples that have one (malloc'd) */
    long *round;               /* round[i]: sample v[i]'s "rep" (its round), or AB_NO_ROUND */
    size_t n;
    size_t n_samples;          /* all samples of the cell */
    size_t n_not_ok;           /* samples whose status was not "ok" */
    /* When n == 0 for a counter: its counter_status (e.g. "not_supported")
     * and detail from counter_raw if any; else NULL.  Borrowed. */
    const char *unavailable_status;
    const char *unavailable_detail;
    /* Status and reason of the first sample that was not ok, or NULL. */
    const char *not_ok_status;
    const char *not_ok_reason;
} ab_metric_values;

/* Collect one metric over a cell's ok samples.  0, or -1 on out of memory. */
int ab_cell_metric(const ab_results_cell *cell, const char *metric, ab_metric_values *out);
void ab_metric_values_free(ab_metric_values *mv);

/* The checksum every ok sample of the cell agrees on; NULL if none or they
 * disagree (then *disagree is set). Borrowed. */
const char *ab_cell_checksum(const ab_results_cell *cell, bool *disagree);

/*
 * Counter events named by the file: config.events, then any other key seen
 * in a sample's counters object.  Returns a malloc'd array of borrowed
 * strings (free only the array) and sets *n.
 */
const char **ab_results_events(const ab_results *r, size_t *n);

#endif
