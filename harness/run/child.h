/*
 * child.h -- one sample, inside its freshly forked child (`run` mode).  The
 * child fills a typed sample (harness/results/sample.h), which `exec` mode
 * fills too, from outside the exec'ed child.
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

/* VmHWM and VmRSS (kB) from a /proc/PID/status file; -1 where unreadable. */
void ab_read_vm_status(const char *path, long *hwm_kb, long *rss_kb);
/* The same plus HugetlbPages (kB), which VmRSS/VmHWM do not include. */
void ab_read_mem_status(const char *path, long *hwm_kb, long *rss_kb, long *hugetlb_kb);

#endif
