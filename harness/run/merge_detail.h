/*
 * merge_detail.h -- per-sample detail that no report reads (the memory
 * timeline, counter_raw, child_rusage) moved out of a merged file into a
 * sidecar, so that a fleet of files merges, and its merged file is read by
 * table and compare, in bounded memory.
 *
 * The sidecar OUT.detail.jsonl holds one JSON document per line, one line
 * per input cell: {"machine_id", "variant", "workload", "samples": [...],
 * "warmup_samples": [...]}, the i-th entry holding exactly the detail keys
 * the cell's i-th sample had.  Lines are written as the inputs are read, so
 * only one input's detail is ever in memory.  (plot draws timelines only from
 * files that still hold them: single-machine merges, or a run's own file.)
 */
#ifndef AB_MERGE_DETAIL_H
#define AB_MERGE_DETAIL_H

#include <stdio.h>
#include <jansson.h>

typedef enum {
    AB_DETAIL_AUTO,     /* inline for one machine, sidecar for a fleet */
    AB_DETAIL_INLINE,   /* keep everything in the merged file */
    AB_DETAIL_SIDECAR,  /* move the detail to OUT.detail.jsonl */
    AB_DETAIL_DROP,     /* drop it */
} ab_detail_mode;

#define AB_DETAIL_SIDECAR_SUFFIX ".detail.jsonl"

/* "auto", "inline", "sidecar", "drop": 0, or -1 if unknown. */
int ab_detail_mode_parse(const char *text, ab_detail_mode *out);
const char *ab_detail_mode_name(ab_detail_mode mode);

/* The detail keys (a JSON array of strings, new reference). */
json_t *ab_detail_keys(void);

/* Remove the detail keys from every sample of cell; new reference to the
 * sidecar line that holds them. */
json_t *ab_detail_take(json_t *cell, const char *machine_id);

/* Put a line's detail back into cell (the inverse of ab_detail_take). */
void ab_detail_restore(json_t *cell, const json_t *line);

#endif
