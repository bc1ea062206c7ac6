/*
 * families.h -- each workload family file exports one NULL-terminated table;
 * registry.c concatenates them in this order.
 */
#ifndef AB_FAMILIES_H
#define AB_FAMILIES_H

#include "workloads/workload.h"

extern const ab_workload *const ab_family_obmalloc[];  /* bench_obmalloc.py's nine */
extern const ab_workload *const ab_family_seeds[];     /* evan_jones, random_prune, trie_prune */
extern const ab_workload *const ab_family_prefork[];   /* prefork: fork and copy-on-write */
extern const ab_workload *const ab_family_survivors[]; /* survivors: 1 in K kept, bloat */
extern const ab_workload *const ab_family_replay[];    /* replay:FILE */
extern const ab_workload *const ab_family_selftest[];  /* harness self-tests (not in the default matrix) */

#endif
