/*
 * cost_blocks.h -- the sample's "fork" and "survivors" blocks (README /
 * docs/costs.md) from what the cost workload families measured.
 *
 * fork: the cell-level figures the reports use, each over the workers that
 * reported (one record per worker is written beside it, fork_workers): fork() time median and
 * max, copy-on-write faults (median per worker and total), private memory
 * per worker (Private_Dirty + Private_Hugetlb) median and max, the family's
 * PSS with hugetlb pages counted once, worker wall time median and max.
 * survivors: arenas, resident arena memory and live block bytes at the
 * peak and at the end, and bloat = resident / live at both moments.
 * Unknown figures are JSON null, never 0.
 */
#ifndef AB_COST_BLOCKS_H
#define AB_COST_BLOCKS_H

#include <jansson.h>
#include "workloads/forked_workers.h"
#include "workloads/survivors.h"

json_t *ab_fork_block_json(const ab_fork_report *r);
/* One record per worker (the sample's "fork_workers"): how it ended, its
 * fork time, wall time, COW faults, wait4 minflt, private memory, PSS. */
json_t *ab_fork_workers_json(const ab_fork_report *r);
json_t *ab_survivors_block_json(const ab_survivors_report *r);

#endif
