/*
 * fresh_sample.h -- a sample in a freshly exec'ed process.
 *
 * A forked child inherits the driver's heap: where glibc puts the pymalloc
 * model's own structures and the workloads' large item arrays then depends
 * on everything the driver allocated before (the text of earlier samples,
 * /proc reads), which moves those blocks by a few pages from one run to the
 * next.  Hardware TLBs index by address, so the simulated figures would
 * move too.  With --tlb-model the child therefore re-executes the binary
 * with the run's own command line: heap and address layout (ASLR off)
 * depend only on that command line, and the figures repeat exactly.
 */
#ifndef AB_RUN_FRESH_SAMPLE_H
#define AB_RUN_FRESH_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include "harness/run/plan.h"

/* In the forked child: exec /proc/self/exe with plan->argv and the slot
 * and pipe in the environment.  Never returns (exit 127 if exec fails). */
_Noreturn void ab_fresh_sample_exec(const ab_plan *plan, const ab_slot *slot, int out_fd);

/* In the exec'ed process, after parsing the same command line: whether it
 * is such a sample, and which slot and pipe. */
bool ab_fresh_sample_requested(const ab_plan *plan, size_t *slot, int *out_fd);

#endif
