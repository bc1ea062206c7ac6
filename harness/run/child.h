/*
 * child.h -- one sample, inside its freshly forked child (`run` mode), and
 * the JSON pieces a sample is made of (shared with `exec` mode, where the
 * parent measures the exec'ed child from outside).
 */
#ifndef AB_CHILD_H
#define AB_CHILD_H

#include <jansson.h>
#include "allocators/allocator.h"
#include "harness/counters/counters.h"
#include "harness/run/plan.h"

/*
 * Run the slot's workload on the slot's variant and write the sample as one
 * JSON object to out_fd; never returns (_exit, so the parent's atexit
 * handlers and stdio buffers are not run twice).  Exit status 0 when a
 * sample was written (its "status" says whether the workload succeeded).
 */
_Noreturn void ab_child_run_sample(const ab_plan *plan, const ab_slot *slot, int out_fd);

/* Add "counters", "counter_status" and "counter_raw" for the plan's events
 * (cs may be NULL: every event is then null with status "error"). */
void ab_sample_add_counters(json_t *sample, const ab_plan *plan, ab_counter_set *cs);

/* The "alloc" object: AB_STAT_UNKNOWN fields are null. */
json_t *ab_alloc_stats_json(const ab_alloc_stats *st);

/* VmHWM and VmRSS (kB) from a /proc/PID/status file; -1 where unreadable. */
void ab_read_vm_status(const char *path, long *hwm_kb, long *rss_kb);
/* The same plus HugetlbPages (kB), which VmRSS/VmHWM do not include. */
void ab_read_mem_status(const char *path, long *hwm_kb, long *rss_kb, long *hugetlb_kb);

/*
 * Add "hugetlb_kb_end", "hugetlb_kb_peak", "mem_peak_kb" and "mem_end_kb"
 * (null where an input is unknown, i.e. negative):
 *   mem_end_kb  = rss_end_kb + hugetlb_kb_end (exact: one moment);
 *   mem_peak_kb = rss_peak_kb + hugetlb_kb_peak, an upper bound of the true
 *                 peak (the two maxima need not coincide in time), never
 *                 below it.
 */
void ab_sample_add_mem(json_t *sample, long rss_peak_kb, long rss_end_kb, long hugetlb_peak_kb,
                       long hugetlb_end_kb);

#endif
