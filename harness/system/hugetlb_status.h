/*
 * hugetlb_status.h -- hugetlbfs memory of this process, which RSS omits.
 *
 * Linux counts MAP_HUGETLB pages in none of VmRSS, VmHWM or
 * /proc/self/statm; they appear only as "HugetlbPages:" (kB) in
 * /proc/self/status.  A variant whose arenas are MAP_HUGETLB mappings would
 * otherwise look as if it used almost no memory.
 *
 * Cost: /proc/self/status is generated in full on every read (~1.4 KB of
 * text; ~5 us, about ten times the statm read the timeline does), so
 * the meter is only armed for variants that can map hugetlb pages.
 *
 * Everything here that runs in a sample's measured phase or in the SIGALRM
 * handler is async-signal-safe: pread on a descriptor opened beforehand, a
 * hand-written parser over a stack buffer, an atomic max.  No allocation.
 */
#ifndef AB_HUGETLB_STATUS_H
#define AB_HUGETLB_STATUS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AB_PROC_SELF_STATUS "/proc/self/status"

/*
 * The value of the line "KEY:   N kB" in a /proc/PID/status text of len
 * bytes (need not be NUL-terminated); KEY without the colon.  -1 if the
 * line is absent or not a number.  Async-signal-safe.
 */
int64_t ab_status_field_kb(const char *text, size_t len, const char *key);

typedef struct ab_hugetlb_meter {
    int status_fd;              /* /proc/self/status, opened before the workload */
    atomic_int_fast64_t peak_kb; /* largest HugetlbPages read so far, -1 none */
} ab_hugetlb_meter;

/* Open /proc/self/status (in the process to be measured).  0 or -1 (errno). */
int ab_hugetlb_meter_open(ab_hugetlb_meter *m);

/* Read HugetlbPages now (kB), raising peak_kb; -1 if unreadable.
 * Async-signal-safe. */
int64_t ab_hugetlb_meter_read(ab_hugetlb_meter *m);

/* The largest value read so far, -1 if none. */
int64_t ab_hugetlb_meter_peak(ab_hugetlb_meter *m);

void ab_hugetlb_meter_close(ab_hugetlb_meter *m);

#endif
