/*
 * vmstat.h -- the kernel's huge-page and compaction counters from
 * /proc/vmstat: every line whose name starts with one of the prefixes below
 * (thp_fault_alloc, thp_fault_fallback, thp_split_pmd, thp_collapse_alloc,
 * compact_stall, htlb_buddy_alloc_fail, ...; which exist depends on the
 * kernel).  These are what mmtests records for every THP study.
 *
 * They are system-wide: any process on the machine moves them, so a delta
 * over a sample's measured phase is an upper bound of what the sample did,
 * and results mark the block with AB_VMSTAT_STATUS.  Reading uses no heap
 * and no stdio (one read() into a stack buffer), so it may bracket a
 * measured phase.
 */
#ifndef AB_VMSTAT_H
#define AB_VMSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define AB_VMSTAT_PATH "/proc/vmstat"
#define AB_VMSTAT_MAX 64
#define AB_VMSTAT_NAME_MAX 48
/* The sample's "vmstat_status": how to read the "vmstat" block. */
#define AB_VMSTAT_STATUS "system_wide"

typedef struct ab_vmstat {
    size_t n;                                   /* 0: unreadable */
    char name[AB_VMSTAT_MAX][AB_VMSTAT_NAME_MAX];
    uint64_t value[AB_VMSTAT_MAX];
} ab_vmstat;

/* The prefixes recorded, NULL-terminated. */
const char *const *ab_vmstat_prefixes(void);

/* 0, or -1 (out->n == 0) when /proc/vmstat cannot be read. */
int ab_vmstat_read(ab_vmstat *out);

/* acc += after - before, line by line (acc starts as a copy of the names
 * with zero values: ab_vmstat_zero). */
void ab_vmstat_zero(ab_vmstat *acc, const ab_vmstat *names);
void ab_vmstat_add_delta(ab_vmstat *acc, const ab_vmstat *before, const ab_vmstat *after);

/* {"thp_fault_alloc": 12, ...}; JSON null when nothing was read. */
json_t *ab_vmstat_json(const ab_vmstat *v);

/* The value of one line; -1 when absent. */
int64_t ab_vmstat_get(const ab_vmstat *v, const char *name);

#endif
