/*
 * results.h -- the results document (schema in README.md) and its atomic
 * write.  Summaries are computed over each cell's ok samples; warmup samples
 * are kept under "warmup_samples" (without timelines) and never summarised.
 */
#ifndef AB_RESULTS_H
#define AB_RESULTS_H

#include <jansson.h>
#include "harness/run/plan.h"
#include "harness/run/runner.h"
#include "harness/results/schema.h"

/* What the run did beyond the plan, for the "config" and "run" blocks. */
typedef struct ab_results_extra {
    long hugepages_obtained;     /* free huge pages after reserving, -1 if not asked */
} ab_results_extra;

/* New reference to the whole document. */
json_t *ab_results_build(const ab_plan *plan, const ab_run_record *rec, const ab_results_extra *extra,
                         int argc, char **argv);

/* The "summary" object for a cell's ok samples; events: config.events. */
json_t *ab_results_summary(json_t *samples, const json_t *events);

/* The "correctness" object over cells, for the variants and workloads
 * (JSON string arrays, config order) -- every machine's cells of a fleet
 * file included. */
json_t *ab_results_correctness(json_t *cells, const json_t *variants, const json_t *workloads);

/* Whether every workload's checksums agree (from the built document). */
bool ab_results_checksums_agree(json_t *doc);

/* Writing the document safely: harness/results/results_file.h. */
#include "harness/results/results_file.h"

#endif
