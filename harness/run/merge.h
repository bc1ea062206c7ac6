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
#include "harness/run/merge_detail.h"

typedef struct ab_merge_opts {
    bool allow_partial;   /* record missing shards/cells instead of refusing */
    ab_detail_mode detail;
    const char *out;      /* the merged file's path: the sidecar goes next to it */
} ab_merge_opts;

typedef struct ab_merge_result {
    json_t *doc;              /* the merged document (owned) */
    char sidecar_tmp[1200];   /* "" or the written sidecar, to rename to sidecar once doc is written */
    char sidecar[1100];
} ab_merge_result;

/* 0 with res filled, or -1 with the reason in err (nothing left behind). */
int ab_merge_files(char *const *paths, size_t n, const ab_merge_opts *opts, ab_merge_result *res, char *err,
                   size_t errlen);
/* Move the sidecar into place (after doc was written), or remove it. */
int ab_merge_commit_sidecar(ab_merge_result *res, bool keep, char *err, size_t errlen);
void ab_merge_result_free(ab_merge_result *res);

#endif
