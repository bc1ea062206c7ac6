/*
 * counters.h -- hardware and software event counting through libpfm4 and
 * perf_event_open.
 *
 * Names are libpfm4 or perf syntax ("cycles", "dTLB-load-misses",
 * "DTLB_LOAD_MISSES:WALK_COMPLETED", "perf::PAGE-FAULTS"), each encoded by
 * pfm_get_os_event_encoding() one event per call.  Events are opened in groups
 * per PMU (never across PMUs), with TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING so
 * multiplexing is visible and scaled.  An event that cannot be opened is not a
 * failure: its value is null and its status says why.
 */
#ifndef AB_COUNTERS_H
#define AB_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
    AB_CTR_OK,              /* counted the whole time */
    AB_CTR_MULTIPLEXED,     /* counted part of the time; value scaled by enabled/running */
    AB_CTR_NOT_SUPPORTED,   /* ENOENT/EOPNOTSUPP/ENODEV...: no PMU or event here */
    AB_CTR_NO_PERMISSION,   /* EACCES/EPERM: perf_event_paranoid or privileges */
    AB_CTR_NOT_COUNTED,     /* opened, but never scheduled (time_running == 0) */
    AB_CTR_ENCODING_FAILED, /* libpfm4 could not encode it on this PMU */
    AB_CTR_ERROR,           /* anything else; detail has errno text */
} ab_counter_status;

const char *ab_counter_status_name(ab_counter_status s);

typedef struct ab_counter_value {
    char event[96];         /* the name as the user gave it */
    ab_counter_status status;
    bool has_value;         /* false => JSON null */
    double value;           /* scaled: raw * enabled / running */
    uint64_t raw, enabled_ns, running_ns;
    bool user_only;         /* kernel counting was refused; this counts user space only */
    char pmu[32];           /* PMU the event was encoded for ("perf", "icl", "cpu_core"...) */
    char detail[160];       /* human-readable reason for a non-OK status */
} ab_counter_value;

/* The default event list for this machine (generic events plus the PMU's
 * native page-walk events where libpfm4 knows them).  Stable storage. */
const char *const *ab_counters_default_events(size_t *n);

/* Parse-time check (parent side): 0 if every name is known to libpfm4 on
 * some PMU of this machine, else -1 and err names the first bad one.  An
 * event that is known but cannot be opened here is *not* an error. */
int ab_counters_check_events(const char *const *events, size_t n, char *err, size_t errlen);

typedef struct ab_counter_set ab_counter_set;

/* Open the events for process `pid` (0 = the calling process), disabled.
 * With enable_on_exec, counting starts at the target's next execve (for
 * `arenabench exec`).  Never returns NULL for unavailable events: those are
 * kept with their status. NULL only on out-of-memory. */
ab_counter_set *ab_counters_open(const char *const *events, size_t n, pid_t pid, bool enable_on_exec);
void ab_counters_enable(ab_counter_set *cs);
void ab_counters_disable(ab_counter_set *cs);
/* Fill out[0..n-1] in the order the events were given; returns n. */
size_t ab_counters_read(ab_counter_set *cs, ab_counter_value *out, size_t max);
void ab_counters_close(ab_counter_set *cs);

#endif
