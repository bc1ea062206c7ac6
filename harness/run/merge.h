/*
 * merge.h -- results files of one plan (its shards, from one machine or
 * many) into one document of the same schema as an unsharded run.
 *
 * Invariants of the output:
 *  - every (machine, variant, workload) cell comes from exactly one input;
 *    cells are in plan order (variant-major over config.workloads), each
 *    pair's machines in the order the inputs named them;
 *  - summaries and correctness are recomputed over the merged cells;
 *  - from more than one machine it is a fleet file (fleet.h): each cell says
 *    its machine, and "machine" holds no single machine's facts;
 *  - config.merged records the plan id, the inputs and what was missing.
 * Anything else -- another plan, scale or schema, a shard or cell twice, a
 * missing shard without allow_partial -- is refused with a message that
 * names the file.
 */
#ifndef AB_MERGE_H
#define AB_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef struct ab_merge_opts {
    bool allow_partial;   /* record missing shards/cells instead of refusing */
} ab_merge_opts;

/* New reference to the merged document, or NULL with the reason in err. */
json_t *ab_merge_files(char *const *paths, size_t n, const ab_merge_opts *opts, char *err, size_t errlen);

#endif
